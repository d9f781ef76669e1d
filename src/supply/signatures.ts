/**
 * What cosign attaches to an image in its registry: the `sha256-HEX.sig` and `sha256-HEX.att`
 * manifests (src/sign/sig-manifest.ts), read and written with mab's registry client, so the same
 * credentials, CAs and retries apply as to a push.
 */
import { RegistryError } from '../registry/errors.js';
import type { RegistryClient } from '../registry/client.js';
import {
  appendLayer,
  attachmentTag,
  type AttachedLayer,
  type AttachmentKind,
  type SignatureSet,
} from '../sign/sig-manifest.js';
import type { Manifest } from '../oci/types.js';

/** The signatures (or attestations) stored for digest in repo; undefined when it has none (no such tag). */
export async function readSignatureSet(
  client: RegistryClient,
  repo: string,
  digest: string,
  kind: AttachmentKind = 'sig',
): Promise<SignatureSet | undefined> {
  const got = await client.getManifest(repo, attachmentTag(digest, kind)).catch((e: unknown) => {
    if (e instanceof RegistryError && e.status === 404) return undefined;
    throw e;
  });
  if (!got) return undefined;
  const manifest = JSON.parse(got.bytes.toString('utf8')) as Manifest;
  return { manifest, config: await client.getBlob(repo, manifest.config.digest) };
}

/** Writes a new set: its blobs first, then the manifest under the tag (so the tag never names a missing blob). */
export async function writeSignatureSet(
  client: RegistryClient,
  repo: string,
  digest: string,
  set: SignatureSet & { blobs: { descriptor: { digest: string; size: number }; bytes: Buffer }[] },
  kind: AttachmentKind = 'sig',
): Promise<void> {
  for (const b of set.blobs) await client.pushBlob(repo, b.descriptor.digest, b.descriptor.size, b.bytes);
  const bytes = Buffer.from(JSON.stringify(set.manifest));
  await client.putManifest(repo, attachmentTag(digest, kind), set.manifest.mediaType, bytes);
}

export interface Appended {
  /** The tag holding what is attached to the digest. */
  tag: string;
  /** Layers the tag holds now. */
  layers: number;
  /** False when `present` found an equivalent layer already there. */
  added: boolean;
}

/**
 * Appends a layer to digest's `.sig` or `.att` manifest, unless `present` says the set already
 * holds an equivalent one (this key's signature of the same payload), so signing again adds
 * nothing. Two signers writing the same tag at the same moment can lose one layer, as with cosign:
 * the registry API has no compare-and-swap on tags.
 */
export async function appendOnce(
  client: RegistryClient,
  repo: string,
  digest: string,
  kind: AttachmentKind,
  layer: AttachedLayer,
  present: (set: SignatureSet) => boolean | Promise<boolean>,
): Promise<Appended> {
  const tag = attachmentTag(digest, kind);
  const existing = await readSignatureSet(client, repo, digest, kind);
  if (existing && (await present(existing))) return { tag, layers: existing.manifest.layers.length, added: false };
  const next = appendLayer(existing, layer);
  await writeSignatureSet(client, repo, digest, next, kind);
  return { tag, layers: next.manifest.layers.length, added: true };
}
