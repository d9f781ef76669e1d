/**
 * Where cosign keeps what it attaches to an image when a registry has no referrers API: an OCI
 * image manifest tagged `sha256-HEX.KIND` in the image's own repository, one layer per item.
 *  - `.sig`, signatures: each layer a simple-signing payload (payload.ts, media type below, stored
 *    as it is, so its digest is its diff_id) with the base64 signature in the annotation
 *    `dev.cosignproject.cosign/signature`.
 *  - `.att`, attestations: each layer a DSSE envelope (dsse.ts) around an in-toto statement, the
 *    signature inside the envelope, so that annotation is present and empty, as cosign writes it;
 *    `predicateType` names the statement's predicate type.
 * The config is the empty image go-containerregistry starts from, with one diff_id and one history
 * entry per layer, the same for both kinds. Adding appends a layer and never drops one: the tag is
 * shared by every signer of that digest (cosign, mab, a CI key and a release key).
 */
import { sha256Digest } from '../oci/digest.js';
import { MediaType, type Descriptor, type Manifest } from '../oci/types.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** go-containerregistry's zero time, which cosign's config carries unless told to record the time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';

/** What cosign attaches by tag: signatures or attestations. */
export type AttachmentKind = 'sig' | 'att';

/** The tag holding what is attached to digest: sha256:HEX → sha256-HEX.sig (or .att). */
export function attachmentTag(digest: string, kind: AttachmentKind): string {
  return `${digest.replace(':', '-')}.${kind}`;
}

export const signatureTag = (digest: string) => attachmentTag(digest, 'sig');
export const attestationTag = (digest: string) => attachmentTag(digest, 'att');

/** One layer of a `.sig` or `.att` manifest: the blob, stored as it is, its media type and annotations. */
export interface AttachedLayer {
  bytes: Buffer;
  mediaType: string;
  annotations: Record<string, string>;
}

export function signatureLayer(payload: Buffer, signature: string): AttachedLayer {
  return { bytes: payload, mediaType: SIMPLE_SIGNING_MEDIA_TYPE, annotations: { [SIGNATURE_ANNOTATION]: signature } };
}

/** A DSSE envelope's bytes as the layer cosign's attest writes (verify-attestation reads the envelope). */
export function attestationLayer(envelope: Buffer, predicateType: string): AttachedLayer {
  return {
    bytes: envelope,
    mediaType: DSSE_MEDIA_TYPE,
    annotations: { [SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: predicateType },
  };
}

/** A `.sig` or `.att` manifest and its config's bytes, as read from or to be written to the tag. */
export interface SignatureSet {
  manifest: Manifest;
  config: Buffer;
}

interface SignatureConfig {
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created: string }[];
}

/** The set with one more layer, and the blobs to upload for it (config, the layer's blob). */
export function appendLayer(
  existing: SignatureSet | undefined,
  added: AttachedLayer,
): SignatureSet & { blobs: { descriptor: Descriptor; bytes: Buffer }[] } {
  const config: SignatureConfig = existing
    ? (JSON.parse(existing.config.toString('utf8')) as SignatureConfig)
    : ({
        architecture: '',
        created: ZERO_TIME,
        history: [],
        os: '',
        rootfs: { type: 'layers', diff_ids: [] },
        config: {},
      } as SignatureConfig);
  const layer: Descriptor = {
    mediaType: added.mediaType,
    digest: sha256Digest(added.bytes),
    size: added.bytes.length,
    annotations: added.annotations,
  };
  config.rootfs.diff_ids.push(layer.digest);
  (config.history ??= []).push({ created: ZERO_TIME });
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDesc: Descriptor = {
    mediaType: existing?.manifest.config.mediaType ?? MediaType.OciConfig,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: existing?.manifest.mediaType ?? MediaType.OciManifest,
    config: configDesc,
    layers: [...(existing?.manifest.layers ?? []), layer],
  };
  return {
    manifest,
    config: configBytes,
    blobs: [
      { descriptor: configDesc, bytes: configBytes },
      { descriptor: layer, bytes: added.bytes },
    ],
  };
}

/** The set with one more signature of a simple-signing payload. */
export function appendSignature(existing: SignatureSet | undefined, payload: Buffer, signature: string) {
  return appendLayer(existing, signatureLayer(payload, signature));
}
