/**
 * schema/recipe.schema.json against the loader, with a real JSON Schema validator (Ajv, draft-07):
 * the committed file is what the generator gives, every shipped recipe validates, and the schema
 * and the loader refuse the same broken recipes, each at the same key, and accept the same
 * unusual good ones. The loader rules a schema cannot express are listed in schema.ts.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GOOD_RECIPE as GOOD } from '../../test/fixtures/recipe-text.js';
import { MabError } from '../errors.js';
import { parseRecipe } from './load.js';
import { RULES } from './rules.js';
import { SCHEMA_FILE, recipeSchema, recipeSchemaText } from './schema.js';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
// The editors' keyword for a pattern's message in words; Ajv's strict mode wants it declared.
ajv.addKeyword('patternErrorMessage');
const validate = ajv.compile(recipeSchema());

function schemaErrors(text: string): ErrorObject[] {
  return validate(parse(text)) ? [] : (validate.errors ?? []);
}

function loaderError(text: string): string | undefined {
  try {
    parseRecipe('r.yaml', text);
    return undefined;
  } catch (e) {
    if (e instanceof MabError) return e.format();
    throw e;
  }
}

const HEX = (n: number, c = 'a') => c.repeat(n);
const withSource = (yaml: string) => GOOD.replace('sources:\n', `sources:\n${yaml}`);
const GIT = `  - file: app\n    git: https://x.org/a.git\n    commit: ${HEX(40, 'c')}\n`;
const APT = `  - file: s.deb\n    apt: http://apt.example.org/repo\n    suite: stable\n    component: main\n    package: server=2.8.0\n    key: https://apt.example.org/k.gpg\n    fingerprint: ${HEX(40, 'A')}\n`;
const ARTIFACT = `artifacts:\n  - file: m.dat\n    url: https://x.org/m.dat\n    sha256: ${HEX(64)}\n`;
const SMOKE = '  - run: [demo, --version]';
const smoke = (yaml: string) => GOOD.replace(SMOKE, yaml);

describe('schema/recipe.schema.json', () => {
  it('is what npm run schema writes now', async () => {
    expect(await readFile(path.resolve(SCHEMA_FILE), 'utf8')).toBe(recipeSchemaText());
  });

  it('validates every shipped recipe, each naming the schema on its first line', async () => {
    const dir = path.resolve('recipes');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) {
      const text = await readFile(path.join(dir, f), 'utf8');
      const [first] = text.split('\n');
      const ref = /^# yaml-language-server: \$schema=(\S+)$/.exec(first!)?.[1];
      expect([f, ref]).toEqual([f, '../schema/recipe.schema.json']);
      // Relative to the recipe, as the language server reads it.
      expect(path.resolve(dir, ref!)).toBe(path.resolve(SCHEMA_FILE));
      expect(existsSync(path.resolve(dir, ref!))).toBe(true);
      expect([f, schemaErrors(text)]).toEqual([f, []]);
      expect([f, loaderError(text)]).toEqual([f, undefined]);
    }
  });

  it('gives unquoted numbers the range their pattern allows', () => {
    for (const [name, r] of Object.entries(RULES)) {
      const rule = r as { re: RegExp; maximum?: number };
      if (rule.maximum === undefined) continue;
      expect([name, rule.re.test(String(rule.maximum)), rule.re.test(String(rule.maximum + 1))]).toEqual([
        name,
        true,
        false,
      ]);
    }
  });
});

// [what, recipe, the loader's error, where the schema's error is (JSON pointer), its keyword]
const BAD: [string, string, RegExp, string, string][] = [
  [
    'an unknown key',
    GOOD.replace('entrypoint:', 'entrypiont:'),
    /unknown key "entrypiont"/,
    '',
    'additionalProperties',
  ],
  ['a missing required key', GOOD.replace('name: demo\n', ''), /is missing "name"/, '', 'required'],
  [
    'a version that is not semver',
    GOOD.replace('1.2.3', '1.2.3.4'),
    /is not semantic versioning/,
    '/version',
    'pattern',
  ],
  ['a version YAML reads as a number', GOOD.replace('1.2.3', '1.10'), /"1\.10" is not semantic/, '/version', 'type'],
  [
    'platforms as a string',
    GOOD.replace('[linux/amd64, arm64]', 'linux/amd64'),
    /must be a list/,
    '/platforms',
    'type',
  ],
  ['no platform', GOOD.replace('[linux/amd64, arm64]', '[]'), /platforms is empty/, '/platforms', 'minItems'],
  ['an unknown platform', GOOD.replace('arm64]', 'mips]'), /unknown platform "mips"/, '/platforms/1', 'enum'],
  ['a bad package name', GOOD.replace('libfoo-dev', 'LibFoo'), /not a Debian package/, '/build/packages/1', 'pattern'],
  [
    'a relative keep path',
    GOOD.replace('/usr/local/bin/demo', 'bin/demo'),
    /not an absolute/,
    '/runtime/keep/0',
    'pattern',
  ],
  [
    'a keep path with ..',
    GOOD.replace('/usr/local/bin/demo', '/usr/../etc'),
    /contains "\.\."/,
    '/runtime/keep/0',
    'not',
  ],
  ['a bad sha256', GOOD.replace(HEX(64), 'abc'), /not 64 lowercase hex/, '/sources/0/sha256', 'pattern'],
  [
    'sha256 and md5 both',
    GOOD.replace(`sha256: ${HEX(64)}`, `sha256: ${HEX(64)}\n    md5: ${HEX(32, 'b')}`),
    /has both sha256 and md5/,
    '/sources/0',
    'oneOf',
  ],
  [
    'a url source with no checksum',
    GOOD.replace(`    sha256: ${HEX(64)}\n`, ''),
    /missing "sha256"/,
    '/sources/0',
    'oneOf',
  ],
  [
    'a source of two kinds',
    GOOD.replace(`sha256: ${HEX(64)}`, `sha256: ${HEX(64)}\n    git: https://x.org/a.git`),
    /needs exactly one of url/,
    '/sources/0',
    'anyOf',
  ],
  [
    'an extra key in a git source',
    withSource(`${GIT}    sha256: ${HEX(64)}\n`),
    /does not apply/,
    '/sources/0',
    'anyOf',
  ],
  [
    'a git source pinned by branch',
    withSource(GIT.replace(HEX(40, 'c'), 'main')),
    /not a full commit/,
    '/sources/0/commit',
    'pattern',
  ],
  [
    'a git source without commit',
    withSource(GIT.replace(/ +commit.*\n/, '')),
    /missing "commit"/,
    '/sources/0',
    'required',
  ],
  ['empty git paths', withSource(`${GIT}    paths: []\n`), /paths is empty/, '/sources/0/paths', 'minItems'],
  [
    'a Debian source without version',
    withSource(`  - debian: dlib\n    sha256: ${HEX(64)}\n`),
    /PACKAGE=VERSION/,
    '/sources/0/debian',
    'pattern',
  ],
  ['an apt source without key', withSource(APT.replace(/ +key:.*\n/, '')), /missing "key"/, '/sources/0', 'required'],
  [
    'an unknown unpack',
    GOOD + ARTIFACT + '    unpack: zip\n    path: /m\n',
    /not one of gzip/,
    '/artifacts/0/unpack',
    'enum',
  ],
  ['an artifact without path', GOOD + ARTIFACT, /missing "path"/, '/artifacts/0', 'required'],
  [
    'an unknown strategy',
    GOOD + 'strategies:\n  minimall:\n',
    /did you mean "minimal"/,
    '/strategies',
    'additionalProperties',
  ],
  ['no supported strategy', GOOD + 'strategies:\n  single: no\n', /no supported strategy/, '/strategies', 'anyOf'],
  [
    'an empty cross strategy',
    GOOD + 'strategies:\n  cross:\n',
    /needs its own build: steps/,
    '/strategies/cross',
    'anyOf',
  ],
  [
    'keep under cross with a typo',
    GOOD + 'strategies:\n  cross: { step: [make] }\n',
    /unknown key "step"/,
    '/strategies/cross',
    'anyOf',
  ],
  [
    'smoke with run and http',
    smoke('  - run: [demo]\n    http: { port: 80 }'),
    /exactly one of run/,
    '/smoke/0',
    'oneOf',
  ],
  ['smoke without expect', GOOD.replace(/ +expect: .*\n/, ''), /is missing "expect"/, '/smoke/0', 'required'],
  ['an http probe without port', smoke('  - http: { path: / }'), /missing "port"/, '/smoke/0/http', 'required'],
  ['an empty smoke command', smoke('  - run: []'), /run is empty/, '/smoke/0/run', 'minItems'],
  ['a blank shell check', smoke("  - shell: '  '"), /not a shell script/, '/smoke/0/shell', 'pattern'],
  [
    'a slow flag that is not one',
    smoke('  - run: [demo]\n    slow: yes'),
    /not true or false/,
    '/smoke/0/slow',
    'type',
  ],
  [
    'a control character in expect',
    GOOD.replace("'demo 1\\.2'", '"demo\\x01"'),
    /control character U\+0001/,
    '/smoke/0/expect',
    'pattern',
  ],
  ['a NUL in a label value', GOOD + 'license: "MIT\\0x"\n', /control character U\+0000/, '/license', 'pattern'],
  [
    'a line break in an env value',
    GOOD.replace('fast', '"a\\nb"'),
    /not text on one line/,
    '/env/DEMO_MODE',
    'pattern',
  ],
  [
    'a healthcheck interval without unit',
    GOOD + 'healthcheck:\n  run: [demo]\n  interval: 30\n',
    /not a duration/,
    '/healthcheck/interval',
    'type',
  ],
  ['a port past five digits', GOOD + 'ports: [123456]\n', /not a port number/, '/ports/0', 'maximum'],
  [
    'an env key with shell',
    GOOD.replace('DEMO_MODE', '"A;B"'),
    /not an environment variable name/,
    '/env',
    'propertyNames',
  ],
  ['a label key with shell', GOOD + 'labels:\n  "a;b": x\n', /not a label key/, '/labels', 'propertyNames'],
  [
    'a multi-line step',
    GOOD.replace('steps: [make]', 'steps: ["make\\nUSER root"]'),
    /not one shell command/,
    '/build/steps/0',
    'pattern',
  ],
  [
    'a heredoc step',
    GOOD.replace('steps: [make]', 'steps: ["cat <<EOF"]'),
    /not one shell command/,
    '/build/steps/0',
    'pattern',
  ],
  [
    'a build cache at /',
    GOOD.replace('steps: [make]', 'steps: [make]\n  caches: [/]'),
    /cannot be "\/"/,
    '/build/caches/0',
    'not',
  ],
  [
    'an override of a fixed key',
    GOOD + 'overrides:\n  arm64:\n    name: x\n',
    /unknown key "name"/,
    '/overrides/arm64',
    'additionalProperties',
  ],
  [
    'an override keyed by no platform',
    GOOD + 'overrides:\n  mips:\n    cmd: [x]\n',
    /unknown platform "mips"/,
    '/overrides',
    'propertyNames',
  ],
  ['a user with shell', GOOD + 'user: "root;id"\n', /not a user name or uid/, '/user', 'pattern'],
  ['a size that is not one', GOOD + 'max_size: sixty\n', /"sixty" is not a size/, '/max_size', 'pattern'],
  ['a secret id in capitals', GOOD + 'secrets: [TOKEN]\n', /not a secret id/, '/secrets/0', 'pattern'],
];

describe('the schema and the loader', () => {
  it.each(BAD)('both refuse %s, at the same key', (_what, text, loaderWants, at, keyword) => {
    expect(loaderError(text)).toMatch(loaderWants);
    const errors = schemaErrors(text).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(errors).toContain(`${at} ${keyword}`);
  });

  const EDGE = `name: edge.case-1
version: 1.0.0-rc.1+build.5
platforms: [386, aarch64, amd64/v3, armhf]
unsupported: { s390x: no big-endian build yet }
user: 65534
ports: [8080, 5683/udp]
env: { PORT: 8080, DEBUG: true }
labels: { org.example.board-count: 3 }
max_size: { aarch64: 1.5 MiB, linux/386: 2000, armhf: 20mb, amd64/v3: 60MB }
secrets: [index_token]
files: []
strategies:
  single: "the build tools make it 1 GB"
  multistage:
  minimal: { keep: [/usr/lib/edge] }
  cross: { toolchain: true, packages: ["libssl-dev"], tools: [pkg-config], steps: [$CC -O2 -o /usr/local/bin/edge edge.c] }
sources:
  - file: edge.deb
    url: http://deb.example.org/edge_{debian_arch}.deb
    sha256: { i386: ${HEX(64)}, arm64: ${HEX(64, 'b')}, linux/amd64/v3: ${HEX(64, 'c')}, arm/v7: ${HEX(64, 'd')} }
  - debian: dlib=1:19.24+dfsg-1
    sha256: ${HEX(64, 'e')}
    component: non-free-firmware
${GIT}    paths: [src, docs/a.py]
${APT}artifacts:
  - file: net.pt
    url: file:///srv/net.pt.xz
    md5: ${HEX(32, 'f')}
    unpack: xz
    path: /usr/share/edge/net.pt
build: { caches: [/root/.cache/go-build] }
runtime: { keep: [/usr/local/bin/edge] }
entrypoint: [/usr/local/bin/edge, --port, 8080]
healthcheck: { run: [/usr/local/bin/edge, --ping], interval: 500ms, retries: 3 }
smoke:
  - http: { port: 8080 }
    expect: ^ok$
  - shell: ls /usr/lib | grep -c edge
    expect: '^1$'
    slow: true
    name: 42
overrides:
  armhf: { env: { EDGE_NEON: "0" }, smoke: [] }
`;
  it.each([
    ['the loader tests’ recipe', GOOD],
    ['a recipe of the required keys alone', 'name: x\nversion: 0.0.1\nplatforms: [amd64]\nentrypoint: [/x]\n'],
    ['every kind of source, alias platform keys, unquoted numbers and empty values', EDGE],
  ])('both accept %s', (_what, text) => {
    expect(loaderError(text)).toBeUndefined();
    expect(schemaErrors(text)).toEqual([]);
  });
});
