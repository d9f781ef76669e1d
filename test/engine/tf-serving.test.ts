/**
 * tf-serving on the real engine: a package from a signed apt repository (key pinned by
 * fingerprint), two builds of one release under linux/amd64 and linux/amd64/v3 in one pushed
 * index, and the model status endpoint answering in each. The repository and its server binaries
 * are fixtures (test/fixtures/tf-serving/fixtures.ts); the model is upstream's half_plus_two.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaType, type Index } from '../../src/oci/types.js';
import { missingSnapshot, tfServingFixtures } from '../fixtures/tf-serving/fixtures.js';
import { REGISTRY, mab, sh, skopeoJson } from './helpers.js';

const skip = await missingSnapshot();
if (skip) console.warn(`tf-serving engine test skipped: ${skip}`);
const REPO = `${REGISTRY}/mabtest/tf-serving`;

interface Report {
  platforms: { platform: string; image: string; smoke: { name: string; passed: boolean }[] }[];
}

describe.skipIf(skip)('mab build tf-serving --arch amd64,amd64/v3 --push', () => {
  let fixtures: { recipes: string; mirrorArgs: string[] };
  let report: Report;
  let stderr: string;
  beforeAll(async () => {
    fixtures = await tfServingFixtures(await mkdtemp(path.join(os.tmpdir(), 'mab-tf-serving-')));
    const r = await mab([
      'build',
      'tf-serving',
      '--recipes',
      fixtures.recipes,
      ...fixtures.mirrorArgs,
      '--arch',
      'amd64,amd64/v3',
      '--push',
      REPO,
      '--rerun-smoke',
      '--json',
    ]);
    stderr = r.stderr;
    if (r.exitCode !== 0) throw new Error(`mab build tf-serving failed (${r.exitCode}):\n${r.stderr.slice(-4000)}`);
    report = JSON.parse(r.stdout) as Report;
  });

  it('took each package from the signed index of its own component', () => {
    expect(stderr).toMatch(
      /tensorflow-model-server\.deb: tensorflow-model-server-universal 2\.8\.0 \(amd64\) from http:\/\/storage\.googleapis\.com\/tensorflow-serving-apt stable, signed by/,
    );
    expect(stderr).toMatch(
      /tensorflow-model-server\.deb: tensorflow-model-server 2\.8\.0 \(amd64\) from .* stable, signed by/,
    );
  });

  it('passes the version and model status checks on both', () => {
    expect(report.platforms.map((p) => [p.platform, p.smoke.map((s) => s.passed)])).toEqual([
      ['linux/amd64', [true, true]],
      ['linux/amd64/v3', [true, true]],
    ]);
  });

  it('pushed one index with an amd64 and an amd64/v3 entry; each pulls and runs its own build', async () => {
    const index = await skopeoJson<Index>(['--raw'], `${REPO}:2.8.0`);
    expect(index.mediaType).toBe(MediaType.OciIndex);
    const images = index.manifests.filter((m) => m.platform!.os !== 'unknown');
    expect(images.map((m) => [m.platform!.architecture, m.platform!.variant ?? ''])).toEqual([
      ['amd64', ''],
      ['amd64', 'v3'],
    ]);
    for (const [platform, build] of [
      ['linux/amd64', 'tensorflow-model-server-universal'],
      ['linux/amd64/v3', 'tensorflow-model-server'],
    ] as const) {
      await sh('docker', ['pull', '--quiet', '--platform', platform, `${REPO}:2.8.0`]);
      const out = await sh('docker', ['run', '--rm', '--platform', platform, `${REPO}:2.8.0`, '--version']);
      expect(out).toContain(`TensorFlow ModelServer: 2.8.0-mab-stand-in (${build})`);
    }
  });

  it("refuses arm64 with the recipe's reason", async () => {
    const r = await mab(['build', 'tf-serving', '--recipes', fixtures.recipes, '--arch', 'arm64']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(
      "recipe tf-serving does not support linux/arm64: TensorFlow's apt repository publishes amd64 builds only",
    );
  });
});
