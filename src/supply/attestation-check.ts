/**
 * The attestation check of `mab verify`: each image of the index has, in the index, an SBOM and a
 * provenance statement whose subject is that image (so neither was copied from another image),
 * and, given the recipe, the provenance says it was built from that recipe's bytes, its pinned
 * sources and artifacts with their checksums, and its base images. Whatever the index carries is
 * read whole and every problem reported, so a failure says which image lacks what.
 */
import { PREDICATE_TYPE_ANNOTATION, PredicateType, attestationEntries, statementLayers } from '../oci/attestation.js';
import { digestHex } from '../oci/digest.js';
import { imageEntries } from '../oci/index.js';
import { INDEX_TYPES, type Index, type Manifest } from '../oci/types.js';
import { formatPlatform } from '../platform/platform.js';
import { checkProvenance } from './provenance.js';
import type { Check, Subject } from './verify.js';

/** An SBOM of a large image is a few MB; a layer far larger is not one, and is not downloaded. */
const MAX_STATEMENT = 64 * 1024 * 1024;

/** What the recipe says the provenance must name: the recipe's digest, its sources, its bases by name. */
export interface ExpectedBuild {
  recipeDigest: string;
  sources: { uri: string; digest?: Record<string, string> }[];
  bases: string[];
}

/** How the provenance says an image was built, for finding what to expect of it. */
export interface BuiltAs {
  recipe: string;
  strategy: string;
  platform: string;
}

export interface ImageAttestations {
  digest: string;
  platform?: string;
  packages?: number;
  builtAs?: BuiltAs;
  problems: string[];
}

export interface AttestationCheckOptions {
  /** The index the subjects belong to (the top of what REF names). */
  index: Index;
  /** Given: what the recipe the provenance names must have given, for that strategy and platform. */
  expect?: (built: BuiltAs) => Promise<ExpectedBuild>;
}

async function statementsOf(s: Subject, index: Index, digest: string) {
  const found: Record<string, unknown[]> = {};
  for (const { entry } of attestationEntries(index).filter((e) => e.subject === digest)) {
    const manifest = JSON.parse(
      (await s.client.getManifest(s.repository, entry.digest)).bytes.toString('utf8'),
    ) as Manifest;
    for (const layer of statementLayers(manifest)) {
      if (layer.size > MAX_STATEMENT) continue;
      const type = layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ?? '';
      (found[type] ??= []).push(JSON.parse((await s.client.getBlob(s.repository, layer.digest)).toString('utf8')));
    }
  }
  return found;
}

async function checkImage(
  s: Subject,
  o: AttestationCheckOptions,
  digest: string,
  platform?: string,
): Promise<ImageAttestations> {
  const out: ImageAttestations = { digest, ...(platform ? { platform } : {}), problems: [] };
  const found = await statementsOf(s, o.index, digest);
  const [sbom] = found[PredicateType.Spdx] ?? [];
  const [provenance] = found[PredicateType.SlsaProvenance1] ?? [];
  if (!sbom) out.problems.push('no SBOM (SPDX) statement in the index');
  else {
    const st = sbom as {
      subject?: { digest?: { sha256?: string } }[];
      predicate?: {
        spdxVersion?: string;
        packages?: { checksums?: { checksumValue?: string }[] }[];
        relationships?: { relationshipType?: string }[];
      };
    };
    if (!st.subject?.some((x) => x?.digest?.sha256 === digestHex(digest)))
      out.problems.push('the SBOM statement is about another image');
    if (st.predicate?.spdxVersion !== 'SPDX-2.3') out.problems.push('the SBOM is not an SPDX 2.3 document');
    else if (!st.predicate.packages?.[0]?.checksums?.some((c) => c.checksumValue === digestHex(digest)))
      out.problems.push("the SBOM's document describes another image");
    // What the image holds (CONTAINS), not what its build took in (BUILD_DEPENDENCY_OF).
    out.packages = st.predicate?.relationships?.filter((r) => r.relationshipType === 'CONTAINS').length ?? 0;
  }
  if (!provenance) out.problems.push('no SLSA provenance statement in the index');
  else {
    const ext = (provenance as { predicate?: { buildDefinition?: { externalParameters?: Record<string, unknown> } } })
      .predicate?.buildDefinition?.externalParameters;
    const builtAs = {
      recipe: String((ext?.recipe as { name?: string } | undefined)?.name ?? ''),
      strategy: String(ext?.strategy ?? ''),
      platform: String(ext?.platform ?? platform ?? ''),
    };
    out.builtAs = builtAs;
    let want: ExpectedBuild | undefined;
    try {
      want = await o.expect?.(builtAs);
    } catch (e) {
      out.problems.push(e instanceof Error ? e.message.split('\n')[0]! : String(e));
    }
    // Bases by name only: the recipe names tags, which may have moved since the build.
    out.problems.push(
      ...checkProvenance(provenance, {
        digest,
        ...(want
          ? {
              recipeDigest: want.recipeDigest,
              sources: want.sources,
              bases: Object.fromEntries(want.bases.map((b) => [b, undefined])),
            }
          : {}),
      }),
    );
  }
  return out;
}

export function attestationCheck(o: AttestationCheckOptions): Check {
  return async (s) => {
    const images = INDEX_TYPES.includes(s.mediaType)
      ? imageEntries(o.index).map((e) => ({ digest: e.digest, platform: e.platform && formatPlatform(e.platform) }))
      : [{ digest: s.digest, platform: s.platform }];
    const results: ImageAttestations[] = [];
    for (const i of images) results.push(await checkImage(s, o, i.digest, i.platform));
    const bad = results.filter((r) => r.problems.length);
    const name = (r: ImageAttestations) => r.platform ?? r.digest.slice(0, 19);
    return {
      check: 'attestations',
      ok: bad.length === 0,
      summary: bad.length
        ? bad.map((r) => `${name(r)}: ${r.problems.join('; ')}`).join('; ')
        : `SBOM and provenance of ${results.map((r) => `${name(r)} (${r.packages} packages)`).join(', ')} name their image${o.expect ? ' and match the recipe' : ''}`,
      details: { images: results },
    };
  };
}
