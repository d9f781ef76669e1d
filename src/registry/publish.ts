/**
 * Publishing a fat manifest for images already in a repository: read each child's manifest and
 * config from the registry, assemble the index, then PUT it under every tag. Children must be
 * present first: the index is the last thing written, so a tag never points at missing content.
 */
import { jsonBytes } from '../oci/digest.js';
import { assembleIndex, type IndexChild } from '../oci/index.js';
import { pickImage, readTarget } from '../oci/model.js';
import type { Descriptor, Index, IndexFormat, Manifest } from '../oci/types.js';
import type { Platform } from '../platform/platform.js';
import type { RegistryClient } from './client.js';

export interface ChildRef {
  /** Tag or digest in the repository. */
  reference: string;
  expected?: Platform;
}

/**
 * The single-platform image a reference names, as an index child. An index there is unwrapped: its
 * attestations are dropped, then the one image left is taken, or, with several, the one for the
 * expected platform (pickImage), so a spec may list a buildx-pushed tag as it is.
 */
export async function readChild(
  client: RegistryClient,
  repo: string,
  ref: ChildRef,
): Promise<IndexChild & { manifestJson: Manifest }> {
  const where = `${client.registry}/${repo}:${ref.reference}`;
  const image = pickImage(await readTarget(client.repository(repo), ref.reference, ref.expected), ref.expected, where);
  return {
    manifest: { mediaType: image.descriptor.mediaType, digest: image.descriptor.digest, size: image.descriptor.size },
    config: image.config,
    source: where,
    manifestJson: image.manifest,
    ...(ref.expected ? { expected: ref.expected } : {}),
  };
}

export type ReadChild = Awaited<ReturnType<typeof readChild>>;

export interface PublishedIndex {
  digest: string;
  index: Index;
  tags: string[];
  /** The children as read back from the registry, in the order given. */
  children: ReadChild[];
}

export async function publishIndex(
  client: RegistryClient,
  repo: string,
  children: ChildRef[],
  tags: string[],
  format: IndexFormat,
  annotations?: Record<string, string>,
  /** Attestation manifests already in the repository, listed after the images (OCI only). */
  attestations: Descriptor[] = [],
): Promise<PublishedIndex> {
  const read = await Promise.all(children.map((c) => readChild(client, repo, c)));
  const index = assembleIndex(read, format, annotations);
  index.manifests.push(...attestations);
  const bytes = jsonBytes(index);
  let digest = '';
  for (const tag of tags) digest = await client.putManifest(repo, tag, index.mediaType, bytes);
  return { digest, index, tags, children: read };
}
