/**
 * An SPDX 2.3 document (spdx.github.io/spdx-spec/v2.3/) for one platform's image, from what the
 * image holds: every Debian package dpkg lists as installed in it, with its version,
 * architecture, source package, a purl (github.com/package-url/purl-spec, type deb) and the
 * licenses its machine-readable copyright file declares. Nothing is guessed from file names: a
 * package whose copyright file is free-form has licenseDeclared NOASSERTION.
 *
 * A package recorded in status.d (a `minimal` image's, a distroless image's) comes with the files
 * its md5sums names: each one the image holds is an SPDX file the package CONTAINS, with the
 * SHA-1 the spec requires and a SHA-256 hashed from the image's layers, and the MD5. A full dpkg
 * database's files are not listed: that would be the whole operating system.
 *
 * The document is a function of the image alone (its digest names the document, its config's
 * `created` dates it), so the same image always gets the same SBOM.
 */
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { digestHex } from '../oci/digest.js';
import { digestImageFiles, readImageFiles, type FileDigests } from '../oci/files.js';
import type { Descriptor, ImageConfig } from '../oci/types.js';
import { formatPlatform, type Platform } from '../platform/platform.js';
import {
  DPKG_STATUS,
  copyrightLicenses,
  copyrightPath,
  imagePackages,
  isStatusDPath,
  type DebPackage,
} from './dpkg.js';

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

export interface SpdxFile {
  fileName: string;
  SPDXID: string;
  checksums: { algorithm: 'SHA1' | 'SHA256' | 'MD5'; checksumValue: string }[];
  [k: string]: unknown;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  SPDXID: 'SPDXRef-DOCUMENT';
  packages: { name: string; versionInfo?: string; SPDXID: string; [k: string]: unknown }[];
  files?: SpdxFile[];
  [k: string]: unknown;
}

export async function imageSbom(input: ImageSbomInput): Promise<SpdxDocument> {
  const { layers } = input.image;
  const files = await readImageFiles(
    layers,
    input.open,
    (p) => p === DPKG_STATUS || isStatusDPath(p) || /^usr\/share\/doc\/[^/]+\/copyright$/.test(p),
  );
  const packages = imagePackages(files);
  const licenses = new Map(
    packages.map((p) => {
      const text = files.get(copyrightPath(p.name))?.toString('utf8');
      return [p.name, text ? copyrightLicenses(text) : undefined];
    }),
  );
  // A second pass over the layers, for the packages' files: which they are is only known once
  // status.d is read, and it may come in any layer.
  const wanted = new Set(packages.flatMap((p) => (p.files ?? []).flatMap((f) => atPaths(f.path))));
  const digests = wanted.size ? await digestImageFiles(layers, input.open, wanted) : new Map<string, FileDigests>();
  return spdxDocument(input, packages, licenses, digests);
}

/**
 * Where a merged-/usr image may hold a file a package names: at its path, or under the other name
 * of a top-level directory linked to usr/ (a package of Debian 12 lists lib/x, found at usr/lib/x).
 */
function atPaths(p: string): string[] {
  if (/^(bin|sbin|lib|lib32|lib64|libx32)\//.test(p)) return [p, `usr/${p}`];
  if (/^usr\/(bin|sbin|lib|lib32|lib64|libx32)\//.test(p)) return [p, p.slice('usr/'.length)];
  return [p];
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const idPart = (s: string) => s.replace(/[^A-Za-z0-9.-]/g, '-');

/**
 * The SPDX files of the packages' files the image holds (by `digests`: path → digests of a regular
 * file), each once however many packages name it, and per package the ids of its own.
 */
function packageFiles(packages: DebPackage[], digests: ReadonlyMap<string, FileDigests>) {
  const recorded = new Map<string, string | undefined>();
  const own = packages.map((p) =>
    (p.files ?? []).flatMap((f) => {
      const at = atPaths(f.path).find((a) => digests.has(a));
      if (at && !recorded.has(at)) recorded.set(at, f.md5);
      return at ? [at] : [];
    }),
  );
  const paths = [...recorded.keys()].sort();
  const ids = new Map(paths.map((p, i) => [p, `SPDXRef-File-${i + 1}-${idPart(p.slice(p.lastIndexOf('/') + 1))}`]));
  const files: SpdxFile[] = paths.map((p) => {
    const d = digests.get(p)!;
    const md5 = recorded.get(p);
    return {
      fileName: `/${p}`,
      SPDXID: ids.get(p)!,
      checksums: [
        { algorithm: 'SHA1', checksumValue: d.sha1 },
        { algorithm: 'SHA256', checksumValue: d.sha256 },
        { algorithm: 'MD5', checksumValue: d.md5 },
      ],
      licenseConcluded: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      // The checksums are of the file the image holds; one changed after its package installed it
      // says so.
      ...(md5 && md5 !== d.md5 ? { comment: `differs from its package's: the package recorded MD5 ${md5}` } : {}),
    };
  });
  const unique = own.map((paths) => [...new Set(paths)].sort());
  return {
    files,
    of: unique.map((paths) => paths.map((p) => ids.get(p)!)),
    /** SPDX 2.3's package verification code: the SHA-1 of its files' SHA-1s, sorted, concatenated. */
    code: unique.map((paths) =>
      sha1(
        paths
          .map((p) => digests.get(p)!.sha1)
          .sort()
          .join(''),
      ),
    ),
  };
}

export function spdxDocument(
  input: Pick<ImageSbomInput, 'name' | 'image' | 'tool'>,
  packages: DebPackage[],
  licenses: Map<string, string | undefined>,
  digests: ReadonlyMap<string, FileDigests> = new Map(),
): SpdxDocument {
  const { image } = input;
  const files = packageFiles(packages, digests);
  const digest = image.digest;
  const refs = new Set<string>();
  const imageId = 'SPDXRef-image';
  const platform = formatPlatform(image.platform);
  const debs = packages.map((p, i) => {
    const declared = licenses.get(p.name);
    return {
      name: p.name,
      SPDXID: `SPDXRef-deb-${i + 1}-${idPart(p.name)}`,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      // A package with files must say they were analyzed (SPDX 2.3, 7.8), and then gets its code.
      ...(files.of[i]!.length
        ? { filesAnalyzed: true, packageVerificationCode: { packageVerificationCodeValue: files.code[i]! } }
        : { filesAnalyzed: false }),
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
        checksums: [{ algorithm: 'SHA256', checksumValue: digestHex(digest) }],
      },
      ...debs,
    ],
    ...(files.files.length ? { files: files.files } : {}),
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
      ...debs.map((d) => ({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: d.SPDXID })),
      ...debs.flatMap((d, i) =>
        files.of[i]!.map((f) => ({ spdxElementId: d.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: f })),
      ),
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
