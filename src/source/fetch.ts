/**
 * Sources and artifacts are fetched on the host, never inside a build: each is pinned by sha256,
 * stored once in a content-addressed cache, and can come from a mirror or a local path instead of
 * its upstream URL (`--mirror https://upstream.example/=/srv/mirror/`), which is how air-gapped
 * sites and the hermetic tests feed builds.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MabError } from '../errors.js';
import type { BuildPlan, ResolvedSource } from '../plan/plan.js';
import { atomicWrite } from '../util/io.js';

export interface Mirror {
  from: string;
  to: string;
}

export function parseMirror(spec: string): Mirror {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new MabError('E_MIRROR', `--mirror "${spec}" is not PREFIX=REPLACEMENT`, 'e.g. --mirror http://deb.debian.org/debian/=http://127.0.0.1:8080/debian/ or =/srv/files/');
  return { from: spec.slice(0, eq), to: spec.slice(eq + 1) };
}

/** Where a URL is tried, in order: every matching mirror, then the URL itself. */
export function candidates(url: string, mirrors: Mirror[]): string[] {
  const out = mirrors.filter((m) => url.startsWith(m.from)).map((m) => m.to + url.slice(m.from.length));
  return [...out, url];
}

async function readLocation(location: string): Promise<Buffer> {
  if (/^https?:\/\//.test(location)) {
    const res = await fetch(location, { redirect: 'follow' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  return readFile(location.startsWith('file://') ? fileURLToPath(location) : location);
}

/** Returns the path of the verified file in the cache, downloading it if needed. */
export async function fetchSource(src: ResolvedSource, cacheDir: string, mirrors: Mirror[], log: (m: string) => void): Promise<string> {
  const dest = path.join(cacheDir, 'sources', 'sha256', src.sha256);
  if (await stat(dest).catch(() => undefined)) return dest;
  const tried: string[] = [];
  for (const location of candidates(src.url, mirrors)) {
    let data: Buffer;
    try {
      data = await readLocation(location);
    } catch (e) {
      tried.push(`${location}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`);
      continue;
    }
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== src.sha256) {
      throw new MabError('E_CHECKSUM', `${src.file} from ${location} has sha256 ${actual}, the recipe pins ${src.sha256}`, 'the file changed upstream or the mirror serves another file; update the recipe only if you trust the new file');
    }
    await atomicWrite(dest, (tmp) => writeFile(tmp, data));
    log(`fetched ${src.file} (${data.length} bytes) from ${location}`);
    return dest;
  }
  throw new MabError('E_FETCH', `cannot fetch ${src.file}; tried:\n  ${tried.join('\n  ')}`, 'give a mirror or local copy with --mirror PREFIX=REPLACEMENT (or MAB_MIRRORS), e.g. --mirror https://github.com/=/srv/mirror/github/');
}

/** Every source of every target, fetched (or found in the cache) and verified: sha256 → path. */
export async function fetchAll(plan: BuildPlan, cacheDir: string, mirrors: Mirror[], log: (m: string) => void): Promise<Map<string, string>> {
  const cached = new Map<string, string>();
  for (const t of plan.targets) for (const s of t.sources) if (!cached.has(s.sha256)) cached.set(s.sha256, await fetchSource(s, cacheDir, mirrors, log));
  return cached;
}

/** Puts a cached source into a build context under its recipe file name. */
export async function placeSource(cached: string, contextSources: string, file: string): Promise<void> {
  await copyFile(cached, path.join(contextSources, file));
}
