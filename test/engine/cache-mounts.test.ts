/**
 * Caches that outlive a build: apt's lists and .debs, and the directories a recipe names in
 * build.caches, live in BuildKit cache mounts. A step that runs again finds them, and no image
 * carries them. The fixture recipe's single-strategy image installs `hello` after its build steps,
 * so a changed file (a fresh nonce every build) makes that apt step run again on every build; so
 * does the cross strategy's unpack of the target's packages, which keeps its .debs in a mount too.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mab, sh } from './helpers.js';

const RECIPE = `name: cache-demo
version: 1.0.0
platforms: [linux/amd64, linux/arm64]
files: [nonce.txt]
build:
  caches: [/root/.cache/demo]
  steps:
    - echo cache entries before $(ls -A /root/.cache/demo)
    - cp nonce.txt /root/.cache/demo/$(cat nonce.txt)
runtime:
  packages: [hello]
  keep: [/usr/bin/hello]
entrypoint: [hello]
strategies:
  single:
smoke:
  - run: [hello]
    expect: '^Hello, world!$'
`;

// The cross strategy's unpack of the target's runtime packages runs after the build steps, so
// the nonce reruns it too.
const CROSS_RECIPE = `name: unpack-demo
version: 1.0.0
platforms: [linux/amd64, linux/arm64]
files: [nonce.txt]
build:
  steps: [cat nonce.txt]
runtime:
  packages: [hello]
  keep: []
entrypoint: [hello]
strategies:
  cross:
    steps: [cat nonce.txt]
smoke:
  - run: [hello]
    expect: '^Hello, world!$'
`;

let recipes: string;

/** Builds with a fresh nonce; returns it and the build's log (every line of BuildKit's output). */
async function build(arch: string, recipe = 'cache-demo'): Promise<{ nonce: string; log: string }> {
  const nonce = randomBytes(6).toString('hex');
  await writeFile(path.join(recipes, recipe, 'nonce.txt'), nonce);
  const store = path.join(recipes, `store-${nonce}`);
  const r = await mab(['build', recipe, '--recipes', recipes, '--arch', arch, '--store', store, '--verbose']);
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  return { nonce, log: r.stderr };
}

beforeAll(async () => {
  recipes = await mkdtemp(path.join(os.tmpdir(), 'mab-cache-mounts-'));
  await writeFile(path.join(recipes, 'cache-demo.yaml'), RECIPE);
  await mkdir(path.join(recipes, 'cache-demo'));
  await writeFile(path.join(recipes, 'unpack-demo.yaml'), CROSS_RECIPE);
  await mkdir(path.join(recipes, 'unpack-demo'));
});

describe('the cross unpack that runs again (arm64)', () => {
  it('finds the target-architecture .debs it downloaded before', async () => {
    await build('arm64', 'unpack-demo');
    const second = await build('arm64', 'unpack-demo');
    expect(second.log).toMatch(/unpacked hello \(arm64\)/);
    expect(second.log).toMatch(/1 packages for arm64, 1 of them already downloaded/);
  });
});

describe.each(['amd64', 'arm64'])('a step that runs again (%s)', (arch) => {
  it('finds the .debs, apt lists and recipe caches of the build before it', async () => {
    const first = await build(arch);
    const second = await build(arch);
    // The recipe's cache kept what the first build's step wrote.
    expect(second.log).toMatch(new RegExp(`cache entries before .*${first.nonce}`));
    // apt ran again (the nonce changed what came before it) but downloaded no package...
    expect(second.log).toMatch(/Setting up hello /);
    expect(second.log).toMatch(/Need to get 0 B\/[\d.,]+ [kM]B of archives/);
    expect(second.log).not.toMatch(/Get:\d+ \S+ bookworm\/main \S+ hello /);
    // ...and found its package lists current: it fetched the signed release files (which say
    // so), but no package index.
    expect(second.log).toMatch(/Reading package lists/);
    expect(second.log).not.toMatch(/Get:\d+ \S+ bookworm\/main \S+ Packages/);
  });

  it('leaves no cache and no apt setting of its own in the image', async () => {
    const listing = await sh('docker', [
      'run',
      '--rm',
      '--platform',
      `linux/${arch}`,
      '--entrypoint',
      'sh',
      `mab/cache-demo:1.0.0-single-${arch}`,
      '-c',
      'ls /etc/apt/apt.conf.d; echo "debs: $(ls /var/cache/apt/archives/*.deb 2>/dev/null | wc -l)"; echo "lists: $(ls /var/lib/apt/lists | grep -vc "^lock$\\|^partial$\\|^auxfiles$")"; echo "cache: $(ls -A /root/.cache/demo | wc -l)"',
    ]);
    expect(listing).toContain('docker-clean');
    expect(listing).not.toContain('zz-mab');
    expect(listing).toContain('debs: 0');
    expect(listing).toContain('lists: 0');
    expect(listing).toContain('cache: 0');
  });
});
