/**
 * `mab sbom`: the SPDX document of each platform of a built image lists exactly the packages
 * `dpkg-query`, run inside that image by the engine, says are installed, at the same versions and
 * architectures.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SpdxDocument } from '../../src/supply/sbom.js';
import { mab, sh } from './helpers.js';

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
      const inImage = (
        await sh('docker', [
          'run',
          '--rm',
          '--platform',
          platform,
          '--entrypoint',
          'dpkg-query',
          images[platform]!,
          '-W',
          '-f',
          '${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\\n',
        ])
      )
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('ii '))
        .map((l) => l.slice(3).trim().replace(/\s+/g, ' '))
        .sort();
      const listed = doc.packages
        .filter((p) => p.SPDXID !== 'SPDXRef-image')
        .map((p) => {
          const purl = (p.externalRefs as { referenceLocator: string }[])[0]!.referenceLocator;
          return `${p.name} ${p.versionInfo} ${/[?&]arch=([^&]+)/.exec(purl)![1]}`;
        })
        .sort();
      expect(inImage.length).toBeGreaterThan(50);
      expect(listed).toEqual(inImage);
      // Well formed: unique ids, and every relationship names one of them.
      const ids = new Set([doc.SPDXID, ...doc.packages.map((p) => p.SPDXID)]);
      expect(ids.size).toBe(doc.packages.length + 1);
      for (const rel of doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[])
        expect(ids.has(rel.spdxElementId) && ids.has(rel.relatedSpdxElement)).toBe(true);
      // adduser's machine-readable copyright file says GPL-2+.
      expect(doc.packages.find((p) => p.name === 'adduser')?.licenseDeclared).toBe('GPL-2.0-or-later');
    }
  });

  it('gives the same document for the same image', async () => {
    const a = await mab(['sbom', 'sysbench', '--store', store, '--arch', 'arm64']);
    const b = await mab(['sbom', 'sysbench', '--store', store, '--arch', 'arm64']);
    expect(a.stdout).toBe(b.stdout);
  });
});
