import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Where mab keeps downloads, rootfs tarballs and layers: $MAB_CACHE, else XDG's cache dir. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return env.MAB_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(env.HOME ?? os.homedir(), '.cache'), 'mab');
}

/**
 * Runs `write(tmp)` and renames tmp to dest: readers never see a half-written file, and a killed
 * run leaves only a *.tmp-* file that the next run overwrites.
 */
export async function atomicWrite<T>(dest: string, write: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(path.dirname(dest), { recursive: true });
  // Unique within the process too: two exports may write the same record at once.
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}${randomBytes(3).toString('hex')}`;
  try {
    const result = await write(tmp);
    await rename(tmp, dest);
    return result;
  } catch (e) {
    await rm(tmp, { force: true, recursive: true });
    throw e;
  }
}

/** Output sink, so commands run in-process in tests and write to the terminal in real use. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stderr is a terminal of this many columns (live progress lines); unset: plain lines. */
  terminalColumns?: number;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) ((v /= 1000), i++);
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
