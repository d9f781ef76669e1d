import path from 'node:path';
import { execa } from 'execa';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const REGISTRY = '127.0.0.1:5000';

/** Runs the mab bin exactly as a user would (compiled, in a child process). */
export async function mab(args: string[], env: NodeJS.ProcessEnv = {}) {
  return execa('node', [path.join(ROOT, 'bin/mab.js'), ...args], { reject: false, env: { ...process.env, ...env }, cwd: ROOT, stdin: 'ignore' });
}

export async function sh(cmd: string, args: string[]) {
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore', all: true });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode}):\n${r.all}`);
  return r.stdout;
}

/** skopeo, a tool mab did not write, reading from the loopback registry. */
export async function skopeoJson<T>(args: string[], ref: string): Promise<T> {
  return JSON.parse(await sh('skopeo', ['inspect', '--tls-verify=false', ...args, `docker://${ref}`])) as T;
}
