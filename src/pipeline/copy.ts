/**
 * `mab cp`: an image or a multi-arch index from a registry or the store to a registry or the
 * store, every digest unchanged (oci/copy.ts). This joins the ends: which Repository is read,
 * which Destination is written, which tag the copy gets, and, from the store to a registry, the
 * store's record of where its blobs were pushed, so a blob another repository of that registry
 * holds is mounted, and the next push knows this repository holds them too. A copy from a
 * registry into the store adds to that record the repository it came from.
 */
import { copyTarget, type CopyOptions, type CopyResult } from '../oci/copy.js';
import { readTarget, type Repository } from '../oci/model.js';
import { formatLocation, type Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { registryDestination } from '../registry/copy.js';
import { explainAccess } from '../registry/errors.js';
import { listReferrers, listingText, referrersIndex } from '../registry/referrers.js';
import { storeDestination } from '../store/destination.js';
import type { Store } from '../store/layout.js';
import { PushedBlobs } from '../store/pushed.js';
import { pushedHints } from './push.js';

type RegistryEnd = { registry: Reference; client: RegistryClient };
export type Endpoint = { store: Store; tag: string } | RegistryEnd;

/** The referrers of one copied manifest, and how the destination lists them. */
export interface CopiedReferrers {
  subject: string;
  referrers: { digest: string; artifactType?: string }[];
  listedBy: 'api' | 'tag';
  /** How many the destination did not list before. */
  added: number;
}

export interface CopyImageResult extends CopyResult {
  source: string;
  destination: string;
  /** With `referrers`: each copied manifest that has any. */
  referrers?: CopiedReferrers[];
}

const locationOf = (e: Endpoint) => ('store' in e ? { store: e.tag } : { registry: e.registry });

/**
 * The tag a copy puts: the destination's own; for a registry destination written without one,
 * the source's tag (a store tag's part after its last ':'); none when the source is named by
 * digest, and then the top is put by digest alone.
 */
export function destinationTag(src: Endpoint, dst: Endpoint): string | undefined {
  if ('store' in dst) return dst.tag;
  if (dst.registry.tag) return dst.registry.tag;
  if ('store' in src) return src.tag.slice(src.tag.lastIndexOf(':') + 1);
  return src.registry.digest ? undefined : src.registry.tag;
}

export async function copyImage(
  src: Endpoint,
  dst: Endpoint,
  o: { jobs?: number; log?: (m: string) => void; progressMs?: number; referrers?: boolean } = {},
): Promise<CopyImageResult> {
  const from: Repository = 'store' in src ? src.store.repository() : src.client.repository(src.registry.repository);
  const reference = 'store' in src ? src.tag : (src.registry.digest ?? src.registry.tag ?? 'latest');
  const target = await readTarget(from, reference, undefined, { all: true }).catch((e: unknown) => {
    throw 'registry' in src ? explainAccess(e, src.registry, 'pull') : e;
  });
  const tag = destinationTag(src, dst);
  const to =
    'store' in dst
      ? storeDestination(dst.store)
      : registryDestination(
          dst.client,
          dst.registry.repository,
          'store' in src
            ? pushedHints(await PushedBlobs.open(src.store.dir, dst.client.registry), dst.registry.repository)
            : undefined,
        );
  const copied = await copyTarget(from, target, to, { ...o, ...(tag ? { tag } : {}) }).catch((e: unknown) => {
    throw 'registry' in dst ? explainAccess(e, { ...dst.registry, ...(tag ? { tag } : {}) }, 'push') : e;
  });
  if ('registry' in src && 'store' in dst) {
    // The source repository holds these blobs: a later push or copy of them to that registry mounts them.
    const pulled = await PushedBlobs.open(dst.store.dir, src.client.registry);
    for (const i of target.images)
      for (const b of [i.manifest.config, ...i.manifest.layers]) await pulled.record(b.digest, src.registry.repository);
  }
  const digests = [target.top.digest, ...target.images.map((i) => i.raw.digest)];
  const referrers =
    o.referrers && 'registry' in src && 'registry' in dst
      ? await copyReferrers(src, dst, [...new Set(digests)], o)
      : undefined;
  return {
    source: formatLocation(locationOf(src)),
    destination: formatLocation(
      'store' in dst ? { store: dst.tag } : { registry: { ...dst.registry, ...(tag ? { tag } : {}) } },
    ),
    ...copied,
    ...(referrers ? { referrers } : {}),
  };
}

/**
 * What the source lists as referrers of each copied manifest (SBOMs, provenance, signatures that
 * mab --referrers, oras attach or cosign attached), copied too, by digest with their blobs, then
 * listed at the destination the way its registry can (its API, else the sha256-HEX tag).
 */
async function copyReferrers(
  src: RegistryEnd,
  dst: RegistryEnd,
  subjects: string[],
  o: CopyOptions,
): Promise<CopiedReferrers[]> {
  const from = src.client.repository(src.registry.repository);
  const to = registryDestination(dst.client, dst.registry.repository);
  const copied: CopiedReferrers[] = [];
  for (const subject of subjects) {
    const listed = (await referrersIndex(src.client, src.registry.repository, subject))?.manifests ?? [];
    if (!listed.length) continue;
    for (const r of listed) await copyTarget(from, await readTarget(from, r.digest, undefined, { all: true }), to, o);
    const { listedBy, added } = await listReferrers(dst.client, dst.registry.repository, subject, listed);
    const referrers = listed.map((r) => ({
      digest: r.digest,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
    }));
    o.log?.(
      `referrers of ${subject}: ${listed.map((r) => r.artifactType ?? r.mediaType).join(', ')}; listed by ${listingText(subject, { listedBy, added })}`,
    );
    copied.push({ subject, referrers, listedBy, added });
  }
  return copied;
}
