/**
 * The package preflight against small signed Debian archives made for the test (gpg, gzip; see
 * test/fixtures/apt-repo.ts): which names it finds for which architecture, what it says about the
 * others, how it uses its cache, and which broken archives it refuses.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDebianArchive, makeKey, type RepoKey } from '../../test/fixtures/apt-repo.js';
import { planBuild, type BuildPlan } from '../plan/plan.js';
import { parsePlatform } from '../platform/platform.js';
import { parseRecipe } from '../recipe/load.js';
import { parseMirror } from '../source/mirror.js';
import { checkPackages, openSuite } from './packages.js';

const ARCHIVE = 'http://debian.invalid/debian';
const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = (p: string) => mkdtemp(path.join(os.tmpdir(), p));

const RECIPE = `name: demo
version: 1.0.0
platforms: [linux/amd64, linux/arm/v7]
strategies:
  multistage:
  cross:
    tools: [pkg-config]
    packages: [libssl-dev]
    steps: [make]
build:
  packages: [gcc, python3-yamll]
  steps: [make]
runtime:
  packages: [libssl3, awk, zlib]
  keep: [/usr/bin/demo]
entrypoint: [/usr/bin/demo]
`;
const lineOf = (name: string, text = RECIPE) =>
  text.split('\n').findIndex((l) => new RegExp(`[[ ]${name}[,\\]]`).test(l)) + 1;
const colOf = (name: string, text = RECIPE) => text.split('\n')[lineOf(name, text) - 1]!.indexOf(name) + 1;

const common = [
  { Package: 'gcc' },
  { Package: 'python3-yaml' },
  { Package: 'libssl-dev' },
  { Package: 'mawk', Provides: 'awk' },
  { Package: 'original-awk', Provides: 'awk (= 2012-12-20)' },
  { Package: 'zlib1g', Provides: 'zlib, libz1' },
];
const PACKAGES = {
  amd64: [...common, { Package: 'libssl3' }, { Package: 'pkg-config' }],
  armhf: common,
};

let dir: string;
let key: RepoKey;
let template: { dockerfile: string; dir: string };

beforeAll(async () => {
  dir = await tmp('mab-debian-');
  key = await makeKey(dir);
  await makeDebianArchive(path.join(dir, 'archive'), key, { suite: 'bookworm', packages: PACKAGES });
  template = {
    dockerfile: await readFile(path.join(ROOT, 'templates/app.Dockerfile'), 'utf8'),
    dir: path.join(ROOT, 'templates'),
  };
});

function plan(strategy: string, text = RECIPE): BuildPlan {
  const recipe = parseRecipe('recipes/demo.yaml', text);
  return planBuild({
    recipe,
    recipePath: 'recipes/demo.yaml',
    strategy,
    platforms: recipe.platforms,
    template,
    indexFormat: 'docker',
  });
}

async function check(p: BuildPlan, o: { archive?: string; cacheDir?: string; keyring?: string } = {}) {
  const logs: string[] = [];
  const archiveDir = o.archive ?? path.join(dir, 'archive');
  const source = {
    archive: ARCHIVE,
    keyring: o.keyring ?? key.file,
    cacheDir: o.cacheDir ?? (await tmp('mab-cache-')),
    mirrors: [parseMirror(`${ARCHIVE}/=${archiveDir}/`)],
  };
  const log = (m: string) => logs.push(m);
  const run = checkPackages(p, parsePlatform('linux/amd64'), () => openSuite(p, source, log), log);
  return { run, logs };
}

describe('package preflight', () => {
  it('names each missing package at its recipe line, the architectures that lack it, and the closest name', async () => {
    const { run } = await check(plan('multistage'));
    const err = await run.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^3 package names in the recipe cannot be installed from Debian bookworm \(main\)/);
    expect(err?.message).toContain(
      `recipes/demo.yaml:${lineOf('python3-yamll')}:${colOf('python3-yamll')}: python3-yamll is not a package for amd64, armhf; did you mean python3-yaml?`,
    );
    expect(err?.message).toContain(
      `recipes/demo.yaml:${lineOf('libssl3')}:${colOf('libssl3')}: libssl3 is not a package for armhf (amd64 has it: name a replacement for armhf under overrides:)`,
    );
    // A virtual name two packages provide is one apt cannot choose; one that one package provides installs it.
    expect(err?.message).toContain(
      `recipes/demo.yaml:${lineOf('awk')}:${colOf('awk')}: awk is a virtual package, provided by mawk, original-awk: name one of them`,
    );
    expect(err?.message).not.toMatch(/zlib|gcc/);
    expect((err as { hint?: string }).hint).toContain('--no-preflight');
  });

  it("checks a cross build's tools for the build platform and its packages for the target", async () => {
    // pkg-config is only in the amd64 index: right for a tool, which runs on the (amd64) build platform.
    const text = RECIPE.replace('packages: [libssl3, awk, zlib]', 'packages: [zlib]');
    const { run, logs } = await check(plan('cross', text));
    await run;
    expect(logs.at(-1)).toMatch(
      /^package preflight: every package name found in Debian bookworm \(amd64: 3, armhf: 2; index of \d{4}-\d\d-\d\d, [\d.]+ s\)$/,
    );
    // As a target package it is missing on armhf.
    const { run: bad } = await check(plan('cross', text.replace('packages: [libssl-dev]', 'packages: [pkg-config]')));
    await expect(bad).rejects.toThrow('pkg-config is not a package for armhf (amd64 has it');
  });

  it('needs no archive once the indexes are cached, and looks again when a name is missing from an older copy', async () => {
    const archive = path.join(await tmp('mab-archive-'), 'archive');
    await makeDebianArchive(archive, key, { suite: 'bookworm', packages: PACKAGES });
    const cacheDir = await tmp('mab-cache-');
    const good = plan('multistage', RECIPE.replace('gcc, python3-yamll', 'gcc').replace('libssl3, awk, zlib', 'zlib'));
    await (
      await check(good, { archive, cacheDir })
    ).run;
    await rm(archive, { recursive: true });
    const cached = await check(good, { archive, cacheDir });
    await cached.run;
    expect(cached.logs.filter((l) => l.includes('read the bookworm'))).toEqual([]);
    // The same names against the same index: answered from the first check, the names not read again.
    expect(cached.logs.at(-1)).toMatch(
      /every package name found in Debian bookworm \(amd64: 2, armhf: 2\), as a check against this same index of .* found before$/,
    );

    // The archive gains a package after the cache was made: a recipe naming it passes after one refetch.
    await makeDebianArchive(archive, key, {
      suite: 'bookworm',
      packages: {
        amd64: [...PACKAGES.amd64, { Package: 'newcomer' }],
        armhf: [...PACKAGES.armhf, { Package: 'newcomer' }],
      },
    });
    const newer = await check(
      plan('multistage', RECIPE.replace('gcc, python3-yamll', 'newcomer').replace('libssl3, awk, zlib', 'zlib')),
      { archive, cacheDir },
    );
    await newer.run;
    expect(newer.logs.filter((l) => l.includes('read the bookworm')).length).toBe(2);
    // Without the names at all, nor the archive: the same question against the same index needs neither.
    await (
      await check(good, { archive, cacheDir })
    ).run;
    await rm(path.join(cacheDir, 'debian-index', 'names'), { recursive: true });
    await rm(archive, { recursive: true });
    await (
      await check(good, { archive, cacheDir })
    ).run;
  });

  it('is skipped with a note when the archive cannot be reached and nothing is cached', async () => {
    const { run, logs } = await check(plan('multistage'), { archive: path.join(dir, 'no-such-archive') });
    await run;
    expect(logs.join('\n')).toMatch(
      /^package preflight skipped: cannot fetch http:\/\/debian\.invalid\/debian\/dists\/bookworm\/InRelease \(.*no-such-archive.*\); a missing package would show only when apt runs in the build$/,
    );
  });

  it("refuses an index signed by another key, a Packages file that is not the signed one, and another suite's index", async () => {
    const other = await makeKey(dir);
    await expect((await check(plan('multistage'), { keyring: other.file })).run).rejects.toThrow(
      /bookworm\/InRelease has no good signature by any key of the keyring/,
    );

    const tampered = path.join(await tmp('mab-archive-'), 'archive');
    await makeDebianArchive(tampered, key, { suite: 'bookworm', packages: PACKAGES });
    await writeFile(
      path.join(tampered, 'dists/bookworm/main/binary-armhf/Packages.gz'),
      await readFile(path.join(tampered, 'dists/bookworm/main/binary-amd64/Packages.gz')),
    );
    await expect((await check(plan('multistage'), { archive: tampered })).run).rejects.toThrow(
      /binary-armhf\/Packages\.gz has sha256 [a-f0-9]{64}; the signed .*InRelease lists/,
    );

    const replayed = path.join(await tmp('mab-archive-'), 'archive');
    await makeDebianArchive(replayed, key, { suite: 'bookworm', signedFor: 'bullseye', packages: PACKAGES });
    await expect((await check(plan('multistage'), { archive: replayed })).run).rejects.toThrow(
      'dists/bookworm/InRelease is signed for suite bullseye / bullseye, not bookworm',
    );
  });
});
