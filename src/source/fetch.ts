/**
 * Sources and artifacts are fetched on the host, never inside a build: each is pinned by sha256
 * (md5 where upstream publishes only that),
 * stored once in a content-addressed cache, and can come from a mirror or a local path instead of
 * its upstream URL (`--mirror https://upstream.example/=/srv/mirror/`), which is how air-gapped
 * sites and the hermetic tests feed builds.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import type { BuildPlan, ResolvedSource } from '../plan/plan.js';
import type { Unpack } from '../recipe/types.js';
import { atomicWrite } from '../util/io.js';
import { fetchAptPackage } from './apt.js';
import { fetchDebianSource } from './debian.js';
import { fetchGit } from './git.js';
import { candidates, type Mirror } from './mirror.js';

export { candidates, parseMirror, type Mirror } from './mirror.js';

async function readLocation(location: string, timeoutMs?: number): Promise<Buffer> {
  if (/^https?:\/\//.test(location)) {
    const res = await fetch(location, {
      redirect: 'follow',
      ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  return readFile(location.startsWith('file://') ? fileURLToPath(location) : location);
}

/** Unpinned bytes from the first location that answers (for what a later check pins, such as a
 * signing key checked by its fingerprint). */
export async function fetchBytes(
  url: string,
  mirrors: Mirror[],
  what = url,
  timeoutMs?: number,
): Promise<{ data: Buffer; location: string }> {
  const tried: string[] = [];
  for (const location of candidates(url, mirrors)) {
    try {
      return { data: await readLocation(location, timeoutMs), location };
    } catch (e) {
      tried.push(`${location}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`);
    }
  }
  throw new MabError(
    'E_FETCH',
    `cannot fetch ${what}; tried:\n  ${tried.join('\n  ')}`,
    'give a mirror or local copy with --mirror PREFIX=REPLACEMENT (or MAB_MIRRORS), e.g. --mirror https://github.com/=/srv/mirror/github/',
  );
}

/** A pinned file: what fetchFile needs. md5 only where upstream publishes nothing stronger. */
export interface PinnedFile {
  file: string;
  url: string;
  sha256?: string;
  md5?: string;
}

/** The digest a file is pinned by, as [algorithm, hex]. */
export function pinOf(src: PinnedFile): ['sha256' | 'md5', string] {
  if (src.sha256) return ['sha256', src.sha256];
  if (src.md5) return ['md5', src.md5];
  throw new MabError('E_SOURCE', `${src.file} has no checksum`, 'pin it with sha256:');
}

/** Returns the path of the verified file in the cache, downloading it if needed. */
export async function fetchFile(
  src: PinnedFile,
  cacheDir: string,
  mirrors: Mirror[],
  log: (m: string) => void,
): Promise<string> {
  const [algorithm, pinned] = pinOf(src);
  const dest = path.join(cacheDir, 'sources', algorithm, pinned);
  if (await stat(dest).catch(() => undefined)) return dest;
  const { data, location } = await fetchBytes(src.url, mirrors, src.file);
  const actual = createHash(algorithm).update(data).digest('hex');
  if (actual !== pinned) {
    throw new MabError(
      'E_CHECKSUM',
      `${src.file} from ${location} has ${algorithm} ${actual}, the recipe pins ${pinned}`,
      'the file changed upstream or the mirror serves another file; update the recipe only if you trust the new file',
    );
  }
  await atomicWrite(dest, (tmp) => writeFile(tmp, data));
  log(`fetched ${src.file} (${data.length} bytes) from ${location}`);
  if (algorithm === 'md5')
    log(
      `${src.file} is pinned by md5 only, which does not stop a crafted file; its sha256 is ${createHash('sha256').update(data).digest('hex')}: pin that if you trust this copy`,
    );
  return dest;
}

const UNPACKERS: Record<Unpack, string> = { gzip: 'gzip', bzip2: 'bzip2', xz: 'xz' };

/** Decompresses a verified file once, into the cache beside it. */
async function unpackFile(packed: string, src: PinnedFile, how: Unpack, cacheDir: string): Promise<string> {
  const dest = path.join(cacheDir, 'sources', 'unpacked', `${pinOf(src).join('-')}.${how}`);
  if (await stat(dest).catch(() => undefined)) return dest;
  await atomicWrite(dest, async (tmp) => {
    const r = await execa(UNPACKERS[how], ['-dc', packed], { stdout: { file: tmp }, reject: false });
    if (r.exitCode === 0) return;
    const why = String(r.stderr || r.message)
      .split(packed)
      .join('it')
      .trim();
    throw new MabError(
      'E_UNPACK',
      `cannot ${how}-decompress ${src.file} (${src.url}): ${why}`,
      `the recipe says unpack: ${how}; check that the file is ${how} data`,
    );
  });
  return dest;
}

/** A fetched source in the cache: one file, a tree (as a tar), or a set of files. */
export type Cached =
  | { kind: 'file'; path: string }
  | { kind: 'tree'; tar: string }
  | { kind: 'files'; files: { name: string; path: string }[] };

/** What identifies a source's content: the same key means the same bytes in the build. */
export function cacheKey(s: ResolvedSource): string {
  if (s.kind === 'git') return `git:${s.commit}${s.paths ? `:${s.paths.join(',')}` : ''}`;
  if (s.kind === 'debian') return `debian:${s.sha256}`;
  if (s.kind === 'apt')
    return `apt:${[s.repo, s.suite, s.component, `${s.package}=${s.version}`, s.arch, s.fingerprint].join(' ')}`;
  return `${pinOf(s).join(':')}${s.unpack ? `+${s.unpack}` : ''}`;
}

export async function fetchSource(
  s: ResolvedSource,
  cacheDir: string,
  mirrors: Mirror[],
  log: (m: string) => void,
): Promise<Cached> {
  if (s.kind === 'git') return { kind: 'tree', tar: await fetchGit(s, cacheDir, mirrors, log) };
  if (s.kind === 'debian')
    return { kind: 'files', files: await fetchDebianSource(s, (f) => fetchFile(f, cacheDir, mirrors, log)) };
  if (s.kind === 'apt')
    return {
      kind: 'file',
      path: await fetchAptPackage(
        s,
        cacheDir,
        { bytes: (url, what) => fetchBytes(url, mirrors, what), pinned: (f) => fetchFile(f, cacheDir, mirrors, log) },
        log,
      ),
    };
  const file = await fetchFile(s, cacheDir, mirrors, log);
  return { kind: 'file', path: s.unpack ? await unpackFile(file, s, s.unpack, cacheDir) : file };
}

/** Every source and artifact of every target, fetched (or found in the cache) and verified. */
export async function fetchAll(
  plan: BuildPlan,
  cacheDir: string,
  mirrors: Mirror[],
  log: (m: string) => void,
): Promise<Map<string, Cached>> {
  const cached = new Map<string, Cached>();
  for (const t of plan.targets) {
    for (const s of [...t.sources, ...t.artifacts]) {
      const key = cacheKey(s);
      if (!cached.has(key)) cached.set(key, await fetchSource(s, cacheDir, mirrors, log));
    }
  }
  return cached;
}

/** Puts a cached source into a build context directory under its recipe name. */
export async function placeSource(cached: Cached, dir: string, name: string): Promise<void> {
  const dest = path.join(dir, name);
  if (cached.kind === 'file') return copyFile(cached.path, dest);
  await mkdir(dest, { recursive: true });
  if (cached.kind === 'files') {
    for (const f of cached.files) await copyFile(f.path, path.join(dest, f.name));
    return;
  }
  // git archive output: relative paths only, so it cannot write outside dest.
  await execa('tar', ['-xf', cached.tar, '-C', dest]);
}
