/**
 * OpenFace with the `cross` strategy on the real engine: dlib's Python module compiled by
 * Debian's cross g++ on the build platform, the runtime's Python stack unpacked (not installed)
 * for the target, byte-compiled and given its BLAS/LAPACK alternatives links here. The arm64
 * image must pass the HOG smoke check under QEMU, hold an aarch64 dlib, and the amd64 image must
 * hold the same files as the multistage build, in which every maintainer script really ran.
 * (An emulated arm64 multistage build takes hours, so the file sets are compared on amd64, where
 * the cross build still unpacks rather than installs.) In the heavy suite: cold, the three dlib
 * builds take about 42 minutes on 2 cores, which would put a fresh machine's CI over its limit;
 * CI checks the same unpack on every platform with test/fixtures/recipes/pyruntime.yaml.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { missingSnapshots, openfaceFixtures } from '../fixtures/openface/fixtures.js';
import { ELF_MACHINE, crossAgainstMultistage, elfMachine, mab, sh } from '../engine/helpers.js';
import { onlyInCross, onlyInMultistage } from './explained.js';

const only = process.env.MAB_HEAVY_RECIPES?.split(',');
const skip = only && !only.includes('openface') ? 'MAB_HEAVY_RECIPES leaves openface out' : await missingSnapshots();
if (skip) console.warn(`openface cross test skipped: ${skip}`);

interface Report {
  strategy: string;
  platforms: { platform: string; image: string; buildSeconds: number; smoke: { name: string; passed: boolean }[] }[];
}

const DLIB = '/usr/local/lib/python3.11/dist-packages';

describe.skipIf(skip)('mab build openface --strategy cross --arch amd64,arm64', () => {
  let cross: Report;
  let multistage: Report;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-openface-cross-'));
    const { recipes, mirrorArgs } = await openfaceFixtures(dir);
    const build = async (strategy: string, arch: string): Promise<Report> => {
      const r = await mab([
        'build',
        'openface',
        '--recipes',
        recipes,
        ...mirrorArgs,
        '--cache',
        path.join(dir, 'cache'),
        '--arch',
        arch,
        '--strategy',
        strategy,
        '--rerun-smoke',
        '--json',
      ]);
      if (r.exitCode !== 0)
        throw new Error(`mab build openface --strategy ${strategy} failed (${r.exitCode}):\n${r.stderr.slice(-4000)}`);
      return JSON.parse(r.stdout) as Report;
    };
    multistage = await build('multistage', 'amd64');
    cross = await build('cross', 'amd64,arm64');
    for (const p of cross.platforms) console.log(`openface cross ${p.platform}: build ${p.buildSeconds.toFixed(0)} s`);
    // Cold, three dlib builds share 2 cores (amd64's, arm64's, and the build platform's own for
    // the arm64 image's training): over 30 minutes.
  }, 90 * 60_000);

  it('passes the HOG smoke check on both platforms, arm64 under QEMU', () => {
    expect(cross.strategy).toBe('cross');
    expect(cross.platforms.map((p) => [p.platform, p.smoke.map((s) => [s.name, s.passed])])).toEqual([
      ['linux/amd64', [['infer (HOG)', true]]],
      ['linux/arm64', [['infer (HOG)', true]]],
    ]);
  });

  it('holds a dlib module for each target architecture, numpy on the BLAS alternative, and bytecode', async () => {
    for (const p of cross.platforms) {
      const slug = p.platform === 'linux/arm64' ? 'aarch64' : 'x86_64';
      expect(await elfMachine(p.image, p.platform, `${DLIB}/_dlib_pybind11.cpython-311-${slug}-linux-gnu.so`)).toBe(
        ELF_MACHINE[p.platform],
      );
      // libblas.so.3 exists only as the link update-alternatives makes; numpy loads it. The .pyc
      // next to numpy's __init__ is what py3compile would have written on the target.
      const out = await sh('docker', [
        'run',
        '--rm',
        '--platform',
        p.platform,
        '--entrypoint',
        'python3',
        p.image,
        '-c',
        `import dlib, numpy, os, importlib.util; print(dlib.__version__, numpy.dot([1, 2], [3, 4]), os.readlink("/usr/lib/${slug}-linux-gnu/libblas.so.3"), os.path.exists(importlib.util.cache_from_source(numpy.__file__)))`,
      ]);
      expect(out.trim()).toBe(`19.24.0 11 /etc/alternatives/libblas.so.3-${slug}-linux-gnu True`);
      // The CA bundle update-ca-certificates would have written is what Python's TLS loads.
      const cas = await sh('docker', [
        'run',
        '--rm',
        '--platform',
        p.platform,
        '--entrypoint',
        'python3',
        p.image,
        '-c',
        'import ssl; print(ssl.create_default_context().cert_store_stats()["x509_ca"])',
      ]);
      expect(Number(cas.trim()), `${p.platform}: CA certificates Python's ssl loads`).toBeGreaterThan(100);
    }
  });

  it('holds the same files as multistage on amd64, with the same alternatives, trigger interests and CA links, but for what only the emulated install leaves', async () => {
    const image = (strategy: 'cross' | 'multistage') => (strategy === 'cross' ? cross : multistage).platforms[0]!.image;
    const d = await crossAgainstMultistage(image, 'linux/amd64');
    expect(
      d.onlyMulti.filter((f) => !onlyInMultistage('x86_64-linux-gnu').test(f)),
      'only in multistage',
    ).toEqual([]);
    expect(
      d.onlyCross.filter((f) => !onlyInCross('x86_64-linux-gnu').test(f)),
      'only in cross',
    ).toEqual([]);
    expect(d.files).toBeGreaterThan(20000);
    expect(d.madeCross.split('\n').length).toBeGreaterThan(200);
    expect(d.madeCross, 'alternatives, trigger interests and CA links').toBe(d.madeMulti);
  });
});
