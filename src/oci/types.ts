/**
 * The OCI image-spec and Docker distribution types mab reads and writes, named as the specs name
 * them. https://github.com/opencontainers/image-spec/blob/main/manifest.md and index.md; Docker's
 * manifest list v2 (https://distribution.github.io/distribution/spec/manifest-v2-2/) has the same
 * shape with its own media types.
 */
import type { Platform } from '../platform/platform.js';

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** The config of an artifact that has none (image-spec 1.1): the two bytes `{}`. */
  OciEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export const MANIFEST_TYPES: readonly string[] = [MediaType.DockerManifest, MediaType.OciManifest];
export const INDEX_TYPES: readonly string[] = [MediaType.DockerManifestList, MediaType.OciIndex];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform & { 'os.version'?: string };
  annotations?: Record<string, string>;
  /** image-spec 1.1: what an artifact manifest (or a referrer listed in an index) is. */
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  /** image-spec 1.1, for artifacts: their type, and the manifest they are about. */
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  config?: {
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    Labels?: Record<string, string>;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

export type IndexFormat = 'docker' | 'oci';
