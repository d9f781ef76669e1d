/**
 * Where cosign keeps an image's signatures when a registry has no referrers API: an OCI image
 * manifest tagged `sha256-HEX.sig` in the image's own repository, one layer per signature. Each
 * layer is a simple-signing payload (payload.ts, media type below, stored as it is, so its digest
 * is its diff_id) with the base64 signature in the annotation `dev.cosignproject.cosign/signature`.
 * The config is the empty image go-containerregistry starts from, with one diff_id and one
 * history entry per layer. Signing appends a layer and never drops one: the tag is shared by every
 * signer of that digest (cosign, mab, a CI key and a release key).
 */
import { sha256Digest } from '../oci/digest.js';
import { MediaType, type Descriptor, type Manifest } from '../oci/types.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** go-containerregistry's zero time, which cosign's config carries unless told to record the time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The tag holding the signatures of digest: sha256:HEX → sha256-HEX.sig. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** A signature manifest and its config's bytes, as read from or to be written to the tag. */
export interface SignatureSet {
  manifest: Manifest;
  config: Buffer;
}

interface SignatureConfig {
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created: string }[];
}

/** The set with one more signature layer, and the blobs to upload for it (config, payload). */
export function appendSignature(
  existing: SignatureSet | undefined,
  payload: Buffer,
  signature: string,
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
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    digest: sha256Digest(payload),
    size: payload.length,
    annotations: { [SIGNATURE_ANNOTATION]: signature },
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
      { descriptor: layer, bytes: payload },
    ],
  };
}
