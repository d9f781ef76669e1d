/**
 * An image's signatures in its registry: the `sha256-HEX.sig` manifest (src/sign/sig-manifest.ts)
 * read and written with mab's registry client, so the same credentials, CAs and retries apply as to
 * a push.
 */
import { RegistryError } from '../registry/errors.js';
import type { RegistryClient } from '../registry/client.js';
import { signatureTag, type SignatureSet } from '../sign/sig-manifest.js';
import type { Manifest } from '../oci/types.js';

/** The signatures stored for digest in repo; undefined when it has none (no such tag). */
export async function readSignatureSet(
  client: RegistryClient,
  repo: string,
  digest: string,
): Promise<SignatureSet | undefined> {
  const got = await client.getManifest(repo, signatureTag(digest)).catch((e: unknown) => {
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
): Promise<void> {
  for (const b of set.blobs) await client.pushBlob(repo, b.descriptor.digest, b.descriptor.size, b.bytes);
  const bytes = Buffer.from(JSON.stringify(set.manifest));
  await client.putManifest(repo, signatureTag(digest), set.manifest.mediaType, bytes);
}
