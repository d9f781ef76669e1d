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
import { ELF_MACHINE, elfMachine, fileList, mab, sh } from '../engine/helpers.js';

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
      const r = await mab(['build', 'openface', '--recipes', recipes, ...mirrorArgs, '--cache', path.join(dir, 'cache'), '--arch', arch, '--strategy', strategy, '--rerun-smoke', '--json']);
      if (r.exitCode !== 0) throw new Error(`mab build openface --strategy ${strategy} failed (${r.exitCode}):\n${r.stderr.slice(-4000)}`);
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
      expect(await elfMachine(p.image, p.platform, `${DLIB}/_dlib_pybind11.cpython-311-${slug}-linux-gnu.so`)).toBe(ELF_MACHINE[p.platform]);
      // libblas.so.3 exists only as the link update-alternatives makes; numpy loads it. The .pyc
      // next to numpy's __init__ is what py3compile would have written on the target.
      const out = await sh('docker', ['run', '--rm', '--platform', p.platform, '--entrypoint', 'python3', p.image, '-c',
        `import dlib, numpy, os, importlib.util; print(dlib.__version__, numpy.dot([1, 2], [3, 4]), os.readlink("/usr/lib/${slug}-linux-gnu/libblas.so.3"), os.path.exists(importlib.util.cache_from_source(numpy.__file__)))`]);
      expect(out.trim()).toBe(`19.24.0 11 /etc/alternatives/libblas.so.3-${slug}-linux-gnu True`);
      // The CA bundle update-ca-certificates would have written is what Python's TLS loads.
      const cas = await sh('docker', ['run', '--rm', '--platform', p.platform, '--entrypoint', 'python3', p.image, '-c',
        'import ssl; print(ssl.create_default_context().cert_store_stats()["x509_ca"])']);
      expect(Number(cas.trim()), `${p.platform}: CA certificates Python's ssl loads`).toBeGreaterThan(100);
    }
  });

  it('has the CA bundle and hash links ca-certificates\' scripts make, byte for byte', async () => {
    const certs = (image: string) => sh('docker', ['run', '--rm', '--platform', 'linux/amd64', '--entrypoint', 'sh', image, '-c',
      'cd /etc/ssl/certs && sha256sum ca-certificates.crt && for f in *; do echo "$f $(readlink "$f")"; done; grep -v "^#" /etc/ca-certificates.conf | sha256sum']);
    const [a, b] = await Promise.all([certs(cross.platforms[0]!.image), certs(multistage.platforms[0]!.image)]);
    expect(a.split('\n').length).toBeGreaterThan(200);
    expect(a).toBe(b);
  });

  it('holds the same files as multistage on amd64, but for what only the emulated install leaves', async () => {
    const a = new Set(await fileList(cross.platforms[0]!.image, 'linux/amd64'));
    const b = new Set(await fileList(multistage.platforms[0]!.image, 'linux/amd64'));
    const onlyMulti = [...b].filter((f) => !a.has(f));
    const onlyCross = [...a].filter((f) => !b.has(f));
    // What maintainer scripts and triggers make beyond alternatives and bytecode, none of which
    // OpenFace reads: the MIME database (update-mime-database), gdk-pixbuf's loader cache,
    // fontconfig's cache and its debconf-chosen links, directories made for local additions,
    // adduser's lock, init-script links, config files written from templates (python3's
    // debian_config, odbcinst.ini, readline's inputrc), group-file backups, apt/dpkg logs and
    // ldconfig's cache.
    const explained = new RegExp('^(usr/local/share/fonts/|usr/share/mime/.*|var/cache/fontconfig/.*|etc/fonts/conf\\.d/.*'
      + '|usr/lib/x86_64-linux-gnu/gdk-pixbuf-2\\.0/2\\.10\\.0/loaders\\.cache|run/adduser'
      + '|etc/rcS\\.d/.*|etc/python3/.*|var/lib/python/.*|etc/odbcinst\\.ini|etc/inputrc|etc/gshadow-'
      + '|usr/share/doc/mysql-common/frozen-mode/|var/cache/ldconfig/aux-cache|var/log/.*)$');
    expect(onlyMulti.filter((f) => !explained.test(f)), 'only in multistage').toEqual([]);
    // ldconfig's trigger removes libtorch's dangling SONAME links to libraries Debian does not
    // ship; py3compile fails on a test file in a legacy encoding that compileall reads.
    const extra = /^(var\/lib\/apt\/lists\/(lock|partial\/)|usr\/lib\/x86_64-linux-gnu\/libcaffe2_\w+\.so\.1\.13|usr\/lib\/python3\/dist-packages\/joblib\/test\/__pycache__\/test_func_inspect_special_encoding\.cpython-311\.pyc)$/;
    expect(onlyCross.filter((f) => !extra.test(f)), 'only in cross').toEqual([]);
    expect(b.size).toBeGreaterThan(20000);
  });
});
