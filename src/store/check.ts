/**
 * `mab store ls | verify | gc`: what a store holds, whether every byte is what its name says and
 * every tag's graph is complete, and removing what no tag reaches.
 */
import { rm } from 'node:fs/promises';
import { INDEX_TYPES, MANIFEST_TYPES, type Descriptor, type Index, type Manifest } from '../oci/types.js';
import { alive } from '../util/process.js';
import { REF_NAME, type Store } from './layout.js';

export interface Problem {
  /** The tag (or "-" for a blob no tag reaches) whose graph has the problem. */
  tag: string;
  digest: string;
  problem: 'missing' | 'size' | 'corrupt' | 'unreadable';
  detail: string;
}

/** Walks a descriptor's graph (index → manifests → config and layers), calling visit on each. */
async function walk(store: Store, d: Descriptor, visit: (d: Descriptor) => Promise<boolean>): Promise<void> {
  if (!(await visit(d))) return;
  if (!MANIFEST_TYPES.includes(d.mediaType) && !INDEX_TYPES.includes(d.mediaType)) return;
  const doc = JSON.parse((await store.readBlob(d.digest)).toString('utf8')) as Partial<Manifest & Index>;
  const children = INDEX_TYPES.includes(d.mediaType) ? (doc.manifests ?? []) : [doc.config!, ...(doc.layers ?? [])];
  for (const c of children) await walk(store, c, visit);
}

/** Every digest some tag reaches, and the problems on the way (missing or wrong-size blobs). */
export async function reachable(store: Store): Promise<{ digests: Set<string>; problems: Problem[] }> {
  const sizes = new Map((await store.files()).blobs.map((b) => [b.digest, b.size]));
  const digests = new Set<string>();
  const problems: Problem[] = [];
  for (const top of (await store.index()).manifests) {
    const tag = top.annotations?.[REF_NAME] ?? '(untagged)';
    const visit = async (d: Descriptor): Promise<boolean> => {
      digests.add(d.digest);
      const size = sizes.get(d.digest);
      if (size === undefined)
        problems.push({ tag, digest: d.digest, problem: 'missing', detail: `${d.mediaType} is not in the store` });
      else if (size !== d.size)
        problems.push({
          tag,
          digest: d.digest,
          problem: 'size',
          detail: `${size} bytes on disk, ${d.size} in its descriptor`,
        });
      return size === d.size;
    };
    await walk(store, top, visit).catch((e: Error) =>
      problems.push({ tag, digest: top.digest, problem: 'unreadable', detail: e.message }),
    );
  }
  return { digests, problems };
}

/** Re-hashes every blob and checks every tag's graph. An empty list means the store is sound. */
export async function verify(store: Store): Promise<{ blobs: number; bytes: number; problems: Problem[] }> {
  const { blobs } = await store.files();
  const { problems } = await reachable(store);
  for (const b of blobs) {
    const actual = await store.hashFile(b.digest);
    if (actual !== b.digest)
      problems.push({
        tag: '-',
        digest: b.digest,
        problem: 'corrupt',
        detail: `the file's content has digest ${actual}`,
      });
  }
  return { blobs: blobs.length, bytes: blobs.reduce((n, b) => n + b.size, 0), problems };
}

/**
 * Removes blobs no tag reaches and temp files of processes that are gone. A blob younger than
 * `graceMs` stays: a build writes its blobs before it tags them.
 */
export async function gc(
  store: Store,
  graceMs = 3600_000,
  now = Date.now(),
): Promise<{ removed: string[]; bytes: number; temps: number }> {
  return store.withLock(async () => {
    const { digests } = await reachable(store);
    const { blobs, temps } = await store.files();
    const removed: string[] = [];
    let bytes = 0;
    for (const b of blobs) {
      if (digests.has(b.digest) || now - b.mtimeMs < graceMs) continue;
      await rm(store.blobPath(b.digest), { force: true });
      removed.push(b.digest);
      bytes += b.size;
    }
    let gone = 0;
    for (const t of temps) {
      if (t.pid !== process.pid && !alive(t.pid)) (await rm(t.file, { force: true }), gone++);
    }
    return { removed, bytes, temps: gone };
  });
}
