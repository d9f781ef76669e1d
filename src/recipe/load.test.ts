import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MabError } from '../errors.js';
import { formatPlatform } from '../platform/platform.js';
import { GOOD_RECIPE, recipeErrorOf as errorOf } from '../../test/fixtures/recipe-text.js';
import { loadRecipeFile, parseRecipe } from './load.js';

const GOOD = GOOD_RECIPE;

describe('parseRecipe', () => {
  it('loads a full recipe with normalized platforms', () => {
    const r = parseRecipe('r.yaml', GOOD);
    expect(r.name).toBe('demo');
    expect(r.platforms.map(formatPlatform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(r.build.packages).toEqual(['build-essential', 'libfoo-dev']);
    expect(r.env).toEqual({ DEMO_MODE: 'fast' });
    expect(r.smoke[0]).toEqual({
      name: 'demo --version',
      at: 'r.yaml:18:5',
      run: ['demo', '--version'],
      expect: 'demo 1\\.2',
    });
  });

  it('reads strategies (supported with extra keep paths, or a reason), unsupported platforms and HTTP probes', () => {
    const r = parseRecipe(
      'r.yaml',
      (
        GOOD +
        `strategies:
  multistage:
  minimal:
    keep: [/usr/lib/demo]
  single: "the build tools make it 1 GB"
unsupported:
  linux/arm/v7: "upstream has no 32-bit build"
ports: [8080]
user: "65534"
files: [app/main.c]
`
      ).replace('smoke:\n  - run: [demo, --version]', 'smoke:\n  - http: { port: 8080, path: /health }'),
    );
    expect(r.strategies).toEqual({
      multistage: { keep: [] },
      minimal: { keep: ['/usr/lib/demo'] },
      single: { unsupported: 'the build tools make it 1 GB' },
    });
    expect(r.unsupported).toEqual({ 'linux/arm/v7': 'upstream has no 32-bit build' });
    expect(r.smoke[0]).toEqual({
      name: 'GET :8080/health',
      at: 'r.yaml:18:5',
      http: { port: 8080, path: '/health' },
      expect: 'demo 1\\.2',
    });
    const shell = parseRecipe(
      'r.yaml',
      GOOD.replace(
        'smoke:\n  - run: [demo, --version]',
        'smoke:\n  - shell: |\n      demo --version\n      ls /usr/lib | grep -c demo',
      ),
    );
    expect(shell.smoke[0]).toEqual({
      name: 'demo --version',
      at: 'r.yaml:18:5',
      shell: 'demo --version\nls /usr/lib | grep -c demo\n',
      expect: 'demo 1\\.2',
    });
    expect([r.ports, r.user, r.files]).toEqual([['8080/tcp'], '65534', ['app/main.c']]);
  });

  it('reads git and Debian source packages, artifacts and per-platform overrides', () => {
    const r = parseRecipe(
      'r.yaml',
      GOOD.replace(
        'sources:\n',
        `sources:
  - file: app
    git: https://git.example.org/app.git
    commit: ${'c'.repeat(40)}
    paths: [src, docs/demo.py]
  - debian: dlib=1:19.24+dfsg-1
    sha256: ${'d'.repeat(64)}
  - file: s.deb
    apt: http://apt.example.org/repo/
    suite: stable
    component: main
    package: server=2.8.0
    key: https://apt.example.org/key.gpg
    fingerprint: ${'a'.repeat(40)}
`,
      ) +
        `artifacts:
  - file: model.dat
    url: https://models.example.org/model.dat.bz2
    sha256: ${'e'.repeat(64)}
    unpack: bzip2
    path: /usr/share/demo/model.dat
  - file: net.pt
    url: https://models.example.org/net.pt
    md5: ${'f'.repeat(32)}
    path: /usr/share/demo/net.pt
overrides:
  amd64:
    runtime: { packages: [libfoo1-noavx], keep: [/usr/local/bin/demo] }
    env: { DEMO_MODE: safe }
`,
    );
    expect(r.sources[2]).toEqual({
      kind: 'apt',
      file: 's.deb',
      repo: 'http://apt.example.org/repo',
      suite: 'stable',
      component: 'main',
      package: 'server',
      version: '2.8.0',
      key: 'https://apt.example.org/key.gpg',
      fingerprint: 'A'.repeat(40),
    });
    expect(r.sources.slice(0, 2)).toEqual([
      {
        kind: 'git',
        file: 'app',
        url: 'https://git.example.org/app.git',
        commit: 'c'.repeat(40),
        paths: ['src', 'docs/demo.py'],
      },
      {
        kind: 'debian',
        file: 'dlib',
        package: 'dlib',
        version: '1:19.24+dfsg-1',
        archive: 'http://deb.debian.org/debian',
        component: 'main',
        sha256: 'd'.repeat(64),
      },
    ]);
    expect(r.artifacts).toEqual([
      {
        file: 'model.dat',
        url: 'https://models.example.org/model.dat.bz2',
        sha256: 'e'.repeat(64),
        unpack: 'bzip2',
        path: '/usr/share/demo/model.dat',
      },
      { file: 'net.pt', url: 'https://models.example.org/net.pt', md5: 'f'.repeat(32), path: '/usr/share/demo/net.pt' },
    ]);
    expect(r.overrides).toEqual({
      'linux/amd64': {
        runtime: { packages: ['libfoo1-noavx'], keep: ['/usr/local/bin/demo'] },
        env: { DEMO_MODE: 'safe' },
      },
    });
  });

  it('reads extra labels and a healthcheck', () => {
    const r = parseRecipe(
      'r.yaml',
      GOOD +
        'labels:\n  org.example.board: rk3399\nhealthcheck:\n  run: [demo, --ping]\n  interval: 30s\n  retries: 3\n',
    );
    expect(r.labels).toEqual({ 'org.example.board': 'rk3399' });
    expect(r.healthcheck).toEqual({ run: ['demo', '--ping'], interval: '30s', retries: 3 });
  });

  it('reads size budgets: one for every platform, or one per platform', () => {
    expect(parseRecipe('r.yaml', GOOD).maxSize).toEqual({});
    expect(parseRecipe('r.yaml', GOOD + 'max_size: 60MB\n').maxSize).toEqual({ '*': 60_000_000 });
    expect(parseRecipe('r.yaml', GOOD + 'max_size: { aarch64: 1.5 MiB, linux/amd64: 2000 }\n').maxSize).toEqual({
      'linux/arm64': 1572864,
      'linux/amd64': 2000,
    });
    expect(errorOf(GOOD + 'max_size: { arm64: sixty }\n')).toMatch(
      /^r\.yaml:20:20: max_size\.linux\/arm64: "sixty" is not a size[\s\S]*60MB/,
    );
    expect(errorOf(GOOD + 'max_size: { arm/v7: 10MB }\n')).toMatch(
      /^r\.yaml:20:13: max_size\.linux\/arm\/v7: linux\/arm\/v7 is not in platforms/,
    );
  });

  it('defaults to the single and multistage strategies', () => {
    expect(parseRecipe('r.yaml', GOOD).strategies).toEqual({ single: { keep: [] }, multistage: { keep: [] } });
  });

  it('loads the shipped sysbench recipe', async () => {
    const r = await loadRecipeFile(path.resolve('recipes/sysbench.yaml'));
    expect(r.version).toBe('1.0.20');
    expect(Object.keys((r.sources[0] as { sha256: object }).sha256)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'linux/arm/v7',
    ]);
  });

  it('says a listed file that is not in the recipe directory at its line, and loads once it is there', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-recipe-files-'));
    const file = path.join(dir, 'demo.yaml');
    await writeFile(file, GOOD + 'files: [demo.c, missing.c]\n');
    await mkdir(path.join(dir, 'demo'));
    await writeFile(path.join(dir, 'demo', 'demo.c'), 'int main(void) { return 0; }\n');
    const e = await loadRecipeFile(file).then(
      () => undefined,
      (x: MabError) => x.format(),
    );
    expect(e).toBe(
      `${file}:20:17: recipe.files[1]: "missing.c" is not in ${path.join(dir, 'demo')}\n  fix: put it there (a recipe's files live in a directory named after it, beside demo.yaml), or drop it from files:`,
    );
    await writeFile(path.join(dir, 'demo', 'missing.c'), '\n');
    expect((await loadRecipeFile(file)).files).toEqual(['demo.c', 'missing.c']);
  });
});
