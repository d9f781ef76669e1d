/**
 * Copying what a reference names from one repository to another, as `crane copy` and `skopeo
 * copy --all` do: every manifest the index lists (attestations too), each one's blobs, then the
 * manifests, then the top under its tag. Manifests are put as the bytes read, so every digest stays
 * the same and a signature or a pin by digest still holds. A tag that named something else is
 * moved, as crane moves it; the result says what it named before.
 *
 * The source is any Repository (model.ts); the destination is small: the registry gives one that
 * mounts blobs across repositories and streams the rest (registry/copy.ts), the store one that
 * writes blobs as they arrive (store/destination.ts). A layer never sits whole in memory.
 */
import { formatPlatform } from '../platform/platform.js';
import { mapLimited } from '../util/limit.js';
import { byteProgress } from '../util/byte-progress.js';
import type { RawManifest, Repository, Target } from './model.js';
import type { Descriptor } from './types.js';

export type BlobOutcome = 'present' | 'mounted' | 'copied';
export type BlobCounts = Record<BlobOutcome, number>;

export interface Destination {
  /** For messages: "REGISTRY/REPOSITORY" or "the store DIR". */
  readonly name: string;
  /** The digest `tag` names there now, or undefined. */
  resolve(tag: string): Promise<string | undefined>;
  /** Makes the destination hold blob, read from `from`, or from `bytes` when they are in memory already. */
  putBlob(
    blob: Descriptor,
    from: Repository,
    o: { bytes?: Buffer; onProgress?: (done: number) => void },
  ): Promise<BlobOutcome>;
  /** Puts a manifest or index as it is: under tag, or under its digest alone. */
  putManifest(raw: RawManifest, tag?: string): Promise<void>;
}

export interface CopiedManifest {
  /** OS/ARCH[/VARIANT], or unknown/unknown for an attestation. */
  platform: string;
  digest: string;
  mediaType: string;
  /** BuildKit's provenance or SBOM manifest for one of the images. */
  attestation: boolean;
  blobs: BlobCounts;
}

export interface CopyResult {
  digest: string;
  mediaType: string;
  /** The tag put, or none (the top put by digest). */
  tag?: string;
  /** The digest the tag named before, when it named another. */
  replaced?: string;
  /** Each manifest the index lists, in its order; a single image is its own one entry. */
  manifests: CopiedManifest[];
  /** Over every manifest (a blob two platforms share counts for each). */
  blobs: BlobCounts;
  /** Bytes of the blobs copied (not mounted, not already there). */
  bytesCopied: number;
}

export interface CopyOptions {
  tag?: string;
  /** Blobs moved at once (default 3). */
  jobs?: number;
  log?: (m: string) => void;
  /** How often byte progress is logged while a manifest's blobs move (default 2 s). */
  progressMs?: number;
}

const short = (digest: string) => digest.slice(0, 19);

/**
 * Copies target (read from `from` by readTarget with `all`, so every manifest of an index is in
 * it) to `to`. Children and their blobs come first: the top is the last thing put, so the tag never
 * names an index whose children are missing.
 */
export async function copyTarget(
  from: Repository,
  target: Target,
  to: Destination,
  o: CopyOptions = {},
): Promise<CopyResult> {
  if (target.index && target.images.length !== target.index.manifests.length)
    throw new Error(`copyTarget: ${target.reference} was read without every manifest of its index`);
  const before = o.tag ? await to.resolve(o.tag) : undefined;
  const images = new Set((target.entries ?? []).map((e) => e.digest));
  const total: BlobCounts = { present: 0, mounted: 0, copied: 0 };
  let bytesCopied = 0;
  const manifests: CopiedManifest[] = [];
  for (const image of target.images) {
    const { config, layers } = image.manifest;
    const blobs = [config, ...layers];
    const attestation = Boolean(target.index) && !images.has(image.descriptor.digest);
    const platform =
      image.platform.os && image.platform.architecture ? formatPlatform(image.platform) : short(image.raw.digest);
    const counts: BlobCounts = { present: 0, mounted: 0, copied: 0 };
    const progress = byteProgress(platform, blobs, o.log, o.progressMs);
    try {
      await mapLimited(blobs, o.jobs ?? 3, async (b) => {
        const how = await to.putBlob(b, from, {
          ...(b === config ? { bytes: image.configBytes } : {}),
          onProgress: (n) => progress.set(b.digest, n),
        });
        counts[how]++;
        total[how]++;
        if (how === 'copied') bytesCopied += b.size;
        progress.set(b.digest, b.size);
      });
    } finally {
      progress.stop();
    }
    // A single image is the top itself, put once below.
    if (target.index) await to.putManifest(image.raw);
    o.log?.(
      `[${platform}${attestation ? ', attestation' : ''}] ${image.raw.digest}: ${blobs.length} blobs (${counts.copied} copied, ${counts.mounted} mounted, ${counts.present} already there)`,
    );
    manifests.push({ platform, digest: image.raw.digest, mediaType: image.raw.mediaType, attestation, blobs: counts });
  }
  await to.putManifest(target.top, o.tag);
  return {
    digest: target.top.digest,
    mediaType: target.top.mediaType,
    ...(o.tag ? { tag: o.tag } : {}),
    ...(before && before !== target.top.digest ? { replaced: before } : {}),
    manifests,
    blobs: total,
    bytesCopied,
  };
}
