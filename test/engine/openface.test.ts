/**
 * OpenFace on the real engine (amd64; arm64 is in the heavy suite): dlib's Python module compiled
 * from Debian's source in the build, upstream's code and models fetched through mirrors, the
 * whole detect → align → embed → classify pipeline in the smoke checks, then the image run with
 * plain `docker run`. The network weights are a stand-in (see test/fixtures/openface/fixtures.ts),
 * so the names it predicts mean nothing; everything else is upstream's.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { missingSnapshots, openfaceFixtures } from '../fixtures/openface/fixtures.js';
import { mab, sh } from './helpers.js';

const skip = await missingSnapshots();
if (skip) console.warn(`openface engine test skipped: ${skip}`);

interface Report {
  platforms: {
    platform: string;
    image: string;
    buildSeconds: number;
    smoke: { name: string; passed: boolean; seconds: number }[];
    size: { compressed: number; uncompressed: number };
  }[];
}

describe.skipIf(skip)('mab build openface --arch amd64 (multistage, every smoke check)', () => {
  let report: Report;
  let stderr: string;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-openface-'));
    const { recipes, mirrorArgs } = await openfaceFixtures(dir);
    // A cache of its own, so the fetches happen (and are checked) in this run.
    const r = await mab([
      'build',
      'openface',
      '--recipes',
      recipes,
      ...mirrorArgs,
      '--cache',
      path.join(dir, 'cache'),
      '--arch',
      'amd64',
      '--strategy',
      'multistage',
      '--smoke',
      'all',
      '--rerun-smoke',
      '--json',
    ]);
    stderr = r.stderr;
    if (r.exitCode !== 0) throw new Error(`mab build openface failed (${r.exitCode}):\n${r.stderr.slice(-4000)}`);
    report = JSON.parse(r.stdout) as Report;
    const p = report.platforms[0]!;
    console.log(
      `openface ${p.platform}: build ${p.buildSeconds.toFixed(0)} s, ${(p.size.uncompressed / 1e6).toFixed(1)} MB uncompressed, ${(p.size.compressed / 1e6).toFixed(1)} MB compressed; ${p.smoke.map((s) => `${s.name} ${s.seconds.toFixed(1)} s`).join(', ')}`,
    );
  });

  it('fetched upstream code by commit (3 paths) and the models through the mirrors', () => {
    expect(stderr).toMatch(/fetched openface \(git 051475225b5a, 3 paths\) from /);
    expect(stderr).toMatch(/fetched mmod_human_face_detector\.dat \(694687 bytes\)/);
  });

  it('passes both smoke checks: HOG on one face, the CNN detector on two', () => {
    expect(report.platforms.map((p) => p.platform)).toEqual(['linux/amd64']);
    expect(report.platforms[0]!.smoke.map((s) => [s.name, s.passed])).toEqual([
      ['infer (HOG)', true],
      ['infer (CNN), two faces', true],
    ]);
  });

  it('runs its default command with docker run and names one of the four example people', async () => {
    const out = await sh('docker', ['run', '--rm', '--platform', 'linux/amd64', report.platforms[0]!.image]);
    expect(out).toMatch(
      /=== \/opt\/openface\/images\/examples\/carell\.jpg ===\nPredict (adams|carell|clapton|lennon) with [01]\.\d\d confidence\./,
    );
  });

  it('has dlib built for a baseline x86-64 CPU and no compiler in the runtime image', async () => {
    const image = report.platforms[0]!.image;
    const out = await sh('docker', [
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      image,
      '-c',
      'python3 -c "import dlib; print(dlib.__version__, dlib.DLIB_USE_CUDA)"; ls /usr/bin/gcc* /usr/bin/g++* 2>/dev/null | wc -l',
    ]);
    expect(out.split('\n')).toEqual(['19.24.0 False', '0']);
  });
});
