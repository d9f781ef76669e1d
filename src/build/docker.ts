/**
 * The docker CLI, run with execa. Every call goes through here so errors read the same way and
 * name the command that failed.
 */
import { execa } from 'execa';
import { MabError } from '../errors.js';

export const DOCKER = process.env.MAB_DOCKER ?? 'docker';

export async function docker(args: string[], opts: { env?: NodeJS.ProcessEnv; what?: string } = {}): Promise<string> {
  const r = await execa(DOCKER, args, { reject: false, env: opts.env, stdin: 'ignore' });
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
export async function dockerStreaming(args: string[], onLine: (line: string) => void, opts: { env?: NodeJS.ProcessEnv; what: string }): Promise<void> {
  const tail: string[] = [];
  const proc = execa(DOCKER, args, { all: true, buffer: false, reject: false, env: opts.env, stdin: 'ignore' });
  for await (const line of proc.iterable({ from: 'all' })) {
    const text = String(line);
    tail.push(text);
    if (tail.length > 25) tail.shift();
    onLine(text);
  }
  const r = await proc;
  if (r.exitCode !== 0) throw new MabError('E_BUILD', `${opts.what} failed (exit ${r.exitCode ?? '?'}); last output:\n${tail.join('\n')}`, 'read the output above; re-run with --keep-context to inspect the generated build context');
}
