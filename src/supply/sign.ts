/**
 * Signing what a registry holds, as `cosign sign --key` does: for each digest, the simple-signing
 * payload (src/sign/payload.ts) signed with the key, appended to the digest's `sha256-HEX.sig`
 * manifest (appendOnce in signatures.ts). A digest this key already signed with the same payload
 * is left as it is, so signing again (a re-run CI job) adds nothing.
 */
import type { KeyObject } from 'node:crypto';
import { imageEntries } from '../oci/index.js';
import { INDEX_TYPES, type Index } from '../oci/types.js';
import type { Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { signPayload, verifyPayload } from '../sign/keys.js';
import { dockerReference, signingPayload } from '../sign/payload.js';
import { SIGNATURE_ANNOTATION, signatureLayer } from '../sign/sig-manifest.js';
import { sha256Digest } from '../oci/digest.js';
import { appendOnce } from './signatures.js';

export interface SignOptions {
  key: KeyObject;
  /** The payload's `optional` claims (cosign sign -a KEY=VALUE). */
  annotations?: Record<string, string>;
  log?: (m: string) => void;
}

export interface Signed {
  digest: string;
  /** The tag holding the digest's signatures. */
  tag: string;
  /** Signatures the tag holds now. */
  signatures: number;
  /** False when this key had already signed the same payload. */
  added: boolean;
}

/** Signs each digest of repo (its manifests must be there: a signature of nothing is refused by no one). */
export async function signDigests(
  client: RegistryClient,
  repo: string,
  digests: string[],
  o: SignOptions,
): Promise<Signed[]> {
  const reference = dockerReference(client.registry, repo);
  const out: Signed[] = [];
  for (const digest of digests) {
    const payload = signingPayload(reference, digest, o.annotations);
    const r = await appendOnce(
      client,
      repo,
      digest,
      'sig',
      signatureLayer(payload, signPayload(o.key, payload)),
      (set) =>
        set.manifest.layers.some(
          (l) =>
            l.digest === sha256Digest(payload) &&
            verifyPayload(o.key, payload, l.annotations?.[SIGNATURE_ANNOTATION] ?? ''),
        ),
    );
    o.log?.(
      `${reference}@${digest}: ${r.added ? `signed (${r.tag}, ${r.layers} signature(s))` : `already signed with this key (${r.tag})`}`,
    );
    out.push({ digest, tag: r.tag, signatures: r.layers, added: r.added });
  }
  return out;
}

/**
 * The digests `mab sign REF` signs: the manifest REF names and, with `recursive`, each image an
 * index lists (attestation manifests left out), as `cosign sign --recursive` does.
 */
export async function digestsOf(client: RegistryClient, ref: Reference, recursive: boolean): Promise<string[]> {
  const top = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
  if (!recursive || !INDEX_TYPES.includes(top.mediaType)) return [top.digest];
  const index = JSON.parse(top.bytes.toString('utf8')) as Index;
  return [top.digest, ...imageEntries(index).map((d) => d.digest)];
}
