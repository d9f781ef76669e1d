/**
 * The docker CLI, run with execa. Every call goes through here so errors read the same way and
 * name the command that failed. Which engine answers is the caller's environment (DOCKER_HOST,
 * DOCKER_CONTEXT), given with each call: nothing is read when this module loads.
 */
import { execa } from 'execa';
import { MabError } from '../errors.js';

/** The docker CLI to run: $MAB_DOCKER of the call's environment, else docker on the PATH. */
const bin = (env?: NodeJS.ProcessEnv) => (env ?? process.env).MAB_DOCKER ?? 'docker';

export interface DockerCall {
  env?: NodeJS.ProcessEnv | undefined;
  /** Milliseconds before the command is killed. */
  timeout?: number;
}

/** Output of a docker command that was allowed to fail: the caller reads its exit code. */
export interface DockerResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as a terminal shows them. */
  all: string;
}

export async function dockerResult(args: string[], o: DockerCall = {}): Promise<DockerResult> {
  const r = await execa(bin(o.env), args, {
    reject: false,
    all: true,
    env: o.env,
    stdin: 'ignore',
    ...(o.timeout ? { timeout: o.timeout } : {}),
  });
  return { exitCode: r.exitCode, stdout: r.stdout ?? '', stderr: r.stderr ?? '', all: r.all ?? '' };
}

/** A running docker command whose stdout is read as a byte stream (docker save). */
export function dockerStream(args: string[], o: DockerCall = {}) {
  return execa(bin(o.env), args, { buffer: false, env: o.env, stdin: 'ignore', encoding: 'buffer' });
}

export async function docker(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv | undefined; what?: string } = {},
): Promise<string> {
  const r = await execa(bin(opts.env), args, { reject: false, env: opts.env, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    const msg = (r.stderr || r.stdout || String(r.message)).trim().split('\n').slice(-8).join('\n');
    throw new MabError('E_DOCKER', `${opts.what ?? `docker ${args[0]}`} failed (exit ${r.exitCode ?? '?'}):\n${msg}`);
  }
  return r.stdout;
}

/**
 * Runs docker with output streamed line by line to `onLine`; resolves with the last lines, which
 * go into the error when it fails.
 */
export async function dockerStreaming(
  args: string[],
  onLine: (line: string) => void,
  opts: { env?: NodeJS.ProcessEnv; what: string },
): Promise<void> {
  const tail: string[] = [];
  const proc = execa(bin(opts.env), args, { all: true, buffer: false, reject: false, env: opts.env, stdin: 'ignore' });
  for await (const line of proc.iterable({ from: 'all' })) {
    const text = String(line);
    tail.push(text);
    if (tail.length > 25) tail.shift();
    onLine(text);
  }
  const r = await proc;
  if (r.exitCode !== 0)
    throw new MabError(
      'E_BUILD',
      `${opts.what} failed (exit ${r.exitCode ?? '?'}); last output:\n${tail.join('\n')}`,
      'read the output above; re-run with --keep-context to inspect the generated build context',
    );
}
