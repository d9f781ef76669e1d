import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { readImageFiles } from '../oci/files.js';
import { MediaType, type Descriptor } from '../oci/types.js';
import { conffiles, copyrightLicenses, imagePackages, installedPackages, md5sumsFiles } from './dpkg.js';
import { imageSbom, spdxDocument, spdxLicense, type SpdxDocument } from './sbom.js';

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

/** A gzip layer of these files (null: a directory); its entries in the order given. */
async function layer(entries: [string, string | null][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of entries)
    body === null ? pack.entry({ name, type: 'directory' }) : pack.entry({ name }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** The layers as an image's, opened from memory. */
function imageOf(blobs: Buffer[]) {
  const layers: Descriptor[] = blobs.map((b, i) => ({
    mediaType: MediaType.OciLayerGzip,
    digest: `l${i}`,
    size: b.length,
  }));
  return { layers, open: async (d: Descriptor) => Readable.from([blobs[Number(d.digest.slice(1))]!]) };
}

describe('readImageFiles', () => {
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
    const { layers, open } = imageOf(blobs);
    const files = await readImageFiles(layers, open, (p) => p.endsWith('status') || p.endsWith('copyright'));
    expect(Object.fromEntries([...files].map(([k, v]) => [k, v.toString()]))).toEqual({
      'var/lib/dpkg/status': 'second',
      'usr/share/doc/b/copyright': 'b',
    });
  });
});

const hash = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');
const STATUS_D = 'var/lib/dpkg/status.d';

describe('packages recorded in status.d', () => {
  it('reads md5sums and Conffiles lines as written, whatever their leading ./ or / and binary marker', () => {
    const a = hash('md5', 'a');
    expect(md5sumsFiles(`${a}  usr/bin/a\n${a.toUpperCase()} *./usr/bin/b c\n\nnot a line\n${a}  /usr/bin/d`)).toEqual([
      { path: 'usr/bin/a', md5: a },
      { path: 'usr/bin/b c', md5: a },
      { path: 'usr/bin/d', md5: a },
    ]);
    // The field's first line is empty; dpkg writes "newconffile" before it has hashed one.
    expect(conffiles(`\n /etc/a.conf ${a}\n /etc/old.conf ${a} obsolete\n /etc/new.conf newconffile`)).toEqual([
      { path: 'etc/a.conf', md5: a },
      { path: 'etc/old.conf', md5: a },
      { path: 'etc/new.conf' },
    ]);
  });

  it('takes a stanza without Status as installed, one with another Status not, and names a package once', () => {
    const files = new Map(
      Object.entries({
        'var/lib/dpkg/status': STATUS,
        [`${STATUS_D}/libc6`]: 'Package: libc6\nArchitecture: arm64\nSource: glibc\nVersion: 2.36-9+deb12u9\n',
        [`${STATUS_D}/libc6.md5sums`]: `${hash('md5', 'c')}  usr/lib/aarch64-linux-gnu/libc.so.6\n`,
        [`${STATUS_D}/gone`]: 'Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n',
        [`${STATUS_D}/two`]: 'Package: two-a\nVersion: 1\n\nPackage: two-b\nVersion: 2\n',
        [`${STATUS_D}/sub/nested`]: 'Package: nested\nVersion: 1\n',
      }).map(([k, v]) => [k, Buffer.from(v)]),
    );
    const packages = imagePackages(files);
    expect(packages.map((p) => `${p.name} ${p.version}`)).toEqual([
      'libc6 2.36-9+deb12u9',
      'libssl3 3.0.15-1~deb12u1+b1',
      'two-a 1',
      'two-b 2',
    ]);
    // The status file's libc6 and status.d's are one package, with status.d's files.
    expect(packages[0]!.files).toEqual([{ path: 'usr/lib/aarch64-linux-gnu/libc.so.6', md5: hash('md5', 'c') }]);
    expect(packages[2]!.files).toEqual([]);
  });

  it('gives each kept file of a package, hashed from the layers, as an SPDX file the package CONTAINS', async () => {
    const libc = 'the C library';
    const conf = '/usr/local/lib/x86_64-linux-gnu\n';
    const blobs = [
      await layer([
        // Debian 12's libc6 lists lib/…, which a merged-/usr image holds at usr/lib/….
        ['usr/lib/x86_64-linux-gnu/libc.so.6', libc],
        ['usr/lib/x86_64-linux-gnu/libz.so.1.2.13', 'zlib, changed after it was installed'],
        ['usr/lib/x86_64-linux-gnu/libgone.so', 'deleted by the next layer'],
        ['etc/ld.so.conf.d/x86_64-linux-gnu.conf', conf],
        ['usr/local/bin/app', 'the program, no package of which lists it'],
        [
          `${STATUS_D}/libc6`,
          'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\n' +
            `Version: 2.36-9\nConffiles:\n /etc/ld.so.conf.d/x86_64-linux-gnu.conf ${hash('md5', conf)}\n` +
            'Description: GNU C Library: Shared libraries\n',
        ],
        [
          `${STATUS_D}/libc6.md5sums`,
          `${hash('md5', libc)}  lib/x86_64-linux-gnu/libc.so.6\n${hash('md5', 'x')}  usr/lib/x86_64-linux-gnu/libgone.so\n`,
        ],
        // As distroless writes it: no Status. PACKAGE:ARCH.md5sums comes before PACKAGE.md5sums.
        [`${STATUS_D}/zlib1g`, 'Package: zlib1g\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n'],
        [`${STATUS_D}/zlib1g:amd64.md5sums`, `${hash('md5', 'zlib')}  usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n`],
        [`${STATUS_D}/zlib1g.md5sums`, `${hash('md5', 'other')}  usr/lib/x86_64-linux-gnu/libother.so\n`],
      ]),
      await layer([['usr/lib/x86_64-linux-gnu/.wh.libgone.so', '']]),
    ];
    const doc = await sbomOf(blobs, 'amd64');
    expect(doc.packages.map((p) => p.name)).toEqual(['r.example/demo', 'libc6', 'zlib1g']);
    const files = doc.files!;
    expect(files.map((f) => f.fileName)).toEqual([
      '/etc/ld.so.conf.d/x86_64-linux-gnu.conf',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/usr/lib/x86_64-linux-gnu/libz.so.1.2.13',
    ]);
    const libcFile = files[1]!;
    expect(libcFile).toMatchObject({ SPDXID: 'SPDXRef-File-2-libc.so.6', licenseConcluded: 'NOASSERTION' });
    expect(libcFile.checksums).toEqual([
      { algorithm: 'SHA1', checksumValue: hash('sha1', libc) },
      { algorithm: 'SHA256', checksumValue: hash('sha256', libc) },
      { algorithm: 'MD5', checksumValue: hash('md5', libc) },
    ]);
    expect(libcFile.comment).toBeUndefined();
    // Its checksums are the image's file's; that it changed since it was installed is said.
    expect(files[2]!.comment).toBe(`differs from its package's: the package recorded MD5 ${hash('md5', 'zlib')}`);
    const contains = (doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[])
      .filter((r) => r.relatedSpdxElement.startsWith('SPDXRef-File-'))
      .map((r) => `${r.spdxElementId} ${r.relatedSpdxElement}`);
    expect(contains).toEqual([
      'SPDXRef-deb-1-libc6 SPDXRef-File-1-x86-64-linux-gnu.conf',
      'SPDXRef-deb-1-libc6 SPDXRef-File-2-libc.so.6',
      'SPDXRef-deb-2-zlib1g SPDXRef-File-3-libz.so.1.2.13',
    ]);
    const libc6 = doc.packages[1]!;
    expect(libc6.filesAnalyzed).toBe(true);
    const sha1s = [hash('sha1', conf), hash('sha1', libc)].sort().join('');
    expect(libc6.packageVerificationCode).toEqual({ packageVerificationCodeValue: hash('sha1', sha1s) });
    expect(libc6.licenseDeclared).toBe('NOASSERTION');
    wellFormed(doc);
  });

  it('lists no files for a package without md5sums, nor for an image with a dpkg database only', async () => {
    const doc = await sbomOf(
      [
        await layer([
          ['var/lib/dpkg/status', STATUS],
          [`${STATUS_D}/tzdata`, 'Package: tzdata\nVersion: 1\n'],
        ]),
      ],
      'arm64',
    );
    expect(doc.packages.map((p) => `${p.name} ${String(p.filesAnalyzed)}`)).toEqual([
      'r.example/demo false',
      'libc6 false',
      'libssl3 false',
      'tzdata false',
    ]);
    expect(doc.files).toBeUndefined();
    wellFormed(doc);
  });
});

async function sbomOf(blobs: Buffer[], architecture: string): Promise<SpdxDocument> {
  const { layers, open } = imageOf(blobs);
  const image = { platform: { os: 'linux', architecture }, digest: `sha256:${'b'.repeat(64)}`, layers, config: {} };
  return imageSbom({ name: 'r.example/demo', tool: 'mab-0.1.0', image, open });
}

/** Unique ids, and every relationship names one of them. */
function wellFormed(doc: SpdxDocument) {
  const ids = [doc.SPDXID, ...doc.packages.map((p) => p.SPDXID), ...(doc.files ?? []).map((f) => f.SPDXID)];
  expect(new Set(ids).size).toBe(ids.length);
  for (const r of doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[])
    expect(ids.includes(r.spdxElementId) && ids.includes(r.relatedSpdxElement)).toBe(true);
}
