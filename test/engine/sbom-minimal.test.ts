/**
 * `mab sbom` of `minimal` and `minimal-cross` images, which have no dpkg database: the packages
 * and files the build recorded in /var/lib/dpkg/status.d are exactly what dpkg, run by the engine
 * in the multistage image of the same recipe (a dpkg database), says owns each kept path. The
 * Python endpoint keeps the interpreter, its standard library and the libraries they load; the C
 * endpoint is one static binary, which no package owns: its image records nothing.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SpdxDocument } from '../../src/supply/sbom.js';
import { dpkgInstalled, mab, sh, spdxDebs } from './helpers.js';

const RECIPES = ['http-endpoint-python', 'http-endpoint-c'];
const MINIMAL = ['minimal', 'minimal-cross'];
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const STATUS_D = 'var/lib/dpkg/status.d/';

let store: string;
/** `RECIPE STRATEGY` → platform → the image the engine holds. */
const images: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-sbom-minimal-')), 'store');
  for (const recipe of RECIPES)
    for (const strategy of ['multistage', ...MINIMAL]) {
      const options = ['--strategy', strategy, '--store', store, '--rerun-smoke', '--json', '--quiet'];
      const r = await mab(['build', recipe, '--arch', PLATFORMS.map((p) => p.split('/')[1]).join(','), ...options]);
      expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
      const report = JSON.parse(r.stdout) as {
        platforms: { platform: string; image: string; smoke: { passed: boolean }[] }[];
      };
      // Recording the packages changed nothing the program needs.
      for (const p of report.platforms) expect(p.smoke.length > 0 && p.smoke.every((s) => s.passed)).toBe(true);
      images[`${recipe} ${strategy}`] = Object.fromEntries(report.platforms.map((p) => [p.platform, p.image]));
    }
});

/** The regular files and links of an image below the top level, from docker export (not from mab). */
async function keptPaths(image: string, platform: string) {
  const out = await sh('sh', [
    '-c',
    `id=$(docker create --platform ${platform} ${image}) && docker export $id | tar -tv; docker rm $id >/dev/null`,
  ]);
  // What the engine adds to every container.
  const engine = new Set(['.dockerenv', 'dev/console', 'etc/hostname', 'etc/hosts', 'etc/mtab', 'etc/resolv.conf']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // -rw-r--r-- 0/0 1234 2024-01-01 00:00 usr/lib/x [-> target]
      const f = line.split(/\s+/);
      return {
        type: line[0],
        size: Number(f[2]),
        path: f
          .slice(5)
          .join(' ')
          .replace(/ -> .*$/, ''),
      };
    })
    .filter((e) => (e.type === '-' || e.type === 'l') && e.path.includes('/') && !engine.has(e.path));
}

/** The bytes status.d adds to the image's layer: as files, and as a tar of them gzipped alone. */
async function recordBytes(image: string, platform: string): Promise<{ tar: number; gzip: number }> {
  const out = await sh('sh', [
    '-c',
    `d=$(mktemp -d) && id=$(docker create --platform ${platform} ${image}) && docker export $id | tar -x -C $d ${STATUS_D}; ` +
      `docker rm $id >/dev/null; tar -C $d -cf - ${STATUS_D} | wc -c; tar -C $d -cf - ${STATUS_D} | gzip -9n | wc -c; rm -rf $d`,
  ]);
  const [tar, gzip] = out.trim().split('\n').map(Number);
  return { tar: tar!, gzip: gzip! };
}

/** The other name merged /usr gives a path (usr/lib/x and lib/x). */
const alias = (p: string) =>
  /^usr\/(bin|sbin|lib|lib64)\//.test(p) ? p.slice(4) : /^(bin|sbin|lib|lib64)\//.test(p) ? `usr/${p}` : undefined;

/** Per path (no leading /), the packages `dpkg -S`, run in IMAGE, says own it (without :ARCH). */
async function dpkgOwners(image: string, platform: string, paths: string[]): Promise<Map<string, Set<string>>> {
  const query = paths.flatMap((p) => [p, alias(p)].filter((q) => q !== undefined).map((q) => `/${q}`));
  const r = await execa(
    'docker',
    [
      'run',
      '--rm',
      '-i',
      '--platform',
      platform,
      '--entrypoint',
      'sh',
      image,
      '-c',
      'xargs -r dpkg -S 2>/dev/null; true',
    ],
    { input: query.join('\n') + '\n', reject: false },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  const owners = new Map<string, Set<string>>();
  for (const line of r.stdout.split('\n')) {
    const at = line.indexOf(': /');
    if (at < 0 || line.startsWith('diversion by ')) continue;
    owners.set(
      line.slice(at + 3),
      new Set(
        line
          .slice(0, at)
          .split(', ')
          .map((n) => n.replace(/:.*$/, '')),
      ),
    );
  }
  const of = (p: string) => new Set([...(owners.get(p) ?? []), ...(owners.get(alias(p) ?? '') ?? [])]);
  return new Map(paths.map((p) => [p, of(p)]));
}

const cases = RECIPES.flatMap((recipe) =>
  MINIMAL.flatMap((strategy) => PLATFORMS.map((platform) => [recipe, strategy, platform] as const)),
);

describe('mab sbom of a minimal image', () => {
  it.each(cases)('%s %s %s: the packages owning the kept files, as dpkg says', async (recipe, strategy, platform) => {
    const image = images[`${recipe} ${strategy}`]![platform]!;
    const entries = await keptPaths(image, platform);
    const records = entries.filter((e) => e.path.startsWith(STATUS_D));
    const kept = entries.filter((e) => !e.path.startsWith(STATUS_D));
    const multistage = images[`${recipe} multistage`]![platform]!;
    const keptNames = kept.map((e) => e.path);
    const expected = await dpkgOwners(multistage, platform, keptNames);

    const r = await mab(['sbom', `${recipe}:1.0.0-${strategy}`, '--store', store, '--arch', platform.split('/')[1]!]);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as SpdxDocument;
    const debs = doc.packages.filter((p) => p.SPDXID !== 'SPDXRef-image');
    const names = new Map(debs.map((p) => [p.SPDXID, p.name]));
    const fileNames = new Map((doc.files ?? []).map((f) => [f.SPDXID, f.fileName.slice(1)]));
    const listed = new Map<string, Set<string>>();
    for (const rel of doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[]) {
      const file = fileNames.get(rel.relatedSpdxElement);
      if (file) listed.set(file, (listed.get(file) ?? new Set()).add(names.get(rel.spdxElementId)!));
    }

    // The package set: every package dpkg says owns a kept file or link, and no other.
    const owning = [...new Set([...expected.values()].flatMap((s) => [...s]))].sort();
    expect(debs.map((p) => p.name).sort()).toEqual(owning);
    // Each kept file's packages (links are in no md5sums: their package is in the set above).
    const files = kept.filter((e) => e.type === '-');
    for (const f of files)
      expect([...(listed.get(f.path) ?? [])].sort(), f.path).toEqual([...expected.get(f.path)!].sort());
    expect([...listed.keys()].every((p) => files.some((f) => f.path === p))).toBe(true);
    // The same versions and architectures as the multistage image's packages.
    if (debs.length) expect(spdxDebs(doc)).toEqual(await dpkgInstalled(multistage, platform, owning));

    const bytes = records.reduce((n, e) => n + e.size, 0);
    console.log(
      `${recipe} ${strategy} ${platform}: ${kept.length} kept files and links, ${debs.length} packages, ` +
        `${listed.size} files mapped, records ${records.length} files of ${bytes} bytes`,
    );
    if (recipe === 'http-endpoint-c') expect(records).toEqual([]);
    else {
      const added = await recordBytes(image, platform);
      console.log(`  as a tar ${added.tar} bytes, gzipped ${added.gzip} bytes`);
      expect(debs.length).toBeGreaterThan(10);
      expect(listed.size).toBeGreaterThan(100);
      expect(debs.map((p) => p.name)).toEqual(expect.arrayContaining(['libc6', 'libpython3.11-minimal']));
    }
  });

  it('records the same in the minimal image and the minimal-cross one', async () => {
    for (const platform of PLATFORMS) {
      const [native, cross] = await Promise.all(
        MINIMAL.map((s) =>
          mab(['sbom', `http-endpoint-python:1.0.0-${s}`, '--store', store, '--arch', platform.split('/')[1]!]),
        ),
      );
      const parts = (text: string) => {
        const doc = JSON.parse(text) as SpdxDocument;
        return { packages: doc.packages.slice(1).map((p) => `${p.name} ${p.versionInfo}`), files: doc.files };
      };
      expect(parts(cross!.stdout)).toEqual(parts(native!.stdout));
    }
  });
});
