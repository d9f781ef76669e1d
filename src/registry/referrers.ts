/**
 * OCI 1.1 referrers (distribution-spec 1.1, "Listing Referrers"; image-spec 1.1, artifacts): an
 * artifact is an image manifest with an `artifactType`, the empty config and a `subject` naming
 * the manifest it is about. A registry with the referrers API lists it under
 * GET /v2/NAME/referrers/DIGEST by itself. For one without (distribution 2.8 answers 404), the
 * spec's fallback is kept by its clients: an image index under the tag `sha256-HEX` (the subject's
 * digest), listing each referrer, read, appended to and written back. `oras discover` reads
 * either. Like cosign's `.sig` tag, that read-modify-write cannot be atomic on such a registry.
 */
import { jsonBytes, sha256Digest } from '../oci/digest.js';
import { MediaType, type Descriptor, type Index, type Manifest } from '../oci/types.js';
import type { RegistryClient } from './client.js';

const EMPTY = Buffer.from('{}');
export const EMPTY_CONFIG: Descriptor = { mediaType: MediaType.OciEmpty, digest: sha256Digest(EMPTY), size: 2 };

export interface Artifact {
  artifactType: string;
  /** The one layer's media type and bytes (an SPDX document, an in-toto statement, …). */
  mediaType: string;
  bytes: Buffer;
  annotations?: Record<string, string>;
}

/** The tag a registry without the referrers API lists `digest`'s referrers under. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/** The artifact manifest of `a` about `subject`, and its descriptor as a referrers index lists it. */
export function artifactManifest(
  subject: Descriptor,
  a: Artifact,
): { bytes: Buffer; descriptor: Descriptor; layer: Descriptor } {
  const layer = { mediaType: a.mediaType, digest: sha256Digest(a.bytes), size: a.bytes.length };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: a.artifactType,
    config: EMPTY_CONFIG,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    ...(a.annotations ? { annotations: a.annotations } : {}),
  };
  const bytes = jsonBytes(manifest);
  return {
    bytes,
    layer,
    descriptor: {
      mediaType: MediaType.OciManifest,
      digest: sha256Digest(bytes),
      size: bytes.length,
      artifactType: a.artifactType,
      ...(a.annotations ? { annotations: a.annotations } : {}),
    },
  };
}

/**
 * Pushes each artifact about `subject` (blobs, then its manifest by digest) and makes sure the
 * subject's referrers list it: by the registry's API when it has one, else in the sha256-HEX tag's
 * index (written once, after every artifact is there, and only when something is new). Says how.
 */
export async function attachReferrers(
  client: RegistryClient,
  repo: string,
  subject: Descriptor,
  artifacts: Artifact[],
): Promise<{ referrers: Descriptor[]; listedBy: 'api' | 'tag'; added: number }> {
  const made = artifacts.map((a) => ({ a, ...artifactManifest(subject, a) }));
  await client.pushBlob(repo, EMPTY_CONFIG.digest, EMPTY.length, EMPTY);
  for (const { a, bytes, layer, descriptor } of made) {
    await client.pushBlob(repo, layer.digest, layer.size, a.bytes);
    await client.putManifest(repo, descriptor.digest, MediaType.OciManifest, bytes);
  }
  const referrers = made.map((m) => m.descriptor);
  return { referrers, ...(await listReferrers(client, repo, subject.digest, referrers)) };
}

/**
 * Makes sure `subject`'s referrers list `referrers`, which are in `repo` already: a registry with
 * the referrers API lists them by itself; else they go into the sha256-HEX tag's index (written
 * once, and only when something is new).
 */
export async function listReferrers(
  client: RegistryClient,
  repo: string,
  subject: string,
  referrers: Descriptor[],
): Promise<{ listedBy: 'api' | 'tag'; added: number }> {
  if (await client.referrers(repo, subject)) return { listedBy: 'api', added: referrers.length };
  const tag = referrersTag(subject);
  const index = (await tagIndex(client, repo, subject)) ?? {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [],
  };
  const fresh = referrers.filter((r) => !index.manifests.some((m) => m.digest === r.digest));
  if (fresh.length) {
    index.manifests.push(...fresh);
    await client.putManifest(repo, tag, MediaType.OciIndex, jsonBytes(index));
  }
  return { listedBy: 'tag', added: fresh.length };
}

/** How `subject`'s referrers are listed, for a log line: by the registry's API, or by its sha256-HEX tag. */
export function listingText(subject: string, r: { listedBy: 'api' | 'tag'; added: number }): string {
  return r.listedBy === 'api' ? "the registry's referrers API" : `the tag ${referrersTag(subject)} (${r.added} added)`;
}

/** What lists `subject`'s referrers in `repo`: the referrers API's answer, else the sha256-HEX tag's index, else nothing. */
export async function referrersIndex(
  client: RegistryClient,
  repo: string,
  subject: string,
): Promise<Index | undefined> {
  return (await client.referrers(repo, subject)) ?? (await tagIndex(client, repo, subject));
}

async function tagIndex(client: RegistryClient, repo: string, subject: string): Promise<Index | undefined> {
  const tag = referrersTag(subject);
  if (!(await client.headManifest(repo, tag))) return undefined;
  return JSON.parse((await client.getManifest(repo, tag)).bytes.toString('utf8')) as Index;
}
