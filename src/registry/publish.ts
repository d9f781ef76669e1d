/**
 * Publishing a fat manifest for images already in a repository: read each child's manifest and
 * config from the registry, assemble the index, then PUT it under every tag. Children must be
 * present first: the index is the last thing written, so a tag never points at missing content.
 */
import { MabError } from '../errors.js';
import { jsonBytes } from '../oci/digest.js';
import { assembleIndex, type IndexChild } from '../oci/index.js';
import { MANIFEST_TYPES, type ImageConfig, type Index, type IndexFormat, type Manifest } from '../oci/types.js';
import type { Platform } from '../platform/platform.js';
import type { RegistryClient } from './client.js';

export interface ChildRef {
  /** Tag or digest in the repository. */
  reference: string;
  expected?: Platform;
}

export async function readChild(client: RegistryClient, repo: string, ref: ChildRef): Promise<IndexChild & { manifestJson: Manifest }> {
  const m = await client.getManifest(repo, ref.reference);
  if (!MANIFEST_TYPES.includes(m.mediaType)) {
    throw new MabError('E_INDEX_CHILD', `${repo}:${ref.reference} is ${m.mediaType}, not a single-platform image manifest`, 'list per-platform images, not another index');
  }
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
