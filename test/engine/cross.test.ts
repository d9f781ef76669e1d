/**
 * The `cross` strategy on the real engine: builds run on the build platform (Debian's cross gcc,
 * the target's .debs unpacked, not installed), yet the images hold target-architecture code that
 * passes its smoke checks under QEMU, and sysbench's file set matches the emulated multistage
 * build except for what only maintainer scripts and apt's logs produce.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ELF_MACHINE, elfMachine, fileList, mab, sh } from './helpers.js';

interface Report { strategy: string; platforms: { platform: string; smoke: { passed: boolean }[]; size: { uncompressed: number } }[] }

async function build(recipe: string, strategy: string): Promise<Report> {
  const r = await mab(['build', recipe, '--arch', 'amd64,arm64', '--strategy', strategy, '--rerun-smoke', '--json', '--quiet']);
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
  it.each([['cross', 0], ['multistage', 1]] as const)('%s for arm64 with QEMU for arm64 disabled', async (strategy, failures) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-noemu-'));
    const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
    try {
      const gen = await mab(['generate', 'http-endpoint-c', '--strategy', strategy, '--arch', 'arm64', '-o', dir]);
      expect(gen.exitCode, gen.stderr).toBe(0);
      await writeFile(entry, '0');
      const built = await execa('docker', ['buildx', 'build', '--no-cache', '--pull', '--platform', 'linux/arm64', '--provenance=false', '-t', `mabtest/noemu:${strategy}`, path.join(dir, 'arm64')], { reject: false, all: true });
      expect(built.exitCode === 0 ? 0 : 1, built.all.slice(-2000)).toBe(failures);
    } finally {
      await writeFile(entry, '1');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sysbench: cross and emulated multistage hold the same files', () => {
  it('differs only by maintainer-script output and apt logs', async () => {
    await build('sysbench', 'multistage');
    for (const [platform, slug] of [['linux/arm64', 'arm64'], ['linux/amd64', 'amd64']] as const) {
      const cross = new Set(await fileList(`mab/sysbench:1.0.20-cross-${slug}`, platform));
      const multi = new Set(await fileList(`mab/sysbench:1.0.20-multistage-${slug}`, platform));
      const onlyMulti = [...multi].filter((f) => !cross.has(f));
      const onlyCross = [...cross].filter((f) => !multi.has(f));
      // What a postinst makes that the cross unpack does not (mysql-common's frozen-mode dir),
      // ldconfig's trigger and apt/dpkg logging; the emulated build also empties apt's lists
      // directory, which the cross build never touches. The my.cnf alternative is made by both.
      const explained = /^(usr\/share\/doc\/mysql-common\/frozen-mode\/|var\/cache\/ldconfig\/aux-cache|var\/log\/.*)$/;
      expect(onlyMulti.filter((f) => !explained.test(f)), `${platform}: only in multistage`).toEqual([]);
      expect(onlyCross.filter((f) => !/^var\/lib\/apt\/lists\/(lock|partial\/)$/.test(f)), `${platform}: only in cross`).toEqual([]);
      expect(multi.size).toBeGreaterThan(3000);
      // The same choice among my.cnf's alternatives (mariadb-common's, priority 500, over mysql-common's fallback).
      const link = (image: string) => sh('docker', ['run', '--rm', '--platform', platform, '--entrypoint', 'readlink', image, '-f', '/etc/mysql/my.cnf']);
      expect(await link(`mab/sysbench:1.0.20-cross-${slug}`)).toBe(await link(`mab/sysbench:1.0.20-multistage-${slug}`));
    }
  });
});
