/**
 * A repository of a registry as a copy's destination (oci/copy.ts): a blob the source repository
 * holds in the same registry, or one a hint names, is mounted (nothing crosses the network); the
 * rest is uploaded, from the source's file when it has one (in chunks when large), else streamed
 * from the source as it is read. Also ensureInRepo, the copy `mab manifest push` makes of each image
 * it lists into the index's repository.
 */
import { MabError } from '../errors.js';
import { copyTarget, type BlobCounts, type Destination } from '../oci/copy.js';
import { readTarget } from '../oci/model.js';
import type { Reference } from '../ref/reference.js';
import type { BlobBody, RegistryClient } from './client.js';

/** What else is known of where blobs are in this registry (the store's record of its pushes). */
export interface MountHints {
  /** Repositories of the registry that held the blob once, most recent first. */
  mountFrom(digest: string): string[];
  /** Told of each blob the repository now holds. */
  stored(digest: string): Promise<void>;
}

export function registryDestination(client: RegistryClient, repo: string, hints?: MountHints): Destination {
  return {
    name: `${client.registry}/${repo}`,
    resolve: async (tag) => (await client.headManifest(repo, tag))?.digest,
    async putBlob(blob, from, o) {
      const sameRegistry = from.origin?.registry === client.registry ? [from.origin.repository] : [];
      const body: BlobBody =
        o.bytes ?? (from.file ? { path: from.file(blob.digest) } : { open: () => from.open(blob.digest) });
      const how = await client.pushBlob(repo, blob.digest, blob.size, body, {
        mountFrom: [...sameRegistry, ...(hints?.mountFrom(blob.digest) ?? [])],
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
      await hints?.stored(blob.digest);
      return how === 'uploaded' ? 'copied' : how;
    },
    async putManifest(raw, tag) {
      await client.putManifest(repo, tag ?? raw.digest, raw.mediaType, raw.bytes);
    },
  };
}

export interface InRepo {
  digest: string;
  mediaType: string;
  blobs: BlobCounts;
}

/** Makes the single-platform image `from` names (in this registry) present in repo, by digest. */
export async function ensureInRepo(client: RegistryClient, from: Reference, repo: string): Promise<InRepo> {
  const source = client.repository(from.repository);
  const name = `${from.registry}/${from.repository}${from.digest ? `@${from.digest}` : `:${from.tag}`}`;
  const target = await readTarget(source, from.digest ?? from.tag!);
  if (target.index)
    throw new MabError(
      'E_INDEX_CHILD',
      `${name} is ${target.top.mediaType}, not a single-platform image`,
      'list per-platform images, not another index',
    );
  if (from.digest && target.top.digest !== from.digest)
    throw new MabError('E_DIGEST_MISMATCH', `${name} resolved to ${target.top.digest}`);
  const blobs = { present: 0, mounted: 0, copied: 0 };
  if (from.repository === repo) return { digest: target.top.digest, mediaType: target.top.mediaType, blobs };
  const r = await copyTarget(source, target, registryDestination(client, repo));
  return { digest: r.digest, mediaType: r.mediaType, blobs: r.blobs };
}
