import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { readImageFiles } from '../oci/files.js';
import { MediaType, type Descriptor } from '../oci/types.js';
import { copyrightLicenses, installedPackages } from './dpkg.js';
import { spdxDocument, spdxLicense } from './sbom.js';

const STATUS = `Package: libc6
Status: install ok installed
Architecture: arm64
Source: glibc
Version: 2.36-9+deb12u9
Description: GNU C Library
 Contains the standard libraries.

Package: removed-one
Status: deinstall ok config-files
Architecture: arm64
Version: 1.0

Package: libssl3
Status: install ok installed
Architecture: arm64
Source: openssl (3.0.15-1~deb12u1)
Version: 3.0.15-1~deb12u1+b1
`;

describe('dpkg status', () => {
  it('lists installed packages only, with their source package and its version', () => {
    expect(installedPackages(STATUS)).toEqual([
      {
        name: 'libc6',
        version: '2.36-9+deb12u9',
        architecture: 'arm64',
        source: 'glibc',
        sourceVersion: '2.36-9+deb12u9',
      },
      {
        name: 'libssl3',
        version: '3.0.15-1~deb12u1+b1',
        architecture: 'arm64',
        source: 'openssl',
        sourceVersion: '3.0.15-1~deb12u1',
      },
    ]);
  });
});

describe('licenses', () => {
  it('reads the License names of a machine-readable copyright file, and nothing from a free-form one', () => {
    const dep5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo

Files: *
Copyright: 2020 Someone
License: GPL-2+
 This program is free software.

Files: debian/*
License: public-domain

License: GPL-2+
 The full text.
`;
    expect(copyrightLicenses(dep5)).toBe('GPL-2+ AND public-domain');
    expect(copyrightLicenses('This is demo, written by Someone.\nIt is under the GPL.\n')).toBeUndefined();
  });

  it('maps DEP-5 names to SPDX identifiers, and any other to a LicenseRef it declares', () => {
    const refs = new Set<string>();
    expect(spdxLicense('GPL-2+ AND (LGPL-2.1+ or BSD-3-clause) AND public-domain', refs)).toBe(
      'GPL-2.0-or-later AND (LGPL-2.1-or-later OR BSD-3-Clause) AND LicenseRef-public-domain',
    );
    expect([...refs]).toEqual(['LicenseRef-public-domain']);
  });
});

describe('the SPDX document', () => {
  it('describes the image, contains each package with its purl, and names where its own licenses come from', () => {
    const doc = spdxDocument(
      {
        name: 'r.example/demo',
        tool: 'mab-0.1.0',
        image: {
          platform: { os: 'linux', architecture: 'arm64' },
          digest: `sha256:${'a'.repeat(64)}`,
          layers: [],
          config: { created: '2026-11-30T08:00:00.123Z' } as never,
        },
      },
      installedPackages(STATUS),
      new Map([['libssl3', 'Apache-2.0 AND custom-thing']]),
    );
    expect(doc).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      creationInfo: { created: '2026-11-30T08:00:00Z' },
      documentNamespace: `https://spdx.org/spdxdocs/mab/sha256/${'a'.repeat(64)}/linux-arm64`,
      hasExtractedLicensingInfos: [{ licenseId: 'LicenseRef-custom-thing' }],
    });
    const ssl = doc.packages.find((p) => p.name === 'libssl3')!;
    expect(ssl.licenseDeclared).toBe('Apache-2.0 AND LicenseRef-custom-thing');
    expect(ssl.externalRefs).toEqual([
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:deb/debian/libssl3@3.0.15-1~deb12u1%2Bb1?arch=arm64&upstream=openssl',
      },
    ]);
    expect(doc.packages.find((p) => p.name === 'libc6')!.licenseDeclared).toBe('NOASSERTION');
    expect((doc.relationships as unknown[]).length).toBe(3);
  });
});

describe('readImageFiles', () => {
  async function layer(entries: [string, string | null][]): Promise<Buffer> {
    const pack = tar.pack();
    for (const [name, body] of entries)
      body === null ? pack.entry({ name, type: 'directory' }) : pack.entry({ name }, body);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return gzipSync(Buffer.concat(chunks));
  }

  it('gives the final filesystem: later layers replace files, whiteouts and opaque directories delete them', async () => {
    const blobs = [
      await layer([
        ['var/lib/dpkg/status', 'first'],
        ['usr/share/doc/a/copyright', 'a'],
        ['usr/share/doc/b/copyright', 'b'],
        ['opt/x/copyright', 'x'],
      ]),
      await layer([
        ['var/lib/dpkg/status', 'second'],
        ['usr/share/doc/.wh.a', ''],
        ['opt/x/.wh..wh..opq', ''],
      ]),
    ];
    const layers: Descriptor[] = blobs.map((b, i) => ({
      mediaType: MediaType.OciLayerGzip,
      digest: `l${i}`,
      size: b.length,
    }));
    const files = await readImageFiles(
      layers,
      async (d) => Readable.from([blobs[Number(d.digest.slice(1))]!]),
      (p) => p.endsWith('status') || p.endsWith('copyright'),
    );
    expect(Object.fromEntries([...files].map(([k, v]) => [k, v.toString()]))).toEqual({
      'var/lib/dpkg/status': 'second',
      'usr/share/doc/b/copyright': 'b',
    });
  });
});
