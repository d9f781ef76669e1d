/**
 * Assembling a fat manifest (Docker manifest list v2 or OCI image index) from per-platform
 * images. Pure: the caller fetches each child's manifest descriptor and config.
 *
 * Rules, each one a way multi-arch publishing goes wrong in the field:
 *  - platform fields come from the child's config, never from what the caller believes it built;
 *  - a child whose config disagrees with the platform it is listed under is refused (a wrong
 *    entry makes a board pull an image it cannot run, and restart it forever);
 *  - two children for one platform are refused (clients would pick one at random);
 *  - a Docker manifest list may only hold Docker v2 manifests (old engines on edge boards do not
 *    understand OCI), so mixing needs --index-format oci.
 */
import { MabError } from '../errors.js';
import { formatPlatform, type Platform } from '../platform/platform.js';
import { MediaType, type Descriptor, type ImageConfig, type Index, type IndexFormat } from './types.js';

export interface IndexChild {
  /** The child manifest: mediaType, digest and size as stored in the registry. */
  manifest: Descriptor;
  config: ImageConfig;
  /** The platform the caller built it for, checked against the config when given. */
  expected?: Platform;
  /** Name to show in errors (a tag or file). */
  source: string;
}

/**
 * The entries of an index that are images. BuildKit lists its provenance and SBOM attestations
 * beside the images, as platform unknown/unknown with a vnd.docker.reference.type annotation; old
 * clients pick them as if they were images, so an index mab assembles never carries them.
 */
export function imageEntries(index: Pick<Index, 'manifests'>): Descriptor[] {
  return index.manifests.filter(
    (d) =>
      d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' &&
      !(d.platform?.os === 'unknown' && d.platform.architecture === 'unknown'),
  );
}

export function platformOfConfig(config: ImageConfig): Platform & { 'os.version'?: string } {
  return {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {}),
    ...(config['os.version'] ? { 'os.version': config['os.version'] } : {}),
  };
}

export function assembleIndex(
  children: IndexChild[],
  format: IndexFormat,
  annotations?: Record<string, string>,
): Index {
  if (children.length === 0)
    throw new MabError(
      'E_INDEX_EMPTY',
      'cannot assemble an index with no images',
      'build or list at least one platform',
    );
  const seen = new Map<string, string>();
  const manifests = children.map((c): Descriptor => {
    const platform = platformOfConfig(c.config);
    const key = formatPlatform(platform);
    if (c.expected && formatPlatform(c.expected) !== key) {
      throw new MabError(
        'E_INDEX_PLATFORM',
        `${c.source} was listed as ${formatPlatform(c.expected)} but its config says ${key}`,
        'rebuild that platform with BuildKit (the legacy builder writes the host architecture into the config)',
      );
    }
    const prior = seen.get(key);
    if (prior)
      throw new MabError(
        'E_INDEX_DUPLICATE',
        `two images for ${key}: ${prior} and ${c.source}`,
        'list each platform once',
      );
    seen.set(key, c.source);
    if (format === 'docker' && c.manifest.mediaType !== MediaType.DockerManifest) {
      throw new MabError(
        'E_INDEX_FORMAT',
        `${c.source} is ${c.manifest.mediaType}, which a Docker manifest list cannot hold`,
        'pass --index-format oci, or rebuild the image as a Docker v2 manifest',
      );
    }
    return { mediaType: c.manifest.mediaType, digest: c.manifest.digest, size: c.manifest.size, platform };
  });
  if (format === 'docker') {
    // Docker's manifest list has no annotations field; old clients reject unknown fields less often
    // than one might hope, so none is written.
    return { schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests };
  }
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests, ...(annotations ? { annotations } : {}) };
}
