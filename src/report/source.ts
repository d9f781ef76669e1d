/**
 * Where a report's images come from: a tag of the local store or a reference in a registry. Both
 * give the same thing per platform, manifest, config and a way to stream each layer, so the
 * analysis never knows which it reads.
 */
import type { Readable } from 'node:stream';
import { readTarget, type Repository } from '../oci/model.js';
import type { Descriptor, ImageConfig } from '../oci/types.js';
import type { Platform } from '../platform/platform.js';
import type { RegistryClient } from '../registry/client.js';
import type { Store } from '../store/layout.js';

export interface SourceImage {
  platform: Platform;
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

/** What a report reads of a target: each image's manifest, config and layers, and a way to stream a layer. */
async function fromTarget(
  repo: Repository,
  reference: string,
  name: string,
  kind: ImageSource['kind'],
): Promise<ImageSource> {
  const t = await readTarget(repo, reference);
  const images = t.images.map((i): SourceImage => ({
    platform: i.platform,
    manifest: {
      digest: i.descriptor.digest,
      size: i.descriptor.size,
      mediaType: i.descriptor.mediaType,
      ...(i.manifest.annotations ? { annotations: i.manifest.annotations } : {}),
    },
    config: i.config,
    configSize: i.configBytes.length,
    layers: i.manifest.layers,
  }));
  return { name, kind, annotations: t.index?.annotations ?? {}, images, open: (layer) => repo.open(layer.digest) };
}

export async function storeSource(store: Store, tag: string): Promise<ImageSource> {
  return fromTarget(store.repository(), tag, tag, 'store');
}

export async function registrySource(client: RegistryClient, repo: string, reference: string): Promise<ImageSource> {
  const name = `${client.registry}/${repo}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
  return fromTarget(client.repository(repo), reference, name, 'registry');
}
