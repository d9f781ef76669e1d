/**
 * A pushed image's attestations, attached to it as OCI 1.1 referrers too (`--referrers`), for the
 * tools that look there rather than in the index (`oras discover`, registries' UIs):
 *  - the SBOM as an artifact of type application/spdx+json whose layer is the SPDX document
 *    itself (what `oras attach --artifact-type application/spdx+json` would push);
 *  - the provenance as an artifact of type application/vnd.in-toto+json whose layer is the
 *    in-toto statement, its predicate type in the in-toto.io/predicate-type annotation.
 * The bytes come from the attestation manifest in the store, so both places say the same. The
 * artifacts carry no time: pushing again writes the same manifests and lists nothing twice.
 */
import {
  IN_TOTO_MEDIA_TYPE,
  PREDICATE_TYPE_ANNOTATION,
  PredicateType,
  statementLayers,
  type Statement,
} from '../oci/attestation.js';
import { jsonBytes } from '../oci/digest.js';
import type { Descriptor, Manifest } from '../oci/types.js';
import type { RegistryClient } from '../registry/client.js';
import { attachReferrers, type Artifact } from '../registry/referrers.js';
import type { Store } from '../store/layout.js';

const SPDX_ARTIFACT_TYPE = 'application/spdx+json';

function artifactOf(statement: Buffer, predicateType: string | undefined): Artifact {
  if (predicateType === PredicateType.Spdx) {
    const { predicate } = JSON.parse(statement.toString('utf8')) as Statement;
    return { artifactType: SPDX_ARTIFACT_TYPE, mediaType: SPDX_ARTIFACT_TYPE, bytes: jsonBytes(predicate) };
  }
  return {
    artifactType: IN_TOTO_MEDIA_TYPE,
    mediaType: IN_TOTO_MEDIA_TYPE,
    bytes: statement,
    ...(predicateType ? { annotations: { [PREDICATE_TYPE_ANNOTATION]: predicateType } } : {}),
  };
}

/** Attaches the statements of the stored attestation manifest `attestation` to `image`. */
export async function attachStoredAttestations(
  store: Store,
  client: RegistryClient,
  repo: string,
  image: Descriptor,
  attestation: Manifest,
): Promise<Awaited<ReturnType<typeof attachReferrers>>> {
  const artifacts: Artifact[] = [];
  for (const layer of statementLayers(attestation))
    artifacts.push(
      artifactOf(await store.repository().blob(layer.digest), layer.annotations?.[PREDICATE_TYPE_ANNOTATION]),
    );
  return attachReferrers(client, repo, image, artifacts);
}
