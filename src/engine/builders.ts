/**
 * Per-platform builders (--builder linux/arm64=NAME): a platform can build on another engine
 * instead of this host's, through what docker already has for reaching machines. NAME is either
 *   - a docker context (a remote engine: `docker context create arm-board --docker host=ssh://…`):
 *     the build, the smoke checks and the export all run against that engine (DOCKER_CONTEXT),
 *     so the image never crosses the network except as the store's export;
 *   - or a buildx builder (`docker buildx create --name …`): only the build runs there
 *     (BUILDX_BUILDER), and --load brings the image back to this host's engine.
 * Before anything starts, every builder must exist and list the platform among those it builds
 * (natively or by its own emulation), as `docker buildx inspect` reports them.
 */
import { MabError } from '../errors.js';
import { formatPlatform, parsePlatform } from '../platform/platform.js';
import { docker } from './docker.js';

export interface Builder {
  name: string;
  kind: 'context' | 'builder';
  /** A context's endpoint host (tcp:// or ssh://), where its published ports are reached. */
  host?: string;
}

/** "PLATFORM=NAME" specs (amd64=NAME works too) as platform → builder name. */
export function parseBuilderSpecs(specs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = spec.slice(eq + 1);
    if (eq < 1 || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
      throw new MabError(
        'E_USAGE',
        `--builder "${spec}" is not PLATFORM=NAME`,
        'e.g. --builder linux/arm64=arm-board, NAME a docker context or buildx builder',
      );
    const platform = formatPlatform(parsePlatform(spec.slice(0, eq)));
    if (out.has(platform))
      throw new MabError('E_USAGE', `--builder names two builders for ${platform}`, 'give one per platform');
    out.set(platform, name);
  }
  return out;
}

/**
 * Checks each builder for the platforms routed to it, and says what it is. Platforms the build
 * does not ask for are an error too: a typo in --builder should not pass silently.
 */
export async function resolveBuilders(
  routes: Map<string, string>,
  platforms: string[],
  env?: NodeJS.ProcessEnv,
): Promise<Map<string, Builder>> {
  const out = new Map<string, Builder>();
  for (const [platform, name] of routes) {
    if (!platforms.includes(platform))
      throw new MabError(
        'E_USAGE',
        `--builder ${platform}=${name}, but ${platform} is not among the platforms built (${platforms.join(', ')})`,
        'add it to --arch or drop the --builder',
      );
    const inspected = await docker(['buildx', 'inspect', name], { env, what: `builder ${name}` }).catch(() => {
      throw new MabError(
        'E_BUILDER',
        `no docker context or buildx builder named "${name}" (for ${platform})`,
        `create one: docker context create ${name} --docker host=ssh://USER@HOST (or tcp://HOST:2376), or docker buildx create --name ${name} …`,
      );
    });
    if (!/^Status:\s+running/m.test(inspected)) {
      throw new MabError(
        'E_BUILDER',
        `builder "${name}" (for ${platform}) is not running: ${/^Status:\s+(.*)$/m.exec(inspected)?.[1] ?? 'no status'}`,
        `check it with docker buildx inspect ${name} --bootstrap`,
      );
    }
    const offered = (/^Platforms:\s+(.*)$/m.exec(inspected)?.[1] ?? '')
      .split(',')
      .map((p) => p.trim().replace(/\*$/, ''))
      .filter(Boolean);
    if (!offered.includes(platform)) {
      throw new MabError(
        'E_BUILDER',
        `builder "${name}" cannot build ${platform}: it offers ${offered.join(', ') || 'no platforms'}`,
        `route ${platform} to a builder that runs it natively, or register QEMU on that machine`,
      );
    }
    const endpoint = await engineEndpoint(env, name);
    const host = endpoint ? hostOf(endpoint) : undefined;
    out.set(platform, endpoint ? { name, kind: 'context', ...(host ? { host } : {}) } : { name, kind: 'builder' });
  }
  return out;
}

/** A docker context's engine endpoint (unix://…, tcp://…, ssh://…); without a name, the current one (DOCKER_HOST included). */
export async function engineEndpoint(env?: NodeJS.ProcessEnv, context?: string): Promise<string | undefined> {
  const out = await docker(
    ['context', 'inspect', ...(context ? [context] : []), '--format', '{{.Endpoints.docker.Host}}'],
    { env },
  ).catch(() => undefined);
  return out?.trim() || undefined;
}

/** The machine of a tcp:// or ssh:// endpoint, where that engine's published ports are reached; none for a local socket. */
export function hostOf(endpoint: string): string | undefined {
  return /^(?:tcp|ssh):\/\/(?:[^@/]*@)?(?:\[([^\]]+)\]|([^:/]+))/.exec(endpoint)?.slice(1).find(Boolean);
}

/** The environment docker commands for a platform run with: its context, or its buildx builder. */
export function builderEnv(
  b: Builder | undefined,
  env: NodeJS.ProcessEnv | undefined,
  forBuild: boolean,
): NodeJS.ProcessEnv | undefined {
  if (!b) return env;
  if (b.kind === 'context') {
    // DOCKER_HOST would win over the context.
    const { DOCKER_HOST: _, ...rest } = env ?? process.env;
    return { ...rest, DOCKER_CONTEXT: b.name };
  }
  return forBuild ? { ...(env ?? process.env), BUILDX_BUILDER: b.name } : env;
}
