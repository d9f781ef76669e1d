/**
 * Where a report's images come from: a tag of the local store or a reference in a registry. Both
 * give the same thing per platform, manifest, config and a way to stream each layer, so the
 * analysis never knows which it reads.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { MabError } from '../errors.js';
import { imageEntries } from '../oci/index.js';
import { INDEX_TYPES, MANIFEST_TYPES, type Descriptor, type ImageConfig, type Index, type Manifest } from '../oci/types.js';
import { formatPlatform } from '../platform/platform.js';
import type { RegistryClient } from '../registry/client.js';
import type { Store } from '../store/layout.js';

export interface SourceImage {
  platform: string;
  manifest: { digest: string; size: number; mediaType: string; annotations?: Record<string, string> };
  config: ImageConfig;
  configSize: number;
  layers: Descriptor[];
}

export interface ImageSource {
  /** What the user named, e.g. `sysbench:1.0.20` or `127.0.0.1:5000/mab/sysbench:1.0.20`. */
  name: string;
  kind: 'store' | 'registry';
  /** The index's annotations (a store index carries recipe, version and strategy). */
  annotations: Record<string, string>;
  images: SourceImage[];
  open(layer: Descriptor): Promise<Readable>;
}

const platformOf = (entry: Descriptor | undefined, config: ImageConfig) => (entry?.platform ? formatPlatform(entry.platform) : formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }));

/** Reads one level of index (attestations dropped) or a single manifest, with a reader for blobs. */
async function collect(top: { mediaType: string; bytes: Buffer; digest: string }, read: (digest: string) => Promise<{ mediaType: string; bytes: Buffer }>, blob: (digest: string) => Promise<Buffer>, name: string): Promise<Pick<ImageSource, 'annotations' | 'images'>> {
  const index = INDEX_TYPES.includes(top.mediaType) ? (JSON.parse(top.bytes.toString()) as Index) : undefined;
  const entries: (Descriptor | undefined)[] = index ? imageEntries(index) : [undefined];
  const images: SourceImage[] = [];
  for (const entry of entries) {
    const m = entry ? await read(entry.digest) : top;
    if (!MANIFEST_TYPES.includes(m.mediaType)) throw new MabError('E_REPORT_TARGET', `${name}: ${entry?.digest ?? ''} is ${m.mediaType}, not an image manifest`, 'report on an image or an index of images');
    const manifest = JSON.parse(m.bytes.toString()) as Manifest;
    const configBytes = await blob(manifest.config.digest);
    const config = JSON.parse(configBytes.toString()) as ImageConfig;
    images.push({
      platform: platformOf(entry, config),
      manifest: { digest: entry?.digest ?? top.digest, size: m.bytes.length, mediaType: m.mediaType, ...(manifest.annotations ? { annotations: manifest.annotations } : {}) },
      config,
      configSize: configBytes.length,
      layers: manifest.layers,
    });
  }
  return { annotations: index?.annotations ?? {}, images };
}

export async function storeSource(store: Store, tag: string): Promise<ImageSource> {
  const top = await store.resolve(tag);
  if (!top) throw new MabError('E_REPORT_TARGET', `the store ${store.dir} has no tag "${tag}"`, 'see `mab store ls`, or build it first');
  const read = async (digest: string) => {
    const bytes = await store.readBlob(digest);
    return { bytes, mediaType: (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? '' };
  };
  const got = await collect({ ...(await read(top.digest)), mediaType: top.mediaType, digest: top.digest }, read, (d) => store.readBlob(d), tag);
  return { name: tag, kind: 'store', ...got, open: async (layer) => createReadStream(store.blobPath(layer.digest), { highWaterMark: 1024 * 1024 }) };
}

export async function registrySource(client: RegistryClient, repo: string, reference: string): Promise<ImageSource> {
  const name = `${client.registry}/${repo}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
  const top = await client.getManifest(repo, reference);
  const got = await collect(top, (d) => client.getManifest(repo, d), (d) => client.getBlob(repo, d), name);
  return { name, kind: 'registry', ...got, open: (layer) => client.blobStream(repo, layer.digest) };
}
