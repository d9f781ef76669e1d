/**
 * Each built image's attestations, stored beside it: its SBOM (read from the image's own layers)
 * and its provenance (from the plan), as one attestation manifest (oci/attestation.ts) that the
 * store index lists and a push carries. The SBOM is the slow half (every layer read again), so a
 * build that changed nothing reuses the manifest its build record names while the store has it.
 */
import {
  REFERENCE_DIGEST_ANNOTATION,
  attestationManifest,
  PredicateType,
  statementOf,
  type Statement,
} from '../oci/attestation.js';
import { readFile } from 'node:fs/promises';
import { sha256Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/types.js';
import type { BuildPlan } from '../plan/plan.js';
import { formatPlatform, type Platform } from '../platform/platform.js';
import { buildRecord, type BuildRecord } from '../store/builds.js';
import type { Store } from '../store/layout.js';
import { provenanceInput, provenanceStatement, type Statement as ProvenanceStatement } from '../supply/provenance.js';
import { withBuildInputs } from '../supply/sbom-inputs.js';
import { imageSbom } from '../supply/sbom.js';
import { mapLimited } from '../util/limit.js';
import type { Exported } from './export.js';

/** What to attest: --sbom and --provenance (both on unless turned off). */
export interface AttestKinds {
  sbom: boolean;
  provenance: boolean;
}

export const NO_ATTESTATIONS: AttestKinds = { sbom: false, provenance: false };

export const attests = (k: AttestKinds | undefined): boolean => Boolean(k && (k.sbom || k.provenance));

/** The predicate types an attestation manifest holds for these kinds, in the order it holds them. */
export function predicateTypes(k: AttestKinds): string[] {
  return [...(k.sbom ? [PredicateType.Spdx] : []), ...(k.provenance ? [PredicateType.SlsaProvenance1] : [])];
}

export interface AttestInput {
  store: Store;
  /** The statements' subject name, e.g. pkg:docker/mab/sysbench@1.0.20-cross?platform=linux%2Farm64. */
  name: string;
  platform: Platform;
  exported: Exported;
  kinds: AttestKinds;
  /** The provenance statement, built by the caller from the plan. */
  provenance?: () => Promise<ProvenanceStatement>;
  /** mab-VERSION, the SBOM's creator. */
  tool: string;
  /** An earlier build's entry for the same image (its build record's): reused when the store has it. */
  earlier?: StoredAttestation;
}

/** Whether the store has the manifest and every blob it names (a lost one is made again). */
async function storedWhole(store: Store, entry: Descriptor): Promise<boolean> {
  if (!(await store.hasBlob(entry))) return false;
  const m = JSON.parse((await store.readBlob(entry.digest)).toString('utf8')) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  for (const b of [m.config, ...m.layers]) if (!(await store.hasBlob(b))) return false;
  return true;
}

/** Stores the image's attestation manifest and returns its index entry. */
export async function storeAttestation(a: AttestInput): Promise<{ entry: Descriptor; reused: boolean }> {
  const subject = a.exported.manifest.digest;
  const wanted = predicateTypes(a.kinds);
  const earlier = a.earlier;
  if (
    earlier &&
    earlier.entry.annotations?.[REFERENCE_DIGEST_ANNOTATION] === subject &&
    earlier.predicateTypes.join() === wanted.join() &&
    (await storedWhole(a.store, earlier.entry))
  )
    return { entry: earlier.entry, reused: true };
  const statements: Statement[] = [];
  // Made even when not attached: the SBOM names the build inputs it resolved.
  const provenance = a.provenance && (await a.provenance());
  if (a.kinds.sbom) {
    const manifest = JSON.parse((await a.store.readBlob(subject)).toString('utf8')) as { layers: Descriptor[] };
    const sbom = await imageSbom({
      name: a.name,
      image: { platform: a.platform, digest: subject, layers: manifest.layers, config: a.exported.config },
      open: (layer) => a.store.repository().open(layer.digest),
      tool: a.tool,
    });
    statements.push(
      statementOf(a.name, subject, PredicateType.Spdx, provenance ? withBuildInputs(sbom, provenance) : sbom),
    );
  }
  if (a.kinds.provenance && provenance) statements.push(provenance);
  const { blobs, manifest, entry } = attestationManifest(subject, statements);
  for (const b of [...blobs, manifest]) await a.store.putBytes(b.bytes, b.descriptor.mediaType);
  return { entry, reused: false };
}

export type StoredAttestation = NonNullable<BuildRecord['attestation']>;

/** When a build ran, from its record (one written before provenance kept the times: its end alone). */
export function ranOf(record: BuildRecord): { startedOn: string; finishedOn: string } {
  if (record.ran) return record.ran;
  const end = Date.parse(record.builtAt);
  return { startedOn: new Date(end - record.buildSeconds * 1000).toISOString(), finishedOn: record.builtAt };
}

export interface AttestImagesOptions {
  jobs: number;
  tool: string;
  /** The engine's version answers (checkEngine): the provenance's builder. */
  engine: { server: string; buildx: string };
  /** Per image, in the plan's order: its base digests and when it was built. */
  platforms: { bases?: Record<string, string>; ran: { startedOn: string; finishedOn: string } }[];
  log: (m: string) => void;
}

/** Each exported image's attestation manifest, stored; none when the plan asks for none. */
export async function attestImages(
  store: Store,
  plan: BuildPlan,
  images: { exported: Exported; platform: Platform }[],
  o: AttestImagesOptions,
): Promise<(StoredAttestation | undefined)[]> {
  const kinds = plan.attest ?? NO_ATTESTATIONS;
  if (!attests(kinds)) return [];
  const recipeDigest = sha256Digest(await readFile(plan.recipe.file));
  return mapLimited(images, o.jobs, async (image, i) => {
    const started = Date.now();
    const target = plan.targets[i]!;
    const p = o.platforms[i]!;
    const platform = formatPlatform(image.platform);
    const name = `pkg:docker/mab/${plan.recipe.name}@${plan.recipe.version}-${plan.strategy}?platform=${encodeURIComponent(platform)}`;
    // The same image as a stored build (unchanged, or rebuilt to the same digest) keeps its
    // attestations: they are true of it, and the index stays the same.
    const earlier = (await buildRecord(store.dir, image.exported.manifest.digest))?.attestation;
    const { entry, reused } = await storeAttestation({
      store,
      name,
      platform: image.platform,
      exported: image.exported,
      kinds,
      tool: o.tool,
      ...(earlier ? { earlier } : {}),
      provenance: async () =>
        provenanceStatement(
          await provenanceInput(plan, target, {
            subject: { name, digest: image.exported.manifest.digest },
            recipeDigest: recipeDigest.slice('sha256:'.length),
            bases: p.bases ?? {},
            builder: { mab: o.tool.replace(/^mab-/, ''), engine: o.engine.server, buildx: o.engine.buildx },
            ...p.ran,
          }),
        ),
    });
    o.log(
      `[${platform}] attestations (${predicateTypes(kinds)
        .map((t) => (t === PredicateType.Spdx ? 'SBOM' : 'provenance'))
        .join(
          ', ',
        )}): ${entry.digest.slice(0, 19)}, ${reused ? 'as an earlier build of this same image stored them' : `made in ${((Date.now() - started) / 1000).toFixed(1)} s`}`,
    );
    return { entry, predicateTypes: predicateTypes(kinds) };
  });
}
