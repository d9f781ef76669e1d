/**
 * The recipe's JSON Schema, made from the shape the loader reads (shape.ts, rules.ts), so that an
 * editor completes and checks a recipe as mab will. `npm run schema` writes it to
 * schema/recipe.schema.json; a test fails when the committed file is not what this gives.
 *
 * Draft-07: the draft yaml-language-server (VS Code's YAML extension, and the other editors that
 * run it) validates with; its support for 2019-09 and 2020-12 is newer than most installs. So no
 * $defs, and a description beside a $ref goes through allOf (draft-07 ignores $ref's siblings).
 * patternErrorMessage is the editors' keyword for saying a pattern in words, as the loader does.
 *
 * What the loader checks and a schema cannot say, across fields or outside the document:
 *   1. a platform in both platforms and unsupported (spellings compared once normalized);
 *   2. overrides only for platforms in platforms;
 *   3. max_size only for platforms in platforms;
 *   4. a per-platform sha256 or md5 mapping gives one for every platform in platforms;
 *   5. no two sources with one file name (a debian source's defaults to its package);
 *   6. every files: entry exists in the recipe's directory;
 *   7. smoke expect compiles as a JavaScript regular expression;
 *   8. a recipe file is at most 1 MiB.
 * And where the schema is near it but not the same:
 *   - the loader refuses control characters in every value; the schema in free text and one-line
 *     values only (a build step, shell script or URL with one passes it);
 *   - the loader reads a platform in any letter case, and any scalar as written (an unquoted
 *     `name: 123`, a quoted `slow: "true"`); the schema wants lower case, and the YAML type.
 * docs/recipes.md lists them for recipe authors.
 */
import { platformSpellings } from '../platform/platform.js';
import { TEXT, type Rule } from './rules.js';
import { RECIPE, type Mapping, type Text, type Value } from './shape.js';

type Schema = Record<string, unknown>;

export const SCHEMA_FILE = 'schema/recipe.schema.json';

export function recipeSchema(): Schema {
  const platforms = platformSpellings();
  const definitions: Record<string, Schema> = {
    platform: {
      description:
        'A platform, in any spelling mab reads: amd64, x86_64, arm64, aarch64, arm/v7, armhf, linux/amd64/v3.',
      // A spelling YAML reads as a number (386) is that number in a list.
      enum: [...platforms, ...platforms.filter((p) => /^\d+$/.test(p)).map(Number)],
    },
  };
  const PLATFORM = { $ref: '#/definitions/platform' };

  const pattern = (r: Rule): Schema => ({
    pattern: r.re.source,
    patternErrorMessage: `Expected ${r.what}${r.fix ? `: ${r.fix}` : ''}.`,
  });

  const text = (t: Text): Schema => {
    if (!t.rule && t.json) return { type: one(t.json) };
    const r = t.rule ?? TEXT;
    const json = r.json ?? ['string'];
    const s: Schema = { type: one(json) };
    if (json.includes('string')) Object.assign(s, r.values ? { enum: [...r.values] } : pattern(r));
    if (r.minimum !== undefined && json.some((j) => j === 'integer' || j === 'number')) s.minimum = r.minimum;
    if (r.maximum !== undefined) s.maximum = r.maximum;
    if (t.refuse?.length)
      s.not =
        t.refuse.length === 1
          ? { pattern: t.refuse[0]!.source }
          : { anyOf: t.refuse.map((re) => ({ pattern: re.source })) };
    return s;
  };

  const mapping = (m: Mapping): Schema => {
    const s: Schema = {
      type: 'object',
      properties: Object.fromEntries(
        Object.entries(m.keys).map(([key, f]) => {
          const v = compile(f.value);
          return [key, v.$ref ? { description: f.doc, allOf: [v] } : { description: f.doc, ...v }];
        }),
      ),
      additionalProperties: false,
    };
    if (m.required?.length) s.required = [...m.required];
    if (m.exactlyOne) s.oneOf = m.exactlyOne.map((k) => ({ required: [k] }));
    if (m.someOf) {
      const json = one(m.someOf.json);
      s.anyOf = m.someOf.keys.map((k) => ({ required: [k], properties: { [k]: { type: json } } }));
    }
    return s;
  };

  const compile = (v: Value): Schema => {
    if (v.name) {
      const { name, ...rest } = v;
      definitions[name] ??= compile(rest);
      return { $ref: `#/definitions/${name}` };
    }
    switch (v.kind) {
      case 'text':
        return text(v);
      case 'list':
        return { type: 'array', items: compile(v.of), ...(v.nonEmpty ? { minItems: 1 } : {}) };
      case 'mapping':
        return mapping(v);
      case 'dict':
        return {
          type: 'object',
          propertyNames: v.key === 'platform' ? PLATFORM : pattern(v.key),
          additionalProperties: compile(v.of),
        };
      case 'either':
        return { anyOf: v.of.map(compile) };
      case 'platform':
        return PLATFORM;
      case 'empty':
        return { type: 'null' };
    }
  };

  const top = mapping(RECIPE);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment:
      'Generated by npm run schema from src/recipe/shape.ts: edit that, not this. The rules mab checks that no schema can (across fields) are in docs/recipes.md.',
    title: 'mab recipe',
    description:
      'A recipe for mab: what to fetch, build, keep and run, for each platform. docs/recipes.md describes every key.',
    ...top,
    definitions: Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** The schema file's text: what `npm run schema` writes and the test compares. */
export function recipeSchemaText(): string {
  return `${JSON.stringify(recipeSchema(), null, 2)}\n`;
}

function one<T>(types: readonly T[]): T | T[] {
  return types.length === 1 ? types[0]! : [...types];
}
