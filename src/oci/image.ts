/**
 * The image model every backend gives (the engine's save archive now; the store and a registry
 * are to follow): one platform's image as its config and its layers. After go-containerregistry's
 * v1.Image, cut to what mab reads: a layer is known by both its digests, the blob's (compressed,
 * what a manifest lists and a registry stores) and its diff_id (the tar inside, what the config
 * lists), so a backend that holds either form says both.
 */
import type { Descriptor, ImageConfig } from './types.js';

export interface Layer {
  /** The compressed blob: what a manifest lists. */
  blob: Descriptor;
  /** Digest of the uncompressed tar: what the config's rootfs.diff_ids list. */
  diffId: string;
  /** Size of the uncompressed tar. */
  size: number;
}

export interface Image {
  /** The config's bytes, as its digest was taken over them. */
  configBytes: Buffer;
  config: ImageConfig;
  /** Bottom first, as the config lists their diff_ids. */
  layers: Layer[];
}
