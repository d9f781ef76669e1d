/**
 * The `cross` strategy on the real engine: builds run on the build platform (Debian's cross gcc,
 * the target's .debs unpacked, not installed), yet the images hold target-architecture code that
 * passes its smoke checks under QEMU, and the file sets of sysbench and of a Python runtime with
 * the CA bundle (test/fixtures/recipes/pyruntime.yaml) match the emulated multistage build on
 * every platform except for what only maintainer scripts and apt's logs produce.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ELF_MACHINE, ROOT, crossAgainstMultistage, elfMachine, mab } from './helpers.js';

interface Report {
  strategy: string;
  platforms: { platform: string; smoke: { passed: boolean }[]; size: { uncompressed: number } }[];
}

async function build(recipe: string, strategy: string, args: readonly string[] = []): Promise<Report> {
  const r = await mab([
    'build',
    recipe,
    ...args,
    '--arch',
    'amd64,arm64',
    '--strategy',
    strategy,
    '--rerun-smoke',
    '--json',
    '--quiet',
  ]);
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

describe.each([
  ['http-endpoint-c', '/usr/local/bin/http-endpoint'],
  ['sysbench', '/usr/bin/sysbench'],
])('%s, cross', (recipe, binary) => {
  it('builds both platforms, passes every smoke check, and holds target-architecture code', async () => {
    const report = await build(recipe, 'cross');
    for (const p of report.platforms) {
      expect(p.smoke.every((s) => s.passed) && p.smoke.length > 0).toBe(true);
      const image = `mab/${recipe}:${recipe === 'sysbench' ? '1.0.20' : '1.0.0'}-cross-${p.platform === 'linux/arm64' ? 'arm64' : 'amd64'}`;
      expect(await elfMachine(image, p.platform, binary)).toBe(ELF_MACHINE[p.platform]);
    }
  });
});

describe('no emulation in a cross build', () => {
  // With arm64 emulation switched off in binfmt_misc, an uncached arm64 build must still work for
  // cross (every RUN on the build platform) and must fail for multistage (the control).
  it.each([
    ['cross', 0],
    ['multistage', 1],
  ] as const)('%s for arm64 with QEMU for arm64 disabled', async (strategy, failures) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-noemu-'));
    const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
    try {
      const gen = await mab(['generate', 'http-endpoint-c', '--strategy', strategy, '--arch', 'arm64', '-o', dir]);
      expect(gen.exitCode, gen.stderr).toBe(0);
      await writeFile(entry, '0');
      const built = await execa(
        'docker',
        [
          'buildx',
          'build',
          '--no-cache',
          '--pull',
          '--platform',
          'linux/arm64',
          '--provenance=false',
          '-t',
          `mabtest/noemu:${strategy}`,
          path.join(dir, 'arm64'),
        ],
        { reject: false, all: true },
      );
      expect(built.exitCode === 0 ? 0 : 1, built.all.slice(-2000)).toBe(failures);
    } finally {
      await writeFile(entry, '1');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const FIXTURES = path.join(ROOT, 'test/fixtures/recipes');

// What a maintainer script, trigger or apt makes that the cross unpack does not, per recipe; the
// emulated build also empties apt's lists directory, which the cross build never touches.
describe.each([
  // mysql-common's postinst makes frozen-mode's dir. The my.cnf alternative is made by both.
  ['sysbench', '1.0.20', [], 3000, /^usr\/share\/doc\/mysql-common\/frozen-mode\/$/],
  // readline-common's postinst copies its default inputrc to /etc; python3's writes debian_config
  // and records the interpreter; python3.11-minimal's makes the directories for local packages.
  [
    'pyruntime',
    '1.0.0',
    ['--recipes', FIXTURES],
    1500,
    /^(etc\/inputrc|etc\/python3\/(debian_config)?|var\/lib\/python\/(python3\.11_installed)?|usr\/local\/lib\/python3\.11\/(dist-packages\/)?)$/,
  ],
] as const)('%s: cross and emulated multistage hold the same files', (recipe, version, args, atLeast, scripts) => {
  it('on both platforms, but for maintainer-script output and apt logs', async () => {
    await build(recipe, 'cross', args);
    await build(recipe, 'multistage', args);
    for (const [platform, slug] of [
      ['linux/arm64', 'arm64'],
      ['linux/amd64', 'amd64'],
    ] as const) {
      const d = await crossAgainstMultistage((strategy) => `mab/${recipe}:${version}-${strategy}-${slug}`, platform);
      expect(
        d.onlyMulti.filter((f) => !scripts.test(f) && !/^(var\/cache\/ldconfig\/aux-cache|var\/log\/.*)$/.test(f)),
        `${platform}: only in multistage`,
      ).toEqual([]);
      expect(
        d.onlyCross.filter((f) => !/^var\/lib\/apt\/lists\/(lock|partial\/)$/.test(f)),
        `${platform}: only in cross`,
      ).toEqual([]);
      expect(d.files).toBeGreaterThan(atLeast);
      expect(d.madeCross, `${platform}: alternatives, trigger interests and CA links`).toBe(d.madeMulti);
    }
  });
});

describe('what the unpack needs from the build stage', () => {
  it('stops with an error naming strategies.cross.tools when openssl is missing for ca-certificates', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-cross-tools-'));
    try {
      const recipe = (await readFile(path.join(FIXTURES, 'pyruntime.yaml'), 'utf8')).replace(
        'tools: [python3, openssl]',
        'tools: [python3]',
      );
      await writeFile(path.join(dir, 'pyruntime.yaml'), recipe);
      await cp(path.join(FIXTURES, 'pyruntime'), path.join(dir, 'pyruntime'), { recursive: true });
      const r = await mab(['build', 'pyruntime', '--recipes', dir, '--arch', 'amd64', '--strategy', 'cross', '--json']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(
        /ca-certificates needs its hash links made, and the build stage has no openssl: add openssl to strategies\.cross\.tools/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
