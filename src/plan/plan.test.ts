import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlatformList } from '../platform/platform.js';
import { parseRecipe } from '../recipe/load.js';
import { targetDigest } from './digest.js';
import { planBuild, planJson } from './plan.js';

const recipe = parseRecipe(
  'recipes/demo.yaml',
  `name: demo
version: 2.0.0
platforms: [amd64, arm64]
sources:
  - file: demo.deb
    url: https://example.org/demo_{version}_{debian_arch}.deb
    sha256: { amd64: ${'a'.repeat(64)}, arm64: ${'b'.repeat(64)} }
  - debian: libdemo=1:2.0-1
    sha256: ${'d'.repeat(64)}
artifacts:
  - file: model.bin
    url: https://models.example.org/model.bin.xz
    sha256: ${'e'.repeat(64)}
    unpack: xz
    path: /usr/share/demo/model.bin
runtime: { packages: [libdemo2], keep: [/usr/bin/demo] }
entrypoint: [demo]
overrides:
  amd64:
    runtime: { packages: [libdemo2-noavx], keep: [/usr/bin/demo] }
    smoke: [{ run: [demo, --cpu-check], expect: 'no AVX needed' }]
`,
);

async function plan(publish: { push?: string; tags?: string[]; sourceDateEpoch?: number } = {}) {
  const dir = path.resolve('templates');
  return planBuild({
    recipe,
    recipePath: 'recipes/demo.yaml',
    platforms: parsePlatformList('amd64,arm64'),
    template: { dockerfile: await readFile(path.join(dir, 'app.Dockerfile'), 'utf8'), dir },
    indexFormat: 'docker',
    ...publish,
  });
}

describe('planBuild', () => {
  it('plans per-platform tags from {arch} templates beside the index tags, and the semver rule when only those are given', async () => {
    const both = (await plan({ push: 'r.example/edge/demo', tags: ['{version}-{strategy}', '{version}-{arch}'] }))
      .publish;
    expect(both).toMatchObject({
      tags: ['2.0.0-multistage'],
      tagRule: 'explicit',
      platformTags: { 'linux/amd64': ['2.0.0-amd64'], 'linux/arm64': ['2.0.0-arm64'] },
    });
    const onlyArch = (await plan({ push: 'r.example/edge/demo', tags: ['{arch}-latest'] })).publish;
    expect(onlyArch).toMatchObject({
      tags: ['2.0.0', '2.0', '2', 'latest'],
      tagRule: 'semver',
      platformTags: { 'linux/arm64': ['arm64-latest'] },
    });
    expect((await plan({ push: 'r.example/edge/demo' })).publish?.platformTags).toBeUndefined();
  });

  it('keeps platforms and the repository parsed, and writes them as a user does in --print', async () => {
    const p = await plan({ push: 'r.example:5000/edge/demo' });
    expect(p.targets.map((t) => t.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);
    expect(p.publish?.repository).toEqual({ registry: 'r.example:5000', repository: 'edge/demo' });
    const printed = JSON.parse(JSON.stringify(planJson(p))) as {
      targets: { platform: string }[];
      publish: { repository: string };
    };
    expect(printed.targets.map((t) => t.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(printed.publish.repository).toBe('r.example:5000/edge/demo');
  });

  it("labels the images with the checkout's source, revision and created, under the recipe's labels and over them --label", async () => {
    const dir = path.resolve('templates');
    const checkout = {
      source: 'https://git.example.org/edge/recipes',
      revision: 'c'.repeat(40),
      created: '2026-11-30T08:00:00Z',
    };
    const p = planBuild({
      recipe: { ...recipe, labels: { 'org.opencontainers.image.source': 'https://example.org/demo', team: 'edge' } },
      recipePath: 'recipes/demo.yaml',
      platforms: parsePlatformList('amd64'),
      template: { dockerfile: await readFile(path.join(dir, 'app.Dockerfile'), 'utf8'), dir },
      indexFormat: 'oci',
      checkout,
      labels: { team: 'platform', 'org.opencontainers.image.created': '2026-12-01T00:00:00Z' },
    });
    const labels = p.targets[0]!.dockerfile.split('\n').filter((l) => l.startsWith('LABEL '));
    expect(labels).toEqual(
      expect.arrayContaining([
        'LABEL org.opencontainers.image.source="https://example.org/demo"',
        `LABEL org.opencontainers.image.revision="${'c'.repeat(40)}"`,
        'LABEL org.opencontainers.image.created="2026-12-01T00:00:00Z"',
        'LABEL team="platform"',
      ]),
    );
    expect(labels.filter((l) => l.includes('image.source'))).toHaveLength(1);
    // The index says what the labels say.
    expect(p.annotations).toEqual({
      'org.opencontainers.image.source': 'https://example.org/demo',
      'org.opencontainers.image.revision': checkout.revision,
      'org.opencontainers.image.created': '2026-12-01T00:00:00Z',
    });
    expect((await plan()).annotations).toEqual({});
  });

  it('resolves sources per platform: URL variables, per-platform pins, the .dsc location in the pool', async () => {
    const [amd64, arm64] = (await plan()).targets;
    expect(amd64!.sources).toEqual([
      { kind: 'url', file: 'demo.deb', url: 'https://example.org/demo_2.0.0_amd64.deb', sha256: 'a'.repeat(64) },
      {
        kind: 'debian',
        file: 'libdemo',
        url: 'http://deb.debian.org/debian/pool/main/libd/libdemo/libdemo_2.0-1.dsc',
        sha256: 'd'.repeat(64),
      },
    ]);
    expect(arm64!.sources[0]).toMatchObject({
      url: 'https://example.org/demo_2.0.0_arm64.deb',
      sha256: 'b'.repeat(64),
    });
    expect(arm64!.artifacts).toEqual([
      {
        kind: 'url',
        file: 'model.bin',
        url: 'https://models.example.org/model.bin.xz',
        sha256: 'e'.repeat(64),
        unpack: 'xz',
        path: '/usr/share/demo/model.bin',
      },
    ]);
  });

  it('applies a platform override to that platform only, in the Dockerfile and the smoke checks', async () => {
    const [amd64, arm64] = (await plan()).targets;
    expect(amd64!.dockerfile).toMatch(/install -y --no-install-recommends libdemo2-noavx\b/);
    expect(arm64!.dockerfile).toMatch(/install -y --no-install-recommends libdemo2 /);
    expect(amd64!.smoke.map((s) => s.name)).toEqual(['demo --cpu-check']);
    expect(arm64!.smoke).toEqual([]);
  });

  it('copies artifacts into the final stage, after what was built', async () => {
    const df = (await plan()).targets[1]!.dockerfile;
    expect(df.indexOf('COPY artifacts/model.bin /usr/share/demo/model.bin')).toBeGreaterThan(
      df.indexOf('COPY --from=build /out/ /'),
    );
  });

  it('gives every platform the SOURCE_DATE_EPOCH, which is part of what its digest covers', async () => {
    const timed = (await plan({ sourceDateEpoch: 1_700_000_000 })).targets;
    expect(timed.map((t) => t.sourceDateEpoch)).toEqual([1_700_000_000, 1_700_000_000]);
    const untimed = (await plan()).targets;
    expect(untimed[0]!.sourceDateEpoch).toBeUndefined();
    // The same Dockerfile (no created label here), another image: a stored build cannot stand in.
    expect(timed[0]!.dockerfile).toBe(untimed[0]!.dockerfile);
    expect(await targetDigest(timed[0]!)).not.toBe(await targetDigest(untimed[0]!));
  });
});
