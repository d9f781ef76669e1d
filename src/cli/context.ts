import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { platformFromNodeArch } from '../platform/platform.js';
import type { Host } from '../build/preflight.js';
import { defaultCacheDir, type Io } from '../util/io.js';
import { parseMirror, type Mirror } from '../source/fetch.js';
import type { Values } from './command.js';

/** The installed package's root (recipes/ and templates/ ship with it). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function recipesDir(opts: Values, io: Io): string {
  return path.resolve(io.cwd, (opts.recipes as string | undefined) ?? (io.env.MAB_RECIPES || undefined) ?? path.join(PACKAGE_ROOT, 'recipes'));
}

/** The local OCI store: --store, else $MAB_STORE, else the cache dir's store/. */
export function storeDirOf(opts: Values, io: Io): string {
  return path.resolve(io.cwd, (opts.store as string | undefined) ?? (io.env.MAB_STORE || undefined) ?? path.join(defaultCacheDir(io.env), 'store'));
}

export function hostOf(io: Io): Host {
  return { platform: platformFromNodeArch(process.arch), binfmtDir: io.env.MAB_BINFMT_DIR ?? '/proc/sys/fs/binfmt_misc', env: io.env };
}

export function mirrorsOf(opts: Values, io: Io): Mirror[] {
  const fromEnv = (io.env.MAB_MIRRORS ?? '').split(',').filter(Boolean);
  return [...((opts.mirror as string[] | undefined) ?? []), ...fromEnv].map(parseMirror);
}

export function logger(io: Io, quiet: boolean): (msg: string) => void {
  return quiet ? () => {} : (msg) => io.err(msg + '\n');
}
