/**
 * An SPDX 2.3 document (spdx.github.io/spdx-spec/v2.3/) for one platform's image, from what the
 * image holds: every Debian package dpkg lists as installed in it, with its version,
 * architecture, source package, a purl (github.com/package-url/purl-spec, type deb) and the
 * licenses its machine-readable copyright file declares. Nothing is guessed from file names: a
 * package whose copyright file is free-form has licenseDeclared NOASSERTION.
 *
 * The document is a function of the image alone (its digest names the document, its config's
 * `created` dates it), so the same image always gets the same SBOM.
 */
import type { Readable } from 'node:stream';
import { readImageFiles } from '../oci/files.js';
import type { Descriptor, ImageConfig } from '../oci/types.js';
import { formatPlatform, type Platform } from '../platform/platform.js';
import { DPKG_STATUS, copyrightLicenses, copyrightPath, installedPackages, type DebPackage } from './dpkg.js';

// DEP-5 short names that differ from their SPDX identifiers (copyright-format 1.0, "License
// specification"); the rest of the common ones are spelled the same.
const SPDX_NAMES: Record<string, string> = {
  'GPL-1+': 'GPL-1.0-or-later',
  GPL: 'GPL-1.0-or-later',
  'GPL-2': 'GPL-2.0-only',
  'GPL-2+': 'GPL-2.0-or-later',
  'GPL-3': 'GPL-3.0-only',
  'GPL-3+': 'GPL-3.0-or-later',
  'LGPL-2': 'LGPL-2.0-only',
  'LGPL-2+': 'LGPL-2.0-or-later',
  'LGPL-2.1': 'LGPL-2.1-only',
  'LGPL-2.1+': 'LGPL-2.1-or-later',
  'LGPL-3': 'LGPL-3.0-only',
  'LGPL-3+': 'LGPL-3.0-or-later',
  Expat: 'MIT',
  'BSD-2-clause': 'BSD-2-Clause',
  'BSD-3-clause': 'BSD-3-Clause',
  'BSD-4-clause': 'BSD-4-Clause',
  'Artistic-2': 'Artistic-2.0',
  'Apache-2': 'Apache-2.0',
  'MPL-2': 'MPL-2.0',
  Zlib: 'Zlib',
  ISC: 'ISC',
  'Apache-2.0': 'Apache-2.0',
  MIT: 'MIT',
  'CC0-1.0': 'CC0-1.0',
};

/** A DEP-5 expression made an SPDX one: known names mapped, others as LicenseRef-NAME. */
export function spdxLicense(dep5: string, refs: Set<string>): string {
  return dep5.replace(/[A-Za-z0-9][\w.+-]*/g, (name) => {
    if (/^(and|or|with|AND|OR|WITH)$/.test(name)) return name.toUpperCase();
    if (SPDX_NAMES[name]) return SPDX_NAMES[name];
    const ref = `LicenseRef-${name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
    refs.add(ref);
    return ref;
  });
}

export interface ImageSbomInput {
  /** What the image is called, e.g. 127.0.0.1:5000/mab/sysbench or the store tag. */
  name: string;
  image: { platform: Platform; digest: string; layers: Descriptor[]; config: ImageConfig };
  open(layer: Descriptor): Promise<Readable>;
  /** e.g. mab-0.1.0 */
  tool: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  SPDXID: 'SPDXRef-DOCUMENT';
  packages: { name: string; versionInfo?: string; SPDXID: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

export async function imageSbom(input: ImageSbomInput): Promise<SpdxDocument> {
  const files = await readImageFiles(
    input.image.layers,
    input.open,
    (p) => p === DPKG_STATUS || /^usr\/share\/doc\/[^/]+\/copyright$/.test(p),
  );
  const packages = installedPackages(files.get(DPKG_STATUS)?.toString('utf8') ?? '');
  const licenses = new Map(
    packages.map((p) => {
      const text = files.get(copyrightPath(p.name))?.toString('utf8');
      return [p.name, text ? copyrightLicenses(text) : undefined];
    }),
  );
  return spdxDocument(input, packages, licenses);
}

export function spdxDocument(
  input: Pick<ImageSbomInput, 'name' | 'image' | 'tool'>,
  packages: DebPackage[],
  licenses: Map<string, string | undefined>,
): SpdxDocument {
  const { image } = input;
  const digest = image.digest;
  const refs = new Set<string>();
  const imageId = 'SPDXRef-image';
  const platform = formatPlatform(image.platform);
  const debs = packages.map((p, i) => {
    const declared = licenses.get(p.name);
    return {
      name: p.name,
      SPDXID: `SPDXRef-deb-${i + 1}-${p.name.replace(/[^A-Za-z0-9.-]/g, '-')}`,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: declared ? spdxLicense(declared, refs) : 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      sourceInfo: `built from the Debian source package ${p.source} ${p.sourceVersion}`,
      primaryPackagePurpose: 'LIBRARY',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: `pkg:deb/debian/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}?arch=${p.architecture}${p.source !== p.name ? `&upstream=${encodeURIComponent(p.source)}` : ''}`,
        },
      ],
    };
  });
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${input.name} ${platform}`,
    // Unique per image, as the spec asks, and the same every time for the same image.
    documentNamespace: `https://spdx.org/spdxdocs/mab/${digest.replace(':', '/')}/${platform.replaceAll('/', '-')}`,
    creationInfo: {
      created: (image.config.created ?? '1970-01-01T00:00:00Z').replace(/\.\d+Z$/, 'Z'),
      creators: [`Tool: ${input.tool}`],
    },
    packages: [
      {
        name: input.name,
        SPDXID: imageId,
        versionInfo: digest,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
        primaryPackagePurpose: 'CONTAINER',
        checksums: [{ algorithm: 'SHA256', checksumValue: digest.slice('sha256:'.length) }],
      },
      ...debs,
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
      ...debs.map((d) => ({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: d.SPDXID })),
    ],
    ...(refs.size
      ? {
          hasExtractedLicensingInfos: [...refs].sort().map((licenseId) => ({
            licenseId,
            name: licenseId.slice('LicenseRef-'.length),
            extractedText: `The license named "${licenseId.slice('LicenseRef-'.length)}" in a package's /usr/share/doc/PACKAGE/copyright`,
          })),
        }
      : {}),
  };
}
