/**
 * The image model every backend gives, after go-containerregistry's Image and ImageIndex, cut to
 * what mab reads. A place that holds manifests and blobs by digest is a Repository: the local
 * store (an OCI layout) and a registry repository are both one. What a reference names is read
 * by one walker, readTarget: the top manifest, the index when it is one (its attestations dropped,
 * as no board must pull them), and each image's manifest and config with its platform. The engine
 * gives the same Image (image.ts) from a `docker save` archive, which has no manifests of its own.
 */
import type { Readable } from 'node:stream';
import { MabError } from '../errors.js';
import { formatPlatform, samePlatform, type Platform } from '../platform/platform.js';
import { imageEntries, platformOfConfig } from './index.js';
import { INDEX_TYPES, MANIFEST_TYPES, type Descriptor, type ImageConfig, type Index, type Manifest } from './types.js';

/** A manifest or index as a repository holds it: its bytes, their digest and the media type. */
export interface RawManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export interface Repository {
  /** For messages: "the store DIR" or "REGISTRY/REPOSITORY". */
  readonly name: string;
  /** A manifest or an index, by tag or digest. */
  manifest(reference: string): Promise<RawManifest>;
  /** A small blob whole (a config). */
  blob(digest: string): Promise<Buffer>;
  /** A blob as a stream (a layer). */
  open(digest: string): Promise<Readable>;
  /** The blob's file, when the repository is on this disk: an upload can then go in chunks. */
  file?(digest: string): string;
  /** The registry and repository, for a registry repository: another of that registry can mount from it. */
  readonly origin?: { registry: string; repository: string };
}

/** One platform's image in a repository. */
export interface PlatformImage {
  platform: Platform;
  /** The manifest's descriptor: as the index lists it (with its annotations), or the top itself. */
  descriptor: Descriptor;
  /** The manifest as the repository holds it (a copy puts these bytes, so the digest stays). */
  raw: RawManifest;
  manifest: Manifest;
  configBytes: Buffer;
  config: ImageConfig;
}

/** What a reference names: one image, or an index and the images it lists, in its order. */
export interface Target {
  reference: string;
  top: RawManifest;
  index?: Index;
  /** An index's image entries (attestations dropped), read or not. */
  entries?: Descriptor[];
  /**
   * The images read: every one, or, when asked for one platform, those that can be it; with
   * `all`, every manifest the index lists, attestations too, in its order.
   */
  images: PlatformImage[];
}

const parse = <T>(bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T;

async function readImage(
  repo: Repository,
  raw: RawManifest,
  entry: Descriptor | undefined,
  where: string,
): Promise<PlatformImage> {
  if (!MANIFEST_TYPES.includes(raw.mediaType))
    throw new MabError(
      'E_IMAGE',
      `${where} is ${raw.mediaType || 'a blob of no media type'}, not an image manifest`,
      'name an image, or an index of images',
    );
  const manifest = parse<Manifest>(raw.bytes);
  const configBytes = await repo.blob(manifest.config.digest);
  const config = parse<ImageConfig>(configBytes);
  return {
    // The index entry's platform, where there is one, is what a client picks by.
    platform: entry?.platform ?? platformOfConfig(config),
    descriptor: entry ?? {
      mediaType: raw.mediaType,
      digest: raw.digest,
      size: raw.bytes.length,
      ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
    },
    raw,
    manifest,
    configBytes,
    config,
  };
}

export interface ReadOptions {
  /**
   * Read every manifest the index lists, attestations included: what a copy needs, as the index
   * it puts is the same bytes, and a registry refuses an index whose manifests it lacks.
   */
  all?: boolean;
}

/**
 * Walks what reference names in repo: index → manifests → configs, one level of index deep. With
 * `platform`, an index of several images has only the entries for that platform read (an entry
 * that names none is read, its config decides): a registry is asked for one image, not all.
 */
export async function readTarget(
  repo: Repository,
  reference: string,
  platform?: Platform,
  o: ReadOptions = {},
): Promise<Target> {
  const top = await repo.manifest(reference);
  const where = `${repo.name}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
  if (!INDEX_TYPES.includes(top.mediaType))
    return { reference, top, images: [await readImage(repo, top, undefined, where)] };
  const index = parse<Index>(top.bytes);
  const entries = imageEntries(index);
  const wanted = o.all
    ? index.manifests
    : platform && entries.length > 1
      ? entries.filter((e) => !e.platform || samePlatform(e.platform, platform))
      : entries;
  const images: PlatformImage[] = [];
  for (const entry of wanted)
    images.push(await readImage(repo, await repo.manifest(entry.digest), entry, `${where} → ${entry.digest}`));
  return { reference, top, index, entries, images };
}

/**
 * The one image of a target, or, of an index with several, the one for `platform`; a spec may
 * name a buildx-pushed tag (an index with attestations) where it means an image.
 */
export function pickImage(t: Target, platform: Platform | undefined, where: string): PlatformImage {
  const count = t.entries?.length ?? t.images.length;
  const pick =
    count === 1 ? t.images[0] : platform ? t.images.find((i) => samePlatform(i.platform, platform)) : undefined;
  if (pick) return pick;
  const listed = (t.entries ?? []).map((e) => (e.platform ? formatPlatform(e.platform) : '?')).join(', ') || 'none';
  throw new MabError(
    'E_INDEX_CHILD',
    `${where} is an index of ${count} images (${listed})${platform ? `, none for ${formatPlatform(platform)}` : ''}`,
    "name the platform's image by digest, or list it under a platform the index has",
  );
}
