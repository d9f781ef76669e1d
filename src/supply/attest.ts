/**
 * Signed attestations, as `cosign attest --key` writes them: an in-toto statement (an SBOM, a
 * provenance) signed in a DSSE envelope (src/sign/dsse.ts) and appended to the image digest's
 * `sha256-HEX.att` manifest (src/sign/sig-manifest.ts), which `cosign verify-attestation --key`
 * reads. The statements come from the index itself: the attestation manifests BuildKit's format
 * lists beside the images (src/oci/attestation.ts), unsigned there; signing them here lets a policy
 * that trusts only a key trust them too.
 */
import type { KeyObject } from 'node:crypto';
import { MabError } from '../errors.js';
import { PredicateType, attestationEntries, statementLayers, type Statement } from '../oci/attestation.js';
import { jsonBytes } from '../oci/digest.js';
import { imageEntries } from '../oci/index.js';
import { INDEX_TYPES, type Index, type Manifest } from '../oci/types.js';
import { formatPlatform } from '../platform/platform.js';
import { formatReference, type Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { envelopeBytes, parseEnvelope, signEnvelope, verifyEnvelope } from '../sign/dsse.js';
import { dockerReference } from '../sign/payload.js';
import { DSSE_MEDIA_TYPE, PREDICATE_TYPE_ANNOTATION, attestationLayer } from '../sign/sig-manifest.js';
import { signDigests, type Signed } from './sign.js';
import { appendOnce } from './signatures.js';

export interface AttestItem {
  /** The image the statement is about (sha256:HEX), which must be among its subjects. */
  digest: string;
  statement: Statement;
}

export interface AttestOptions {
  key: KeyObject;
  log?: (m: string) => void;
}

export interface Attested {
  digest: string;
  predicateType: string;
  /** The tag holding the digest's attestations. */
  tag: string;
  /** Attestations the tag holds now. */
  attestations: number;
  /** False when this key had already signed the same statement. */
  added: boolean;
}

const subjectDigests = (s: Statement) =>
  (Array.isArray(s.subject) ? s.subject : []).map((x) => `sha256:${x?.digest?.sha256 ?? '?'}`);

/**
 * Refuses a statement about another image than the one it is to be attached to: in that image's
 * `.att` it would vouch for what it does not describe (cosign verify-attestation refuses it too).
 */
function assertSubjects(reference: string, items: AttestItem[]): void {
  for (const { digest, statement } of items)
    if (!subjectDigests(statement).includes(digest))
      throw new MabError(
        'E_ATTEST',
        `the ${statement.predicateType} statement to attach to ${reference}@${digest} is about ${subjectDigests(statement).join(', ') || 'no subject'}, not that image`,
        'attach a statement to the image its subject names',
      );
}

/**
 * Signs each statement into its digest's `.att`. A statement this key already signed there (same
 * bytes) is not added again, so a re-run adds nothing. Every subject is checked before anything
 * is written.
 */
export async function attestDigests(
  client: RegistryClient,
  repo: string,
  items: AttestItem[],
  o: AttestOptions,
): Promise<Attested[]> {
  const reference = dockerReference(client.registry, repo);
  assertSubjects(reference, items);
  const out: Attested[] = [];
  for (const { digest, statement } of items) {
    const { predicateType } = statement;
    const body = jsonBytes(statement);
    const layer = attestationLayer(envelopeBytes(signEnvelope(o.key, body)), predicateType);
    const r = await appendOnce(client, repo, digest, 'att', layer, async (set) => {
      // Envelopes differ at each signing (ECDSA is randomized): the payload and key are compared.
      for (const l of set.manifest.layers) {
        if (l.mediaType !== DSSE_MEDIA_TYPE || l.annotations?.[PREDICATE_TYPE_ANNOTATION] !== predicateType) continue;
        const envelope = parseEnvelope(await client.getBlob(repo, l.digest));
        if (envelope && verifyEnvelope(o.key, envelope)?.equals(body)) return true;
      }
      return false;
    });
    o.log?.(
      `${reference}@${digest}: ${predicateType} ${r.added ? `attested (${r.tag}, ${r.layers} attestation(s))` : `already attested with this key (${r.tag})`}`,
    );
    out.push({ digest, predicateType, tag: r.tag, attestations: r.layers, added: r.added });
  }
  return out;
}

export interface ImageStatements {
  /** The image's manifest digest. */
  digest: string;
  platform: string;
  statements: Statement[];
}

/**
 * The in-toto statements an index carries for each of its images, in the index's order (an image
 * with none has an empty list): attestation entry → attestation manifest → statement layers.
 */
export async function indexStatements(client: RegistryClient, repo: string, index: Index): Promise<ImageStatements[]> {
  const entries = attestationEntries(index);
  const out: ImageStatements[] = [];
  for (const image of imageEntries(index)) {
    const statements: Statement[] = [];
    for (const { entry } of entries.filter((e) => e.subject === image.digest)) {
      const manifest = JSON.parse((await client.getManifest(repo, entry.digest)).bytes.toString('utf8')) as Manifest;
      for (const layer of statementLayers(manifest)) {
        const bytes = await client.getBlob(repo, layer.digest);
        try {
          statements.push(JSON.parse(bytes.toString('utf8')) as Statement);
        } catch {
          throw new MabError(
            'E_ATTEST',
            `${client.registry}/${repo}@${entry.digest}: layer ${layer.digest} is not an in-toto statement (not JSON)`,
          );
        }
      }
    }
    out.push({ digest: image.digest, platform: image.platform ? formatPlatform(image.platform) : '', statements });
  }
  return out;
}

/** The predicate types `mab sign --attestations` signs: the SBOM and the provenance mab attaches. */
export const SIGNED_PREDICATE_TYPES: readonly string[] = Object.values(PredicateType);

/**
 * What `mab sign REF --attestations` signs: for each image of the index REF names, its statements
 * of SIGNED_PREDICATE_TYPES, each about that image. An index with none of them, or a REF that is
 * no index, is an error that says how to get them.
 */
export async function attestationsToSign(client: RegistryClient, ref: Reference): Promise<AttestItem[]> {
  const { images, items } = await signableStatements(client, ref.repository, ref.digest ?? ref.tag ?? 'latest');
  if (!items.length)
    throw new MabError(
      'E_NO_ATTESTATIONS',
      `${formatReference(ref)} carries no SBOM or provenance attestations to sign (${
        images.length
          ? `its index lists ${images.length} image(s) and no ${SIGNED_PREDICATE_TYPES.join(' or ')} statement`
          : 'it is not an index'
      })`,
      'build and push it with attestations on, so that its index carries an SBOM and a provenance per platform, then sign it again',
    );
  assertSubjects(dockerReference(client.registry, ref.repository), items);
  return items;
}

/** The SBOM and provenance statements the index `reference` names carries, per image (none: []). */
async function signableStatements(
  client: RegistryClient,
  repo: string,
  reference: string,
): Promise<{ images: ImageStatements[]; items: AttestItem[] }> {
  const top = await client.getManifest(repo, reference);
  const images = INDEX_TYPES.includes(top.mediaType)
    ? await indexStatements(client, repo, JSON.parse(top.bytes.toString('utf8')) as Index)
    : [];
  const items = images.flatMap((i) =>
    i.statements
      .filter((statement) => SIGNED_PREDICATE_TYPES.includes(statement.predicateType))
      .map((statement) => ({ digest: i.digest, statement })),
  );
  return { images, items };
}

/** "; N manifests signed, M attestations signed", for a push's one-line summary. */
export function signedSummary(s: { signed: Signed[]; attested?: Attested[] } | undefined): string {
  return s
    ? `; ${s.signed.length} manifests signed${s.attested ? `, ${s.attested.length} attestations signed` : ''}`
    : '';
}

/**
 * What `--sign KEY` does after a build's or a store's push: every digest signed (the index and
 * each platform manifest), and the attestations the index carries signed into each image's `.att`.
 */
export async function signPushed(
  client: RegistryClient,
  repo: string,
  digests: string[],
  index: string | undefined,
  o: AttestOptions,
): Promise<{ signed: Signed[]; attested?: Attested[] }> {
  const signed = await signDigests(client, repo, digests, o);
  const { items } = index ? await signableStatements(client, repo, index) : { items: [] };
  if (!items.length) return { signed };
  assertSubjects(dockerReference(client.registry, repo), items);
  return { signed, attested: await attestDigests(client, repo, items, o) };
}
