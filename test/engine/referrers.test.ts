/**
 * `--referrers`: each pushed image's SBOM and provenance attached as OCI 1.1 referrers, as oras
 * (a tool mab did not write) discovers and fetches them from the loopback registry, which has no
 * referrers API (distribution 2.8) and so gets the sha256-DIGEST tag's index. The SBOM found there
 * is the one buildx imagetools reads from the index; pushing again lists nothing twice. `mab cp
 * --referrers` brings them, and one oras attached to the index, to another repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, mab, sh } from './helpers.js';

const repo = `${REGISTRY}/mabtest/referrers-${randomBytes(4).toString('hex')}`;
let store: string;
let images: Record<string, string>;

interface Discovered {
  manifests?: { digest: string; artifactType: string; annotations?: Record<string, string> }[];
}
const oras = (args: string[]) => sh('oras', [...args, '--plain-http']);
const discoverIn = async (repository: string, digest: string) =>
  (JSON.parse(await oras(['discover', '--format', 'json', `${repository}@${digest}`])) as Discovered).manifests ?? [];
const discover = (digest: string) => discoverIn(repo, digest);
const sorted = (found: Discovered['manifests'] & {}) => found.map((m) => `${m.artifactType} ${m.digest}`).sort();

beforeAll(async () => {
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-referrers-')), 'store');
  const r = await mab([
    ...['build', 'http-endpoint-c', '--arch', 'amd64,arm64', '--store', store],
    ...['--push', repo, '--referrers', '--json'],
  ]);
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  expect(r.stderr).toMatch(/\[linux\/arm64\] 2 referrer\(s\) of sha256:.*listed by the tag sha256-.* \(2 added\)/);
  const report = JSON.parse(r.stdout) as { platforms: { platform: string; manifest: string }[] };
  images = Object.fromEntries(report.platforms.map((p) => [p.platform, p.manifest]));
});

describe('--referrers', () => {
  it('oras discover lists an SPDX SBOM and an in-toto provenance for each platform image', async () => {
    for (const digest of Object.values(images)) {
      const found = await discover(digest);
      expect(found.map((m) => m.artifactType).sort()).toEqual([
        'application/spdx+json',
        'application/vnd.in-toto+json',
      ]);
      expect(found.find((m) => m.artifactType === 'application/vnd.in-toto+json')?.annotations).toMatchObject({
        'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v1',
      });
    }
  });

  it('the SBOM oras fetches is the one imagetools reads from the index, and names its image', async () => {
    const fromIndex = JSON.parse(
      await sh('docker', ['buildx', 'imagetools', 'inspect', `${repo}:1.0.0`, '--format', '{{json .SBOM}}']),
    ) as Record<string, { SPDX: { packages: { checksums?: { checksumValue: string }[] }[] } }>;
    for (const [platform, digest] of Object.entries(images)) {
      const sbom = (await discover(digest)).find((m) => m.artifactType === 'application/spdx+json')!;
      const manifest = JSON.parse(await oras(['manifest', 'fetch', `${repo}@${sbom.digest}`])) as {
        subject: { digest: string };
        layers: { digest: string }[];
      };
      expect(manifest.subject.digest).toBe(digest);
      const doc = JSON.parse(await oras(['blob', 'fetch', '--output', '-', `${repo}@${manifest.layers[0]!.digest}`]));
      expect(doc).toEqual(fromIndex[platform]!.SPDX);
      expect(doc.packages[0].checksums[0].checksumValue).toBe(digest.slice('sha256:'.length));
    }
  });

  it('pushing again attaches the same artifacts and lists nothing twice', async () => {
    const before = await discover(images['linux/amd64']!);
    const r = await mab(['push', 'http-endpoint-c:latest', `${repo}:again`, '--store', store, '--referrers']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('(0 added)');
    expect(await discover(images['linux/amd64']!)).toEqual(before);
  });

  it('mab cp --referrers copies them, and a note oras attached to the index, to another repository', async () => {
    const index = (JSON.parse(await oras(['manifest', 'fetch', '--descriptor', `${repo}:1.0.0`])) as { digest: string })
      .digest;
    const note = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-note-')), 'note.txt');
    await writeFile(note, 'reviewed\n');
    await oras([
      ...['attach', '--disable-path-validation', '--artifact-type', 'application/vnd.mabtest.note'],
      ...[`${repo}@${index}`, `${note}:text/plain`],
    ]);
    const copy = `${REGISTRY}/mabtest/referrers-copy-${randomBytes(4).toString('hex')}`;
    const r = await mab(['cp', '--referrers', '--json', `${repo}:1.0.0`, `${copy}:1.0.0`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const copied = JSON.parse(r.stdout) as {
      digest: string;
      referrers: { subject: string; referrers: unknown[]; listedBy: string; added: number }[];
    };
    expect(copied.digest).toBe(index);
    expect(copied.referrers.map((c) => [c.subject, c.referrers.length, c.listedBy, c.added]).sort()).toEqual(
      [[index, 1, 'tag', 1], ...Object.values(images).map((d) => [d, 2, 'tag', 2])].sort(),
    );
    // The same artifacts, byte for byte (same digests), listed for the same subjects.
    for (const digest of [index, ...Object.values(images)])
      expect(sorted(await discoverIn(copy, digest))).toEqual(sorted(await discover(digest)));
    expect((await discoverIn(copy, index)).map((m) => m.artifactType)).toEqual(['application/vnd.mabtest.note']);

    const again = await mab(['cp', '--referrers', '--json', `${repo}:1.0.0`, `${copy}:1.0.0`]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as typeof copied).referrers.map((c) => c.added)).toEqual([0, 0, 0]);

    // Without --referrers, as crane copy: the image alone.
    const plain = `${REGISTRY}/mabtest/referrers-plain-${randomBytes(4).toString('hex')}`;
    const p = await mab(['cp', `${repo}:1.0.0`, `${plain}:1.0.0`]);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).not.toMatch(/; referrers:/);
    expect(await discoverIn(plain, images['linux/arm64']!)).toEqual([]);
  });

  it('mab cp --referrers to or from the store is refused with the way out', async () => {
    const r = await mab(['cp', '--referrers', `${repo}:1.0.0`, 'http-endpoint-c:copied', '--store', store]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /\[E_USAGE\]: --referrers copies between registries; http-endpoint-c:copied is a tag of the store/,
    );
    expect(r.stderr).toMatch(/mab push TAG REGISTRY\/REPOSITORY --referrers/);
  });
});
