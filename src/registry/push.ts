/**
 * Publishing from the local store with mab's own client: every platform's blobs (skipped when the
 * repository has them), then each platform manifest by digest, then a check that the repository
 * really holds every child, and only then the index under its tags. So a tag never points at an
 * index whose children are missing, and a push that fails halfway leaves the old tags untouched.
 *
 * The store keeps OCI manifests. For a Docker manifest list (the default: engines from the
 * 17.x/18.x era on edge boards read nothing else) each child is rewritten as a Docker v2 manifest
 * over the same blobs: only media types change, so the layers pushed are the bytes stored.
 */
import { MabError } from '../errors.js';
import { jsonBytes, sha256Digest } from '../oci/digest.js';
import { assembleIndex, type IndexChild } from '../oci/index.js';
import { INDEX_TYPES, MediaType, type Descriptor, type ImageConfig, type Index, type IndexFormat, type Manifest } from '../oci/types.js';
import { formatPlatform } from '../platform/platform.js';
import type { Store } from '../store/layout.js';
import type { RegistryClient } from './client.js';

export interface PushResult {
  digest: string;
  mediaType: string;
  tags: string[];
  children: { platform: string; digest: string; manifest: Manifest }[];
  blobBytesSent: number;
  blobsSkipped: number;
  retries: number;
}

const DOCKER_TYPES: Record<string, string> = {
  [MediaType.OciConfig]: MediaType.DockerConfig,
  [MediaType.OciLayerGzip]: MediaType.DockerLayerGzip,
};

/** The same image as a Docker v2 manifest (same blobs, Docker media types). */
export function toDockerManifest(m: Manifest): Manifest {
  const convert = (d: Descriptor): Descriptor => {
    const mediaType = DOCKER_TYPES[d.mediaType] ?? d.mediaType;
    if (!Object.values(DOCKER_TYPES).includes(mediaType)) throw new MabError('E_INDEX_FORMAT', `a ${d.mediaType} blob has no Docker v2 equivalent`, 'push with --index-format oci');
    return { mediaType, digest: d.digest, size: d.size };
  };
  return { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: convert(m.config), layers: m.layers.map(convert) };
}

/** Runs fn over items with at most `jobs` at a time. */
async function eachLimited<T>(items: T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function pushFromStore(store: Store, storeTag: string, client: RegistryClient, repo: string, o: { tags: string[]; format: IndexFormat; jobs?: number; log?: (m: string) => void }): Promise<PushResult> {
  const top = await store.resolve(storeTag);
  if (!top) throw new MabError('E_STORE_TAG', `the store ${store.dir} has no tag "${storeTag}"`, 'see `mab store ls`');
  const entries: Descriptor[] = INDEX_TYPES.includes(top.mediaType) ? (JSON.parse((await store.readBlob(top.digest)).toString()) as Index).manifests : [top];
  const before = { ...client.stats };

  const children: (IndexChild & { platform: string; manifestJson: Manifest })[] = [];
  for (const entry of entries) {
    const stored = JSON.parse((await store.readBlob(entry.digest)).toString()) as Manifest;
    const config = JSON.parse((await store.readBlob(stored.config.digest)).toString()) as ImageConfig;
    const platform = entry.platform ? formatPlatform(entry.platform) : `${config.os}/${config.architecture}`;
    const blobs = [stored.config, ...stored.layers];
    let sent = 0;
    await eachLimited(blobs, o.jobs ?? 3, async (b) => {
      if (await client.pushBlob(repo, b.digest, b.size, { path: store.blobPath(b.digest) })) sent += b.size;
    });
    const manifestJson = o.format === 'docker' ? toDockerManifest(stored) : stored;
    const bytes = jsonBytes(manifestJson);
    const digest = await client.putManifest(repo, sha256Digest(bytes), manifestJson.mediaType, bytes);
    o.log?.(`[${platform}] ${repo}@${digest}: ${blobs.length} blobs, ${sent} bytes sent`);
    children.push({ manifest: { mediaType: manifestJson.mediaType, digest, size: bytes.length }, config, source: `${storeTag} ${platform}`, platform, manifestJson });
  }

  // Every child must be in the repository before an index names it.
  for (const c of children) {
    const there = await client.headManifest(repo, c.manifest.digest);
    if (!there) throw new MabError('E_PUSH_CHILD_MISSING', `${repo}@${c.manifest.digest} (${c.platform}) is not in the repository after its push`, 'nothing was tagged; push again');
  }
  const index = INDEX_TYPES.includes(top.mediaType) ? assembleIndex(children, o.format) : undefined;
  const bytes = index ? jsonBytes(index) : undefined;
  let digest = children[0]!.manifest.digest;
  for (const tag of o.tags) {
    digest = index ? await client.putManifest(repo, tag, index.mediaType, bytes!) : await client.putManifest(repo, tag, children[0]!.manifest.mediaType, jsonBytes(children[0]!.manifestJson));
  }
  return {
    digest,
    mediaType: index?.mediaType ?? children[0]!.manifest.mediaType,
    tags: o.tags,
    children: children.map((c) => ({ platform: c.platform, digest: c.manifest.digest, manifest: c.manifestJson })),
    blobBytesSent: client.stats.blobBytesSent - before.blobBytesSent,
    blobsSkipped: client.stats.blobsSkipped - before.blobsSkipped,
    retries: client.stats.retries - before.retries,
  };
}

