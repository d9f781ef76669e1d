/**
 * The same SBOM as CycloneDX 1.5 JSON (cyclonedx.org/docs/1.5/json), for tools that read only
 * that format. It is a translation of the SPDX document mab writes (sbom.ts, sbom-inputs.ts), so
 * the two never say different things:
 *  - the image (SPDX primaryPackagePurpose CONTAINER, the document's DESCRIBES) is
 *    metadata.component, type "container";
 *  - each package the image CONTAINS is a component, scope "required"; each package that is a
 *    BUILD_DEPENDENCY_OF it (recipe, base images, pinned sources) is a component with scope
 *    "excluded", CycloneDX's word for what was used but is not part of what ships;
 *  - the files a package CONTAINS are components of type "file" nested in it;
 *  - licenseDeclared becomes a license expression, checksums become hashes, purls stay purls.
 * The serial number is derived from the SPDX document's namespace: the same image always gets the
 * same BOM, as it gets the same SPDX document.
 */
import { createHash } from 'node:crypto';
import type { SpdxDocument, SpdxFile } from './sbom.js';

type SpdxPackage = SpdxDocument['packages'][number];
interface Relationship {
  spdxElementId: string;
  relationshipType: string;
  relatedSpdxElement: string;
}
type Checksum = { algorithm: string; checksumValue: string };

export interface CycloneDxComponent {
  type: 'container' | 'library' | 'file' | 'application';
  'bom-ref': string;
  name: string;
  [k: string]: unknown;
}

export interface CycloneDxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.5';
  serialNumber: string;
  version: 1;
  metadata: { component: CycloneDxComponent; [k: string]: unknown };
  components: CycloneDxComponent[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

const HASH_ALGORITHMS: Record<string, string> = { SHA1: 'SHA-1', SHA256: 'SHA-256', MD5: 'MD5' };

function hashes(checksums: Checksum[] | undefined) {
  const out = (checksums ?? [])
    .filter((c) => HASH_ALGORITHMS[c.algorithm])
    .map((c) => ({ alg: HASH_ALGORITHMS[c.algorithm]!, content: c.checksumValue }));
  return out.length ? { hashes: out } : {};
}

/** A UUID (version 5 layout) from the namespace's SHA-1, as urn:uuid. */
function serialOf(namespace: string): string {
  const h = createHash('sha1').update(namespace).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function typeOf(p: SpdxPackage, purl: string | undefined): CycloneDxComponent['type'] {
  if (p.primaryPackagePurpose === 'CONTAINER') return 'container';
  if (purl?.startsWith('pkg:deb/') || p.primaryPackagePurpose === 'LIBRARY') return 'library';
  return 'file';
}

function component(p: SpdxPackage, files: SpdxFile[]): CycloneDxComponent {
  const refs = (p.externalRefs as { referenceType: string; referenceLocator: string }[] | undefined) ?? [];
  const purl = refs.find((r) => r.referenceType === 'purl')?.referenceLocator;
  const license = p.licenseDeclared as string | undefined;
  const download = p.downloadLocation as string | undefined;
  const notes = [p.sourceInfo, p.comment].filter((t): t is string => typeof t === 'string');
  return {
    type: typeOf(p, purl),
    'bom-ref': p.SPDXID,
    name: p.name,
    ...(p.versionInfo ? { version: p.versionInfo } : {}),
    ...(purl ? { purl } : {}),
    ...hashes(p.checksums as Checksum[] | undefined),
    ...(license && license !== 'NOASSERTION' && license !== 'NONE' ? { licenses: [{ expression: license }] } : {}),
    ...(download && download !== 'NOASSERTION' && download !== 'NONE'
      ? { externalReferences: [{ type: 'distribution', url: download }] }
      : {}),
    ...(notes.length ? { description: notes.join('; ') } : {}),
    ...(files.length
      ? {
          components: files.map((f) => ({
            type: 'file',
            'bom-ref': f.SPDXID,
            name: f.fileName,
            ...hashes(f.checksums),
          })),
        }
      : {}),
  };
}

export function cycloneDxOf(doc: SpdxDocument): CycloneDxBom {
  const relationships = (doc.relationships as Relationship[] | undefined) ?? [];
  const imageId = relationships.find(
    (r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES',
  )?.relatedSpdxElement;
  const image = doc.packages.find((p) => p.SPDXID === imageId) ?? doc.packages[0]!;
  const related = (from: string, type: string) =>
    new Set(
      relationships
        .filter((r) => r.spdxElementId === from && r.relationshipType === type)
        .map((r) => r.relatedSpdxElement),
    );
  const contained = related(image.SPDXID, 'CONTAINS');
  const buildInputs = new Set(
    relationships
      .filter((r) => r.relationshipType === 'BUILD_DEPENDENCY_OF' && r.relatedSpdxElement === image.SPDXID)
      .map((r) => r.spdxElementId),
  );
  const fileById = new Map((doc.files ?? []).map((f) => [f.SPDXID, f]));
  const filesOf = (p: SpdxPackage) => [...related(p.SPDXID, 'CONTAINS')].flatMap((id) => fileById.get(id) ?? []);
  const components = doc.packages
    .filter((p) => contained.has(p.SPDXID) || buildInputs.has(p.SPDXID))
    .map((p) => ({ ...component(p, filesOf(p)), scope: contained.has(p.SPDXID) ? 'required' : 'excluded' }));
  const creation = doc.creationInfo as { created: string; creators: string[] };
  const tools = creation.creators.flatMap((c) => {
    const m = /^Tool: (.+?)(?:-(\d[\w.+-]*))?$/.exec(c);
    return m ? [{ type: 'application' as const, name: m[1]!, ...(m[2] ? { version: m[2] } : {}) }] : [];
  });
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: serialOf(doc.documentNamespace as string),
    version: 1,
    metadata: {
      timestamp: creation.created,
      ...(tools.length ? { tools: { components: tools } } : {}),
      component: component(image, []),
    },
    components,
    dependencies: [
      { ref: image.SPDXID, dependsOn: components.filter((c) => c.scope === 'required').map((c) => c['bom-ref']) },
    ],
  };
}
