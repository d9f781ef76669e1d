/**
 * What an image was built from, added to its SBOM: the recipe (by the sha256 of its bytes), each
 * base image by digest, each pinned source and artifact with its checksum, the recipe's commit.
 * They come from the image's provenance statement (provenance.ts), so the SBOM and the provenance
 * an image carries never disagree on them. Each is a package the image's package has as a
 * BUILD_DEPENDENCY (SPDX 2.3, relationship types): it went into the build, whether or not its
 * bytes are in the image; the Debian packages read from the image stay CONTAINS.
 */
import type { ResourceDescriptor, Statement } from './provenance.js';
import type { SpdxDocument } from './sbom.js';

// in-toto digest names → SPDX 2.3 checksum algorithms (the ones mab records).
const ALGORITHMS: Record<string, string> = { sha256: 'SHA256', sha1: 'SHA1', md5: 'MD5' };

type SpdxPackage = SpdxDocument['packages'][number];

function inputPackage(d: ResourceDescriptor, i: number): SpdxPackage {
  const checksums = Object.entries(d.digest ?? {})
    .filter(([a]) => ALGORITHMS[a])
    .map(([a, v]) => ({ algorithm: ALGORITHMS[a]!, checksumValue: v }));
  const commit = d.digest?.gitCommit;
  const purl = d.uri?.startsWith('pkg:') ? d.uri : undefined;
  // A URL or git location is where the bytes came from; a purl names a package, not a place.
  const download = d.uri && !purl ? d.uri : 'NOASSERTION';
  const name = d.name ?? d.uri ?? `input-${i + 1}`;
  return {
    name,
    SPDXID: `SPDXRef-input-${i + 1}-${name.replace(/[^A-Za-z0-9.-]/g, '-')}`,
    ...(commit ? { versionInfo: commit } : {}),
    downloadLocation: download,
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(checksums.length ? { checksums } : {}),
    ...(purl
      ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }] }
      : {}),
    ...(d.annotations
      ? {
          comment: Object.entries(d.annotations)
            .map(([k, v]) => `${k}: ${v}`)
            .join('; '),
        }
      : {}),
    primaryPackagePurpose: purl?.startsWith('pkg:docker/') ? 'CONTAINER' : commit ? 'SOURCE' : 'FILE',
  };
}

/** doc with the build inputs the provenance names, each a BUILD_DEPENDENCY_OF the image. */
export function withBuildInputs(doc: SpdxDocument, provenance: Statement): SpdxDocument {
  const { buildDefinition } = provenance.predicate;
  const recipe = buildDefinition.externalParameters.recipe as
    { name: string; path: string; digest: { sha256: string } } | undefined;
  // The recipe file: one package with the sha256 of its bytes and the commit it was read at.
  const deps = buildDefinition.resolvedDependencies;
  const commit = recipe && deps.find((d) => d.name === recipe.path);
  const inputs: ResourceDescriptor[] = [
    ...(recipe ? [{ ...commit, name: recipe.path, digest: { ...commit?.digest, ...recipe.digest } }] : []),
    ...deps.filter((d) => d !== commit),
  ];
  const packages = inputs.map(inputPackage);
  const image = doc.packages[0]!.SPDXID;
  const relationships = (doc.relationships as unknown[] | undefined) ?? [];
  return {
    ...doc,
    packages: [...doc.packages, ...packages],
    relationships: [
      ...relationships,
      ...packages.map((p) => ({
        spdxElementId: p.SPDXID,
        relationshipType: 'BUILD_DEPENDENCY_OF',
        relatedSpdxElement: image,
      })),
    ],
  };
}
