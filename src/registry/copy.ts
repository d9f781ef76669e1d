/**
 * Bringing an image that is in one repository of a registry into another of the same registry,
 * so an index there can name it: its blobs by cross-repository mount (or copy where the registry
 * refuses mounts), then its manifest under its digest. The bytes, and so the digest, stay the same.
 */
import { MabError } from '../errors.js';
import { MANIFEST_TYPES, type Manifest } from '../oci/types.js';
import type { Reference } from '../ref/reference.js';
import type { RegistryClient } from './client.js';

export interface InRepo {
  digest: string;
  mediaType: string;
  blobs: Record<'present' | 'mounted' | 'copied', number>;
}

export async function ensureInRepo(client: RegistryClient, from: Reference, repo: string): Promise<InRepo> {
  const m = await client.getManifest(from.repository, from.digest ?? from.tag!);
  const name = `${from.registry}/${from.repository}${from.digest ? `@${from.digest}` : `:${from.tag}`}`;
  if (!MANIFEST_TYPES.includes(m.mediaType))
    throw new MabError(
      'E_INDEX_CHILD',
      `${name} is ${m.mediaType}, not a single-platform image`,
      'list per-platform images, not another index',
    );
  if (from.digest && m.digest !== from.digest)
    throw new MabError('E_DIGEST_MISMATCH', `${name} resolved to ${m.digest}`);
  const blobs = { present: 0, mounted: 0, copied: 0 };
  if (from.repository !== repo) {
    const manifest = JSON.parse(m.bytes.toString()) as Manifest;
    for (const b of [manifest.config, ...manifest.layers])
      blobs[await client.copyBlob(repo, from.repository, b.digest)]++;
    await client.putManifest(repo, m.digest, m.mediaType, m.bytes);
  }
  return { digest: m.digest, mediaType: m.mediaType, blobs };
}
