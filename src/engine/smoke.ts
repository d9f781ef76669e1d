/**
 * A recipe's smoke checks, run in the built image under its own platform (through QEMU when
 * foreign). A build that "succeeds" yet gives an image that does not run is the failure the
 * research behind mab kept hitting; no platform is published without passing these.
 *   run:   a command in the image, no network, output matched against `expect`
 *   shell: a script run by mab's helper shell (src/source/smoke-shell.ts), copied into the
 *          check's container only, with -e and pipefail, so a failing or missing command fails it
 *   http:  the image started with the port published on 127.0.0.1 only, GET path until it answers
 *          (emulated interpreters take seconds to start), body matched against `expect`
 * A shell's "command not found" in the output fails a check whatever its exit code: a pipeline
 * into a missing grep, say, exits 0 in most shells and could still match `expect`.
 */
import { MabError } from '../errors.js';
import type { SmokeCheck, SmokeCommand, SmokeHttp, SmokeShell } from '../recipe/types.js';
import { alive } from '../util/process.js';
import { dockerResult } from './docker.js';
import { httpGet } from '../util/http-get.js';

export interface SmokeResult {
  name: string;
  passed: boolean;
  seconds: number;
  /** Last lines of output, for the report and for errors. */
  output: string;
}

const tail = (text: string) => text.split('\n').slice(-12).join('\n');

// dash ("sh: 1: grep: not found"), bash ("bash: line 1: grep: command not found"), busybox ("sh: grep: not found").
const NOT_FOUND = /^[\w./-]*sh: (?:line )?(?:\d+: )?([^\s:]+): (?:command )?not found$/m;

function verdict(exitCode: number | undefined, output: string, expect: string): [boolean, string] {
  const missing = NOT_FOUND.exec(output);
  if (missing) return [false, tail(`${output}\n(the check runs ${missing[1]}, which is not in the image)`)];
  return [exitCode === 0 && new RegExp(expect, 'm').test(output), tail(output)];
}

/** The engine the checks run on (its DOCKER_HOST), and where to say what happened on the way. */
interface Engine {
  env?: NodeJS.ProcessEnv | undefined;
  log?: ((line: string) => void) | undefined;
}

/**
 * `docker run` or `docker create` of the image just built, never pulled: an engine that cannot
 * find it locally must say so, not fetch whatever a registry has under that name. Engine 26.1 with
 * the containerd store once answered "not found" right after a build whose image it listed (seen
 * twice in CI runs, never alone); the second try, 2 s later, shows whether that passes.
 */
async function startContainer(verb: 'run' | 'create', image: string, args: string[], o: Engine & { timeout?: number }) {
  const start = () => dockerResult([verb, '--pull', 'never', ...args], o);
  const first = await start();
  // docker run exits 125 when docker itself failed (the container never ran), create exits 1.
  const missing = (r: typeof first) =>
    r.exitCode === (verb === 'run' ? 125 : 1) &&
    /Error response from daemon: .*(no such image|not found)/i.test(r.stderr);
  if (!missing(first)) return first;
  await new Promise((r) => setTimeout(r, 2000));
  const second = await start();
  if (!missing(second)) {
    o.log?.(`${verb} ${image}: the engine said it has no such image, then found it 2 s later: ${first.stderr.trim()}`);
    return second;
  }
  const note = `(the engine answered twice, 2 s apart, that it has no such image: docker image inspect ${image})`;
  return { ...second, stderr: `${second.stderr}\n${note}`, all: `${first.all}\n${second.all}\n${note}` };
}

async function runCommand(
  image: string,
  platform: string,
  check: SmokeCommand,
  engine: Engine,
): Promise<[boolean, string]> {
  const [entry, ...args] = check.run;
  const r = await startContainer(
    'run',
    image,
    ['--rm', '--platform', platform, '--network', 'none', '--entrypoint', entry!, image, ...args],
    { ...engine, timeout: 300_000 },
  );
  return verdict(r.exitCode, r.all, check.expect);
}

/** Where the helper shell is in a check's container. */
const SMOKE_SHELL_DIR = '/.mab-smoke';

/**
 * The helper shell goes into a created container with docker cp, which any engine does, a remote
 * one too (a bind mount would name a path of the engine's machine): the image is not changed.
 */
async function runShell(
  image: string,
  platform: string,
  check: SmokeShell,
  shellDir: string,
  engine: Engine,
): Promise<[boolean, string]> {
  const { env } = engine;
  const create = await startContainer(
    'create',
    image,
    [
      '--platform',
      platform,
      '--network',
      'none',
      '--entrypoint',
      `${SMOKE_SHELL_DIR}/busybox`,
      image,
      'sh',
      '-c',
      `set -eo pipefail\n${check.shell}`,
    ],
    engine,
  );
  if (create.exitCode !== 0) return [false, tail(create.stderr)];
  const id = create.stdout.trim();
  try {
    const cp = await dockerResult(['cp', shellDir, `${id}:${SMOKE_SHELL_DIR}`], { env });
    if (cp.exitCode !== 0) return [false, tail(`cannot copy the helper shell into the check's container: ${cp.all}`)];
    const r = await dockerResult(['start', '-a', id], { env, timeout: 300_000 });
    return verdict(r.exitCode, r.all, check.expect);
  } finally {
    await dockerResult(['rm', '-f', id], { env });
  }
}

/** Label on the server containers HTTP checks start, naming the mab process that owns them. */
const OWNER = 'dev.mab.smoke.owner';

/**
 * Removes server containers left by mab processes that are gone: a killed run cannot remove
 * its own, and they would serve (and, under QEMU, burn CPU) forever.
 */
export async function removeOrphanedSmokeContainers(env?: NodeJS.ProcessEnv): Promise<number> {
  const ps = await dockerResult(
    ['ps', '-a', '--filter', `label=${OWNER}`, '--format', `{{.ID}} {{.Label "${OWNER}"}}`],
    { env },
  );
  const orphans = ps.stdout
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter(([id, pid]) => id && !alive(Number(pid)))
    .map(([id]) => id!);
  if (orphans.length) await dockerResult(['rm', '-f', ...orphans], { env });
  return orphans.length;
}

/**
 * `host` is where the engine runs: this machine (the port is then published on loopback only), or
 * a remote engine's address (published on its interfaces, reached there).
 */
async function runHttp(
  image: string,
  platform: string,
  check: SmokeHttp,
  engine: Engine,
  host = '127.0.0.1',
  timeoutMs = 120_000,
): Promise<[boolean, string]> {
  const { env } = engine;
  const publish = host === '127.0.0.1' ? `127.0.0.1::${check.http.port}` : String(check.http.port);
  const run = await startContainer(
    'run',
    image,
    ['-d', '--label', `${OWNER}=${process.pid}`, '--platform', platform, '-p', publish, image],
    engine,
  );
  if (run.exitCode !== 0) return [false, tail(run.stderr)];
  const id = run.stdout.trim();
  try {
    const published = await dockerResult(['port', id, `${check.http.port}/tcp`], { env });
    if (published.exitCode !== 0) return [false, tail(`docker port: ${published.all}`)];
    const port = published.stdout.trim().split('\n')[0]!.split(':').pop();
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${check.http.path}`;
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const res = await httpGet(url, 5000);
        last = `GET ${check.http.path} → ${res.status}\n${res.body}`;
        return [res.status === 200 && new RegExp(check.expect, 'm').test(res.body), tail(last)];
      } catch (e) {
        last = `GET ${check.http.path}: ${(e as { code?: string }).code ?? (e as Error).message}`;
      }
      const state = (await dockerResult(['inspect', '-f', '{{.State.Running}}', id], { env })).stdout.trim();
      if (state !== 'true') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const logs = await dockerResult(['logs', id], { env });
    return [false, tail(`${last}\ncontainer output:\n${logs.all}`)];
  } finally {
    await dockerResult(['rm', '-f', id], { env });
  }
}

export interface SmokeOptions {
  /** The engine's environment (DOCKER_HOST). */
  env?: NodeJS.ProcessEnv;
  /** Where HTTP checks reach the engine's published ports. */
  host?: string;
  /** The helper shell for `shell:` checks (smokeShell's directory for the image's architecture). */
  shellDir?: string;
  /** Where to say what the checks met on the way (an engine that found the image only at a second try). */
  log?: (line: string) => void;
}

export async function runSmoke(
  image: string,
  platform: string,
  checks: SmokeCheck[],
  o: SmokeOptions = {},
): Promise<SmokeResult[]> {
  const { env, host, shellDir, log } = o;
  const results: SmokeResult[] = [];
  for (const check of checks) {
    const started = Date.now();
    if ('shell' in check && !shellDir)
      throw new MabError('E_SMOKE_SHELL', `smoke check "${check.name}" needs the helper shell, and none was fetched`);
    const [passed, output] =
      'http' in check
        ? await runHttp(image, platform, check, { env, log }, host)
        : 'shell' in check
          ? await runShell(image, platform, check, shellDir!, { env, log })
          : await runCommand(image, platform, check, { env, log });
    results.push({ name: check.name, passed, seconds: (Date.now() - started) / 1000, output });
  }
  return results;
}

/**
 * The error for a platform whose checks failed: every failed check with where the recipe gives
 * it, the pattern it expected and the output it got. The way in to debug depends on whether the
 * image has a shell: a `minimal` one has none.
 */
export function smokeFailure(
  platform: string,
  image: string,
  checks: SmokeCheck[],
  results: SmokeResult[],
  shell: boolean,
): MabError {
  const failed = results.map((r, i) => [r, checks[i]!] as const).filter(([r]) => !r.passed);
  const lines = failed.map(
    ([r, c]) =>
      `smoke check "${r.name}"${c.at ? ` (${c.at})` : ''} expected /${c.expect}/; output:\n${r.output.trimEnd() || '(none)'}`,
  );
  return new MabError(
    'E_SMOKE',
    `${platform}: ${failed.length} of ${results.length} smoke checks failed\n${lines.join('\n')}`,
    shell
      ? `the image is in the engine as ${image} to debug: docker run --rm -it --platform ${platform} --entrypoint sh ${image}`
      : `the image is in the engine as ${image}; it has no shell: list its files with docker export $(docker create --platform ${platform} ${image}) | tar -t, or look around with a shell: check (mab's helper shell)`,
  );
}
