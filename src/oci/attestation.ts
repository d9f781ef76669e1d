/**
 * Attestations inside an index, as BuildKit stores them (docs/attestations/attestation-storage.md
 * in moby/buildkit), so that `docker buildx imagetools inspect --format '{{json .SBOM}}'` and
 * `'{{json .Provenance}}'` read mab's: per image, one OCI image manifest whose layers are in-toto
 * statements (media type application/vnd.in-toto+json, each with its predicate type in the
 * `in-toto.io/predicate-type` annotation), listed in the index under platform unknown/unknown with
 * `vnd.docker.reference.type: attestation-manifest` and `vnd.docker.reference.digest` naming the
 * image. A client that picks by platform never picks one; imageEntries (index.ts) leaves them out.
 */
import { digestHex, jsonBytes, sha256Digest } from './digest.js';
import { MediaType, type Descriptor, type Index, type Manifest } from './types.js';

export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';
export const PREDICATE_TYPE_ANNOTATION = 'in-toto.io/predicate-type';
export const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';
export const REFERENCE_DIGEST_ANNOTATION = 'vnd.docker.reference.digest';
export const ATTESTATION_MANIFEST = 'attestation-manifest';

export const PredicateType = {
  Spdx: 'https://spdx.dev/Document',
  SlsaProvenance1: 'https://slsa.dev/provenance/v1',
} as const;

/** An in-toto Statement (github.com/in-toto/attestation, spec/v1/statement.md). */
export interface Statement {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: unknown;
}

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** A statement about the image `digest` (sha256:HEX) called `name`. */
export function statementOf(name: string, digest: string, predicateType: string, predicate: unknown): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name, digest: { sha256: digestHex(digest) } }],
    predicateType,
    predicate,
  };
}

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

/**
 * The attestation manifest for the image `subject`, with every blob to store first (config, one
 * layer per statement), and its descriptor as the index lists it. The config is the small one
 * BuildKit writes (no platform a runtime could take for its own), listing the layers' diff_ids.
 */
export function attestationManifest(
  subject: string,
  statements: Statement[],
): { blobs: Blob[]; manifest: Blob; entry: Descriptor } {
  const layers = statements.map((s): Blob => {
    const bytes = jsonBytes(s);
    return {
      descriptor: {
        mediaType: IN_TOTO_MEDIA_TYPE,
        digest: sha256Digest(bytes),
        size: bytes.length,
        annotations: { [PREDICATE_TYPE_ANNOTATION]: s.predicateType },
      },
      bytes,
    };
  });
  const configBytes = jsonBytes({
    architecture: 'unknown',
    os: 'unknown',
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.descriptor.digest) },
  });
  const config: Blob = {
    descriptor: { mediaType: MediaType.OciConfig, digest: sha256Digest(configBytes), size: configBytes.length },
    bytes: configBytes,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  };
  const bytes = jsonBytes(manifest);
  const descriptor = { mediaType: MediaType.OciManifest, digest: sha256Digest(bytes), size: bytes.length };
  return {
    blobs: [config, ...layers],
    manifest: { descriptor, bytes },
    entry: {
      ...descriptor,
      platform: { architecture: 'unknown', os: 'unknown' },
      annotations: { [REFERENCE_DIGEST_ANNOTATION]: subject, [REFERENCE_TYPE_ANNOTATION]: ATTESTATION_MANIFEST },
    },
  };
}

/** The index's attestation entries, each with the image digest it is about. */
export function attestationEntries(index: Pick<Index, 'manifests'>): { entry: Descriptor; subject: string }[] {
  return index.manifests
    .filter((d) => d.annotations?.[REFERENCE_TYPE_ANNOTATION] === ATTESTATION_MANIFEST)
    .map((entry) => ({ entry, subject: entry.annotations?.[REFERENCE_DIGEST_ANNOTATION] ?? '' }));
}

/** The layers of an attestation manifest that are in-toto statements of predicateType (any, when absent). */
export function statementLayers(manifest: Manifest, predicateType?: string): Descriptor[] {
  return manifest.layers.filter(
    (l) =>
      l.mediaType === IN_TOTO_MEDIA_TYPE &&
      (!predicateType || l.annotations?.[PREDICATE_TYPE_ANNOTATION] === predicateType),
  );
}
