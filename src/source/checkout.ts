/**
 * What the git checkout holding a recipe says about it, for the image's
 * org.opencontainers.image.{source,revision,created} labels (what docker/metadata-action derives
 * in a GitHub workflow, here from the checkout itself, so any CI and a laptop give the same).
 *
 * - revision: the commit checked out (HEAD).
 * - created: that commit's committer time, or SOURCE_DATE_EPOCH when set: never the time of the
 *   build, so that building one commit twice gives the same image config. The same moment, as
 *   `epoch`, is what the build's file times are clamped to (docs/supply-chain.md).
 * - source: the `origin` remote as a public URL. Credentials in it (https://user:token@host/…)
 *   are dropped, and a remote that is a path on this machine is not a source anyone else can use,
 *   so it gives no label.
 */
import path from 'node:path';
import { MabError } from '../errors.js';
import { git } from './git.js';

export interface Checkout {
  source?: string;
  revision: string;
  created?: string;
  /** `created` in seconds since 1970. */
  epoch?: number;
}

/** The checkout `file` is in, or undefined when it is in none (or git is not installed). */
export async function checkoutOf(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Checkout | undefined> {
  const dir = path.dirname(file);
  // Both at once: this runs before every build, and neither waits for the other.
  const [head, remote] = await Promise.all([
    git(['-C', dir, 'log', '-1', '--format=%H %ct']).catch(() => undefined),
    git(['-C', dir, 'remote', 'get-url', 'origin']).catch(() => undefined),
  ]);
  if (!head || head.exitCode !== 0) return undefined;
  const [revision, committed] = head.stdout.trim().split(' ');
  if (!revision || !/^[0-9a-f]{40,64}$/.test(revision)) return undefined;
  const source = remote?.exitCode === 0 ? publicUrl(remote.stdout.trim()) : undefined;
  const epoch = sourceDateEpoch(env) ?? Number(committed);
  return {
    revision,
    ...(source ? { source } : {}),
    ...(Number.isFinite(epoch) ? { created: new Date(epoch * 1000).toISOString().replace('.000Z', 'Z'), epoch } : {}),
  };
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org/specs/source-date-epoch): whole seconds since 1970. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v))
    throw new MabError(
      'E_USAGE',
      `SOURCE_DATE_EPOCH "${v}" (from --source-date-epoch or the environment) is not a whole number of seconds`,
      'give e.g. $(git log -1 --format=%ct), or leave it unset for the commit time',
    );
  return Number(v);
}

/**
 * A remote as a browsable https URL: `git@host:owner/repo.git` and `ssh://git@host/owner/repo`
 * become `https://host/owner/repo`; user and password are removed from http(s) URLs. Paths and
 * file:// URLs give undefined.
 */
export function publicUrl(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+)$/.exec(remote);
  let url: URL;
  try {
    url = new URL(scp ? `https://${scp[1]}/${scp[2]}` : remote);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol) || !url.hostname) return undefined;
  const pathname = url.pathname.replace(/\.git\/?$/, '').replace(/\/+$/, '');
  if (!pathname || pathname === '/') return undefined;
  // An ssh or git URL names a host that usually serves the same repository over https.
  const scheme = url.protocol === 'http:' ? 'http:' : 'https:';
  const port = url.protocol === scheme && url.port ? `:${url.port}` : '';
  return `${scheme}//${url.hostname}${port}${pathname}`;
}
