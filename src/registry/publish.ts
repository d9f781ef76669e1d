/**
 * Publishing a fat manifest for images already in a repository: read each child's manifest and
 * config from the registry, assemble the index, then PUT it under every tag. Children must be
 * present first: the index is the last thing written, so a tag never points at missing content.
 */
import { MabError } from '../errors.js';
import { jsonBytes } from '../oci/digest.js';
import { assembleIndex, imageEntries, type IndexChild } from '../oci/index.js';
import { INDEX_TYPES, MANIFEST_TYPES, type ImageConfig, type Index, type IndexFormat, type Manifest } from '../oci/types.js';
import { formatPlatform, samePlatform, type Platform } from '../platform/platform.js';
import type { FetchedManifest, RegistryClient } from './client.js';

export interface ChildRef {
  /** Tag or digest in the repository. */
  reference: string;
  expected?: Platform;
}

/**
 * The single-platform image a reference names. An index there is unwrapped: its attestations
 * are dropped (imageEntries), then the one image left is taken, or, with several, the one for the
 * expected platform, so a spec may list a buildx-pushed tag as it is.
 */
export async function resolveImage(client: RegistryClient, repo: string, reference: string, expected?: Platform): Promise<FetchedManifest> {
  const m = await client.getManifest(repo, reference);
  if (MANIFEST_TYPES.includes(m.mediaType)) return m;
  const name = `${repo}:${reference}`;
  if (!INDEX_TYPES.includes(m.mediaType)) throw new MabError('E_INDEX_CHILD', `${name} is ${m.mediaType}, not an image`, 'list images or indexes of images');
  const images = imageEntries(JSON.parse(m.bytes.toString()) as Index);
  const listed = images.map((d) => (d.platform ? formatPlatform(d.platform) : '?')).join(', ') || 'none';
  const pick = images.length === 1 ? images[0] : expected ? images.find((d) => d.platform && samePlatform(d.platform, expected)) : undefined;
  if (!pick) {
    throw new MabError('E_INDEX_CHILD', `${name} is an index of ${images.length} images (${listed})${expected ? `, none for ${formatPlatform(expected)}` : ''}`, 'name the platform\'s image by digest, or list it under a platform the index has');
  }
  const child = await client.getManifest(repo, pick.digest);
  if (!MANIFEST_TYPES.includes(child.mediaType)) throw new MabError('E_INDEX_CHILD', `${name} → ${pick.digest} is ${child.mediaType}, not a single-platform image`, 'list per-platform images');
  return child;
}

export async function readChild(client: RegistryClient, repo: string, ref: ChildRef): Promise<IndexChild & { manifestJson: Manifest }> {
  const m = await resolveImage(client, repo, ref.reference, ref.expected);
  const manifestJson = JSON.parse(m.bytes.toString()) as Manifest;
  const config = JSON.parse((await client.getBlob(repo, manifestJson.config.digest)).toString()) as ImageConfig;
  return {
    manifest: { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length },
    config,
    source: `${client.registry}/${repo}:${ref.reference}`,
    manifestJson,
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

export async function publishIndex(client: RegistryClient, repo: string, children: ChildRef[], tags: string[], format: IndexFormat, annotations?: Record<string, string>): Promise<PublishedIndex> {
  const read = await Promise.all(children.map((c) => readChild(client, repo, c)));
  const index = assembleIndex(read, format, annotations);
  const bytes = jsonBytes(index);
  let digest = '';
  for (const tag of tags) digest = await client.putManifest(repo, tag, index.mediaType, bytes);
  return { digest, index, tags, children: read };
}
