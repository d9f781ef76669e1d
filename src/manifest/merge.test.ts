import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergePlan } from './merge.js';
import { readMetadata, type BuildMetadata } from './metadata.js';
import { formatPlatform } from '../platform/platform.js';

const meta = (platform: string, digestByte: string, o: Partial<BuildMetadata> = {}): BuildMetadata => ({
  kind: 'mab.build-metadata',
  schemaVersion: 1,
  recipe: 'sysbench',
  version: '1.0.20',
  strategy: 'cross',
  repository: 'r.example/edge/sysbench',
  format: 'docker',
  builtAt: '2026-11-23T00:00:00Z',
  platforms: [{ platform, digest: `sha256:${digestByte.repeat(64)}`, buildSeconds: 1, smoke: [] }],
  ...o,
});

/** An attestation manifest's index entry, as a runner's push records it. */
const attestationOf = (subject: string) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'e'.repeat(64)}`,
  size: 840,
  platform: { architecture: 'unknown', os: 'unknown' },
  annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': subject },
});

describe('mab manifest merge: the plan', () => {
  it("joins the runners' platforms in the order given", () => {
    const plan = mergePlan([
      { file: 'a.json', metadata: meta('linux/amd64', 'a') },
      { file: 'b.json', metadata: meta('linux/arm64', 'b') },
    ]);
    expect(plan).toMatchObject({
      recipe: 'sysbench',
      version: '1.0.20',
      strategy: 'cross',
      repository: { registry: 'r.example', repository: 'edge/sysbench' },
      format: 'docker',
    });
    expect(plan.children.map((c) => [formatPlatform(c.platform), c.file])).toEqual([
      ['linux/amd64', 'a.json'],
      ['linux/arm64', 'b.json'],
    ]);
  });

  it("keeps each platform's attestation manifest with it", async () => {
    const withAttestation = meta('linux/arm64', 'b', { format: 'oci' });
    withAttestation.platforms[0]!.attestation = attestationOf(withAttestation.platforms[0]!.digest);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-meta-'));
    await writeFile(path.join(dir, 'b.json'), JSON.stringify(withAttestation));
    const plan = mergePlan([
      { file: 'a.json', metadata: meta('linux/amd64', 'a', { format: 'oci' }) },
      { file: 'b.json', metadata: await readMetadata(path.join(dir, 'b.json')) },
    ]);
    expect(plan.children.map((c) => c.attestation?.annotations?.['vnd.docker.reference.digest'])).toEqual([
      undefined,
      `sha256:${'b'.repeat(64)}`,
    ]);
  });

  it('refuses files of different builds, a platform twice, and none at all', () => {
    const a = { file: 'a.json', metadata: meta('linux/amd64', 'a') };
    for (const [o, key] of [
      [{ strategy: 'multistage' }, 'strategy'],
      [{ repository: 'r.example/other' }, 'repository'],
      [{ format: 'oci' as const }, 'format'],
      [{ version: '1.0.21' }, 'version'],
    ] as const) {
      expect(() => mergePlan([a, { file: 'b.json', metadata: meta('linux/arm64', 'b', o) }])).toThrow(
        `a.json and b.json disagree on ${key}`,
      );
    }
    expect(() => mergePlan([a, { file: 'c.json', metadata: meta('linux/amd64', 'c') }])).toThrow(
      'linux/amd64 is in both a.json and c.json',
    );
    expect(() => mergePlan([])).toThrow('needs at least one metadata file');
  });
});

describe('build metadata files', () => {
  it('are read back as written, and anything else is named with the field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-meta-'));
    const write = async (name: string, body: unknown) => {
      await writeFile(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
      return path.join(dir, name);
    };
    const good = meta('aarch64', 'a');
    expect((await readMetadata(await write('good.json', good))).platforms[0]!.platform).toBe('linux/arm64');
    const cases: [unknown, RegExp][] = [
      ['{', /is not JSON/],
      [{ ...good, kind: 'x' }, /kind is "x", not "mab\.build-metadata"/],
      [{ ...good, schemaVersion: 2 }, /schemaVersion 2 is not 1/],
      [{ ...good, repository: '' }, /repository is missing/],
      [{ ...good, platforms: [] }, /platforms is empty/],
      [
        { ...good, platforms: [{ ...good.platforms[0], digest: 'sha256:xyz' }] },
        /platforms\[0\]\.digest is not a sha256 digest/,
      ],
      [
        { ...good, platforms: [{ ...good.platforms[0], platform: 'plan9/mips' }] },
        /platforms\[0\]\.platform "plan9\/mips" is not a platform/,
      ],
      // An attestation manifest about another image, or something else in its place.
      [
        { ...good, platforms: [{ ...good.platforms[0], attestation: attestationOf(`sha256:${'b'.repeat(64)}`) }] },
        /platforms\[0\]\.attestation is not an attestation manifest of sha256:a{64}/,
      ],
      [
        { ...good, platforms: [{ ...good.platforms[0], attestation: null }] },
        /platforms\[0\]\.attestation is not an attestation manifest/,
      ],
      [
        {
          ...good,
          platforms: [
            { ...good.platforms[0], attestation: { ...attestationOf(`sha256:${'a'.repeat(64)}`), digest: 'x' } },
          ],
        },
        /platforms\[0\]\.attestation is not an attestation manifest/,
      ],
    ];
    for (const [body, message] of cases)
      await expect(readMetadata(await write('bad.json', body))).rejects.toThrow(message);
    await expect(readMetadata(path.join(dir, 'none.json'))).rejects.toThrow(
      /cannot read build metadata .*none\.json: ENOENT/,
    );
  });
});
