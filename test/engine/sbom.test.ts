/**
 * `mab sbom`: the SPDX document of each platform of a built image lists exactly the packages
 * `dpkg-query`, run inside that image by the engine, says are installed, at the same versions and
 * architectures.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import type { CycloneDxBom } from '../../src/supply/cyclonedx.js';
import type { SpdxDocument } from '../../src/supply/sbom.js';
import { dpkgInstalled, mab, spdxDebs } from './helpers.js';

let store: string;
let images: Record<string, string>;

beforeAll(async () => {
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-sbom-')), 'store');
  const r = await mab(['build', 'sysbench', '--arch', 'amd64,arm64', '--store', store, '--json']);
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  const report = JSON.parse(r.stdout) as { platforms: { platform: string; image: string }[] };
  images = Object.fromEntries(report.platforms.map((p) => [p.platform, p.image]));
});

describe('mab sbom', () => {
  it('lists, per platform, the packages dpkg-query finds installed in the image', async () => {
    const r = await mab(['sbom', 'sysbench', '--store', store]);
    expect(r.exitCode, r.stderr).toBe(0);
    const docs = JSON.parse(r.stdout) as SpdxDocument[];
    expect(docs.map((d) => (d.name as string).split(' ')[1])).toEqual(['linux/amd64', 'linux/arm64']);
    for (const doc of docs) {
      const platform = (doc.name as string).split(' ')[1]!;
      const inImage = await dpkgInstalled(images[platform]!, platform);
      const listed = spdxDebs(doc);
      expect(inImage.length).toBeGreaterThan(50);
      expect(listed).toEqual(inImage);
      // The cross strategy unpacks the target's runtime packages without dpkg; they are listed
      // all the same, at the target's architecture.
      const arch = platform === 'linux/arm64' ? 'arm64' : 'amd64';
      for (const runtime of ['libaio1', 'libluajit-5.1-2', 'libmariadb3', 'libpq5'])
        expect(
          listed.some((l) => l.startsWith(`${runtime} `) && l.endsWith(` ${arch}`)),
          runtime,
        ).toBe(true);
      // Well formed: unique ids, and every relationship names one of them.
      const ids = new Set([doc.SPDXID, ...doc.packages.map((p) => p.SPDXID)]);
      expect(ids.size).toBe(doc.packages.length + 1);
      for (const rel of doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[])
        expect(ids.has(rel.spdxElementId) && ids.has(rel.relatedSpdxElement)).toBe(true);
      // adduser's machine-readable copyright file says GPL-2+.
      expect(doc.packages.find((p) => p.name === 'adduser')?.licenseDeclared).toBe('GPL-2.0-or-later');
    }
  });

  it('--format cyclonedx: the same packages, valid by CycloneDX 1.5 JSON schema', async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot5);
    const spdx = JSON.parse((await mab(['sbom', 'sysbench', '--store', store])).stdout) as SpdxDocument[];
    const r = await mab(['sbom', 'sysbench', '--store', store, '--format', 'cyclonedx']);
    expect(r.exitCode, r.stderr).toBe(0);
    const boms = JSON.parse(r.stdout) as CycloneDxBom[];
    expect(boms).toHaveLength(2);
    for (const [i, bom] of boms.entries()) {
      expect(await validator.validate(JSON.stringify(bom))).toBeNull();
      const purls = (spdx[i]!.packages as { externalRefs?: { referenceLocator: string }[] }[]).flatMap(
        (p) => p.externalRefs?.map((e) => e.referenceLocator) ?? [],
      );
      expect(bom.components.map((c) => c.purl)).toEqual(purls);
      expect(bom.metadata.component.version).toBe(spdx[i]!.packages[0]!.versionInfo);
    }
  });

  it('gives the same document for the same image', async () => {
    const a = await mab(['sbom', 'sysbench', '--store', store, '--arch', 'arm64']);
    const b = await mab(['sbom', 'sysbench', '--store', store, '--arch', 'arm64']);
    expect(a.stdout).toBe(b.stdout);
  });
});
