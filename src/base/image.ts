/**
 * A single-layer image from a rootfs tar: config and Docker v2 manifest written by mab, because
 * `docker import --platform` on engine 20.10 does not reliably record the architecture.
 */
import { jsonBytes, sha256Digest } from '../oci/digest.js';
import type { LayerBlob } from '../oci/layer.js';
import { MediaType, type ImageConfig, type Manifest } from '../oci/types.js';
import type { Platform } from '../platform/platform.js';

export interface BuiltImage {
  platform: Platform;
  layer: LayerBlob;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
}

export function singleLayerImage(
  platform: Platform,
  layer: LayerBlob,
  created: string,
  createdBy: string,
  cmd: string[],
): BuiltImage {
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: createdBy }],
  };
  const configBytes = jsonBytes(config);
  const configDigest = sha256Digest(configBytes);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: { mediaType: MediaType.DockerConfig, digest: configDigest, size: configBytes.length },
    layers: [{ mediaType: MediaType.DockerLayerGzip, digest: layer.digest, size: layer.size }],
  };
  const manifestBytes = jsonBytes(manifest);
  return {
    platform,
    layer,
    config: configBytes,
    configDigest,
    manifest: manifestBytes,
    manifestDigest: sha256Digest(manifestBytes),
  };
}
