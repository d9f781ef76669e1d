/**
 * Publishing from the local store with mab's own client: every platform's blobs (skipped when the
 * repository has them), then each platform manifest by digest, then a check that the repository
 * really holds every child, and only then the index under its tags. So a tag never points at an
 * index whose children are missing, and a push that fails halfway leaves the old tags untouched.
 *
 * The store keeps OCI manifests. For a Docker manifest list (the default: engines from the
 * 17.x/18.x era on edge boards read nothing else) each child is rewritten as a Docker v2 manifest
 * over the same blobs: only media types change, so the layers pushed are the bytes stored.
 */
import { MabError } from '../errors.js';
import { jsonBytes, sha256Digest } from '../oci/digest.js';
import { REFERENCE_DIGEST_ANNOTATION, attestationEntries } from '../oci/attestation.js';
import { assembleIndex, type IndexChild } from '../oci/index.js';
import { readTarget } from '../oci/model.js';
import { MediaType, type Descriptor, type Index, type IndexFormat, type Manifest } from '../oci/types.js';
import { formatPlatform, type Platform } from '../platform/platform.js';
import type { BuildPlan } from '../plan/plan.js';
import { semverTags } from '../plan/tags.js';
import { repositoryName } from '../ref/reference.js';
import type { Store } from '../store/layout.js';
import { listingText } from '../registry/referrers.js';
import { attachStoredAttestations } from './referrers.js';
import { PushedBlobs } from '../store/pushed.js';
import { formatBytes } from '../util/io.js';
import { mapLimited } from '../util/limit.js';
import { byteProgress } from '../util/byte-progress.js';
import type { RegistryClient } from '../registry/client.js';
import { registryDestination, type MountHints } from '../registry/copy.js';

export interface PushResult {
  digest: string;
  mediaType: string;
  tags: string[];
  /** `attestation`: its attestation manifest's index entry, when one was pushed with it. */
  children: { platform: string; digest: string; manifest: Manifest; attestation?: Descriptor }[];
  blobBytesSent: number;
  blobsSkipped: number;
  blobsMounted: number;
  retries: number;
  /** Per-platform tags ({arch} templates), each naming that platform's manifest. */
  platformTags: Record<string, string[]>;
}

const DOCKER_TYPES: Record<string, string> = {
  [MediaType.OciConfig]: MediaType.DockerConfig,
  [MediaType.OciLayerGzip]: MediaType.DockerLayerGzip,
};

/** The same image as a Docker v2 manifest (same blobs, Docker media types). */
export function toDockerManifest(m: Manifest): Manifest {
  const convert = (d: Descriptor): Descriptor => {
    const mediaType = DOCKER_TYPES[d.mediaType] ?? d.mediaType;
    if (!Object.values(DOCKER_TYPES).includes(mediaType))
      throw new MabError(
        'E_INDEX_FORMAT',
        `a ${d.mediaType} blob has no Docker v2 equivalent`,
        'push with --index-format oci',
      );
    return { mediaType, digest: d.digest, size: d.size };
  };
  return {
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: convert(m.config),
    layers: m.layers.map(convert),
  };
}

export interface PushOptions {
  tags: string[];
  /** Default: oci when the stored index has attestations (only an OCI index carries them), else docker. */
  format?: IndexFormat;
  /** Tags for each platform's own manifest (from {arch} templates), given the platforms pushed. */
  platformTags?: (platforms: Platform[]) => Record<string, string[]>;
  /** Blobs uploaded at once (default 3). */
  jobs?: number;
  log?: (m: string) => void;
  /** How often a platform's byte progress is logged while it uploads (default 2 s). */
  progressMs?: number;
  /** Blobs already on their way (EarlyUploads): waited for, not uploaded again. */
  early?: EarlyUploads;
  /** Attach each image's attestations as OCI 1.1 referrers too (pipeline/referrers.ts). */
  referrers?: boolean;
}

type BlobOutcome = 'present' | 'mounted' | 'uploaded';

/** The store's record of its pushes as mount hints for a copy into `repo` (registry/copy.ts). */
export function pushedHints(pushed: PushedBlobs, repo: string): MountHints {
  return { mountFrom: (d) => pushed.repositories(d), stored: (d) => pushed.record(d, repo) };
}

/** One stored blob into `repo` (mounted when this store pushed it elsewhere), then remembered there. */
async function pushStoredBlob(
  store: Store,
  client: RegistryClient,
  pushed: PushedBlobs,
  repo: string,
  b: Descriptor,
  onProgress?: (bytes: number) => void,
): Promise<BlobOutcome> {
  const to = registryDestination(client, repo, pushedHints(pushed, repo));
  const how = await to.putBlob(b, store.repository(), onProgress ? { onProgress } : {});
  return how === 'copied' ? 'uploaded' : how;
}

/**
 * Uploads blobs as the export stores them, so the push of a fresh image overlaps its export
 * instead of following it; pushFromStore then waits for these. Nothing is named by a manifest or
 * tag until pushFromStore runs, so an upload cut short leaves only an unreferenced blob.
 */
export class EarlyUploads {
  private readonly started = new Map<string, Promise<BlobOutcome>>();
  private readonly pushed: Promise<PushedBlobs>;
  /** The client's counts before the first early upload: the push reports from here. */
  readonly statsBefore: RegistryClient['stats'];
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly store: Store,
    private readonly client: RegistryClient,
    private readonly repo: string,
    private readonly jobs = 3,
  ) {
    this.pushed = PushedBlobs.open(store.dir, client.registry);
    this.statsBefore = { ...client.stats };
  }

  add(blob: Descriptor): void {
    if (this.started.has(blob.digest)) return;
    const upload = (async () => {
      if (this.running >= this.jobs) await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.running++;
      try {
        return await pushStoredBlob(this.store, this.client, await this.pushed, this.repo, blob);
      } finally {
        this.running--;
        this.waiting.shift()?.();
      }
    })();
    // Its failure is reported by the push that waits for it.
    upload.catch(() => undefined);
    this.started.set(blob.digest, upload);
  }

  get(digest: string): Promise<BlobOutcome> | undefined {
    return this.started.get(digest);
  }
}

export async function pushFromStore(
  store: Store,
  storeTag: string,
  client: RegistryClient,
  repo: string,
  o: PushOptions,
): Promise<PushResult> {
  // Attestations a store written by other tools may hold are not pushed (readTarget drops them).
  const target = await readTarget(store.repository(), storeTag);
  if (!target.images.length)
    throw new MabError(
      'E_STORE_TAG',
      `${storeTag} in the store ${store.dir} is an index with no images`,
      'build the recipe again',
    );
  const format = o.format ?? (target.index && attestationEntries(target.index).length ? 'oci' : 'docker');
  const before = o.early?.statsBefore ?? { ...client.stats };
  const pushed = await PushedBlobs.open(store.dir, client.registry);

  const children: (IndexChild & { platform: string; manifestJson: Manifest })[] = [];
  for (const { manifest: stored, config, platform: p } of target.images) {
    const platform = formatPlatform(p);
    const blobs = [stored.config, ...stored.layers];
    const how = { present: 0, mounted: 0, uploaded: 0 };
    const progress = byteProgress(platform, blobs, o.log, o.progressMs);
    try {
      await mapLimited(blobs, o.jobs ?? 3, async (b) => {
        const early = o.early?.get(b.digest);
        if (early) {
          how[await early]++;
        } else {
          how[await pushStoredBlob(store, client, pushed, repo, b, (n) => progress.set(b.digest, n))]++;
        }
        progress.set(b.digest, b.size);
      });
    } finally {
      progress.stop();
    }
    const manifestJson = format === 'docker' ? toDockerManifest(stored) : stored;
    const bytes = jsonBytes(manifestJson);
    const digest = await client.putManifest(repo, sha256Digest(bytes), manifestJson.mediaType, bytes);
    o.log?.(
      `[${platform}] ${repo}@${digest}: ${blobs.length} blobs (${how.uploaded} uploaded, ${how.mounted} mounted, ${how.present} already there)`,
    );
    children.push({
      manifest: { mediaType: manifestJson.mediaType, digest, size: bytes.length },
      config,
      source: `${storeTag} ${platform}`,
      platform,
      manifestJson,
    });
  }

  // Every child must be in the repository before an index or a tag names it.
  for (const c of children) {
    const there = await client.headManifest(repo, c.manifest.digest);
    if (!there)
      throw new MabError(
        'E_PUSH_CHILD_MISSING',
        `${repo}@${c.manifest.digest} (${c.platform}) is not in the repository after its push`,
        'nothing was tagged; push again',
      );
  }
  const platformTags = o.platformTags?.(target.images.map((i) => i.platform)) ?? {};
  for (const c of children) {
    for (const tag of platformTags[c.platform] ?? [])
      await client.putManifest(repo, tag, c.manifest.mediaType, jsonBytes(c.manifestJson));
  }
  // The store index's annotations (recipe, version, strategy, the checkout's source and revision)
  // go with it; assembleIndex drops them for Docker's manifest list, which has no such field.
  const index = target.index ? assembleIndex(children, format, target.index.annotations) : undefined;
  // Pushed by digest too when no tag names the index, for `mab manifest merge` to list.
  const attestations = target.index
    ? await pushAttestations(store, client, pushed, repo, target.index, children, {
        format,
        referrers: Boolean(o.referrers),
        log: o.log,
      })
    : [];
  index?.manifests.push(...attestations);
  const bytes = index ? jsonBytes(index) : undefined;
  let digest = children[0]!.manifest.digest;
  for (const tag of o.tags) {
    digest = index
      ? await client.putManifest(repo, tag, index.mediaType, bytes!)
      : await client.putManifest(repo, tag, children[0]!.manifest.mediaType, jsonBytes(children[0]!.manifestJson));
  }
  return {
    digest,
    mediaType: index?.mediaType ?? children[0]!.manifest.mediaType,
    tags: o.tags,
    children: children.map((c) => {
      const attestation = attestations.find((a) => a.annotations?.[REFERENCE_DIGEST_ANNOTATION] === c.manifest.digest);
      return {
        platform: c.platform,
        digest: c.manifest.digest,
        manifest: c.manifestJson,
        ...(attestation ? { attestation } : {}),
      };
    }),
    blobBytesSent: client.stats.blobBytesSent - before.blobBytesSent,
    blobsSkipped: client.stats.blobsSkipped - before.blobsSkipped,
    blobsMounted: client.stats.blobsMounted - before.blobsMounted,
    retries: client.stats.retries - before.retries,
    platformTags,
  };
}

/**
 * The store index's attestation manifests of the images pushed, put as stored (so each still names
 * its image's digest), for an OCI index to list. A Docker manifest list has no place for them.
 */
async function pushAttestations(
  store: Store,
  client: RegistryClient,
  pushed: PushedBlobs,
  repo: string,
  stored: Index,
  children: { manifest: Descriptor; platform: string }[],
  { format, referrers, log }: { format: IndexFormat; referrers: boolean; log: ((m: string) => void) | undefined },
): Promise<Descriptor[]> {
  const childOf = new Map(children.map((c) => [c.manifest.digest, c]));
  const found = attestationEntries(stored);
  if (!found.length) return [];
  if (format === 'docker') {
    log?.(
      `${found.length} attestation manifest(s) (SBOM, provenance) not pushed${referrers ? ' nor attached as referrers' : ''}: a Docker manifest list has no place for them (--index-format oci keeps them)`,
    );
    return [];
  }
  const entries: Descriptor[] = [];
  for (const { entry, subject } of found) {
    const child = childOf.get(subject);
    // Pushed in another form than stored: the attestation would name a digest the index lacks.
    if (!child) continue;
    const { platform } = child;
    const raw = await store.repository().manifest(entry.digest);
    const manifest = JSON.parse(raw.bytes.toString('utf8')) as Manifest;
    for (const b of [manifest.config, ...manifest.layers]) await pushStoredBlob(store, client, pushed, repo, b);
    await client.putManifest(repo, entry.digest, raw.mediaType, raw.bytes);
    log?.(`[${platform}] attestations ${repo}@${entry.digest}: ${manifest.layers.length} statement(s)`);
    entries.push(entry);
    if (!referrers) continue;
    const r = await attachStoredAttestations(store, client, repo, child.manifest, manifest);
    log?.(
      `[${platform}] ${r.referrers.length} referrer(s) of ${subject.slice(0, 19)}…, listed by ${listingText(subject, r)}`,
    );
  }
  return entries;
}

export interface PublishedBuild {
  /** The index and its tags; none when pushed by digest. */
  index?: { reference: string; digest: string; mediaType: string; tags: string[] };
  repository: string;
  /** What the push sent: zero blob bytes when the repository had everything. */
  push: Pick<PushResult, 'blobBytesSent' | 'blobsSkipped' | 'blobsMounted' | 'retries' | 'platformTags'> & {
    retried: string[];
  };
  children: PushResult['children'];
}

/** A build's push, as its plan says: the tags its rule gives (none by digest), then pushFromStore. */
export async function publishBuild(
  store: Store,
  storeTag: string,
  client: RegistryClient,
  publish: NonNullable<BuildPlan['publish']>,
  o: { version: string; early: EarlyUploads | undefined; log: (m: string) => void },
): Promise<PublishedBuild> {
  const { repository: ref } = publish;
  const tags =
    publish.tagRule === 'semver' ? semverTags(o.version, await client.listTags(ref.repository)) : publish.tags;
  const repository = repositoryName(ref);
  o.log(`pushing to ${repository}`);
  const pushed = await pushFromStore(store, storeTag, client, ref.repository, {
    tags,
    platformTags: () => publish.platformTags ?? {},
    format: publish.indexFormat,
    referrers: Boolean(publish.referrers),
    log: o.log,
    ...(o.early ? { early: o.early } : {}),
  });
  o.log(
    tags.length
      ? `index ${repository}@${pushed.digest} tagged ${tags.join(', ')}; ${pushSummary(pushed)}`
      : `by digest, untagged: ${pushed.children.map((c) => `${c.platform} ${repository}@${c.digest}`).join(', ')}; ${pushSummary(pushed)}`,
  );
  return {
    ...(tags.length
      ? { index: { reference: `${repository}:${tags[0]}`, digest: pushed.digest, mediaType: pushed.mediaType, tags } }
      : {}),
    repository,
    push: {
      blobBytesSent: pushed.blobBytesSent,
      blobsSkipped: pushed.blobsSkipped,
      blobsMounted: pushed.blobsMounted,
      retries: client.retried.length,
      retried: client.retried,
      platformTags: pushed.platformTags,
    },
    children: pushed.children,
  };
}

/** One line on what a push moved, for logs. */
export function pushSummary(
  r: Pick<PushResult, 'blobBytesSent' | 'blobsSkipped' | 'blobsMounted' | 'retries'>,
): string {
  return `${formatBytes(r.blobBytesSent)} of blobs sent, ${r.blobsMounted} mounted from other repositories, ${r.blobsSkipped} already there${r.retries ? `, ${r.retries} retries` : ''}`;
}
