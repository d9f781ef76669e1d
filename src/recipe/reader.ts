/**
 * Reading YAML with positions: every error says file:line:col, what was expected and, for an
 * unknown key, the closest valid one. Shared by the recipe loader and its source readers.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type YAMLMap } from 'yaml';
import { MabError, closest } from '../errors.js';
import { formatPlatform, parsePlatform, type Platform } from '../platform/platform.js';
import { CONTROL, DOT_DOT, ONE_LINE, RULES, type Rule } from './rules.js';

/** What a value was expected to be, and, where it helps, how to write it. */
export type Expected = string | { what: string; fix?: string };
/** A pattern and, beside it, what it means; or a Rule, which carries both. */
type Check = RegExp | Rule;

export class Reader {
  private lines = new LineCounter();
  constructor(
    readonly file: string,
    readonly text: string,
    readonly code = 'E_RECIPE',
  ) {}

  parse(): Node | null {
    // Duplicate keys are found here, one set per mapping: the yaml library's own check
    // (uniqueKeys) compares every key with every other, and took 143 s for 90k keys.
    const doc = parseDocument(this.text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    const e = doc.errors[0];
    if (e) throw this.fail(e.pos[0], `invalid YAML: ${e.message.split('\n')[0]}`, 'fix the YAML syntax at that place');
    visit(doc, {
      Map: (_, map) => {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          const key = isScalar(pair.key) ? pair.key.value : pair.key;
          if (seen.has(key))
            throw this.fail(
              pair.key as Node,
              `invalid YAML: the key "${String(key)}" appears twice in this mapping`,
              'keep one of them',
            );
          seen.add(key);
        }
      },
    });
    return doc.contents;
  }

  fail(offset: number | Node | null | undefined, message: string, hint?: string): MabError {
    return new MabError(this.code, `${this.position(offset)}: ${message}`, hint);
  }

  /** file:line:col of a node or offset. */
  position(offset: number | Node | null | undefined): string {
    const pos = typeof offset === 'number' ? offset : (offset?.range?.[0] ?? 0);
    const { line, col } = this.lines.linePos(pos);
    return `${this.file}:${line}:${col}`;
  }

  map(
    node: Node | null | undefined,
    where: string,
    keys: readonly string[],
    required: readonly string[] = [],
  ): YAMLMap<unknown, unknown> {
    if (!isMap(node)) throw this.fail(node, `${where} must be a mapping`, `write ${where} as "key: value" lines`);
    const known = new Set(keys);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!known.has(key)) {
        const near = closest(key, keys);
        throw this.fail(
          pair.key as Node,
          `unknown key "${key}" in ${where}`,
          near ? `did you mean "${near}"?` : `valid keys: ${keys.join(', ')}`,
        );
      }
    }
    for (const k of required) if (!node.has(k)) throw this.fail(node, `${where} is missing "${k}"`, `add "${k}:"`);
    return node;
  }

  str(
    map: YAMLMap<unknown, unknown>,
    key: string,
    where: string,
    check?: Check,
    expected?: Expected,
  ): string | undefined {
    const node = map.get(key, true) as Node | undefined;
    if (node === undefined) return undefined;
    return this.scalar(node, `${where}.${key}`, check, expected);
  }

  scalar(node: Node, where: string, check?: Check, expected: Expected | undefined = ruleOf(check)): string {
    const re = check instanceof RegExp ? check : check?.re;
    if (!isScalar(node) || node.value === null || typeof node.value === 'object')
      throw this.fail(node, `${where} must be a string`, 'write a single value');
    // As the user wrote it: YAML reads `version: 1.0` as the number 1, and `1.10` as 1.1.
    const v = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
    const control = CONTROL.exec(v);
    if (control)
      throw this.fail(
        node,
        `${where} holds the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
        'remove it: recipe values are printable text',
      );
    // A value with a line break or tab is quoted as JSON, so the message shows where they are.
    const [what, fix] = typeof expected === 'object' ? [expected.what, expected.fix] : [expected];
    if (re && !re.test(v))
      throw this.fail(
        node,
        `${where}: ${/[\n\t]/.test(v) ? JSON.stringify(v) : `"${v}"`} is not ${what ?? `of the form ${re}`}`,
        fix,
      );
    return v;
  }

  /** A list of strings; `each` may check or change an item, and its errors point at that item. */
  list(
    map: YAMLMap<unknown, unknown>,
    key: string,
    where: string,
    check?: Check,
    expected?: Expected,
    each?: (value: string, at: Node) => string,
  ): string[] {
    const node = map.get(key, true) as Node | undefined;
    if (node === undefined) return [];
    if (!isSeq(node)) throw this.fail(node, `${where}.${key} must be a list`, `write it as [a, b] or as "- a" lines`);
    return node.items.map((item, i) => {
      const v = this.scalar(item as Node, `${where}.${key}[${i}]`, check, expected);
      return each ? each(v, item as Node) : v;
    });
  }

  /** An optional true/false key; absent means false. */
  flag(map: YAMLMap<unknown, unknown>, key: string, where: string): boolean {
    return this.str(map, key, where, RULES.flag) === 'true';
  }

  /** A mapping of free-form keys (each passing `key`) to one-line string values: env, labels. */
  stringMap(node: Node, where: string, key: Check, expected?: Expected): Record<string, string> {
    const m = this.map(
      node,
      where,
      (isMap(node) ? node.items : []).map((p) => String((p.key as { value?: unknown })?.value)),
    );
    return Object.fromEntries(
      m.items.map((pair) => {
        const k = this.scalar(pair.key as Node, `${where} key`, key, expected);
        return [k, this.scalar(pair.value as Node, `${where}.${k}`, ONE_LINE)];
      }),
    );
  }

  node(map: YAMLMap<unknown, unknown>, key: string): Node | undefined {
    return map.get(key, true) as Node | undefined;
  }
}

/** A rule says what it expects itself; a bare pattern is said as itself. */
function ruleOf(check: Check | undefined): Expected | undefined {
  return check instanceof RegExp ? undefined : check;
}

export function platformAt(r: Reader, at: Node | null | undefined, text: string): Platform {
  try {
    return parsePlatform(text);
  } catch (e) {
    throw r.fail(at, (e as MabError).message, (e as MabError).hint);
  }
}

export function checkPath(
  r: Reader,
  at: Node | undefined,
  p: string,
  why = 'paths cannot leave the image root',
): string {
  if (DOT_DOT.test(p)) throw r.fail(at, `path "${p}" contains "..": ${why}`, 'write the path without ".."');
  return p;
}

/** A mapping keyed by platform; every key must parse, and `check` may refuse it. */
export function platformKeyed(
  r: Reader,
  node: YAMLMap<unknown, unknown>,
  where: string,
  check: (canonical: string, key: Node) => void,
): [string, Node][] {
  return node.items.map((pair) => {
    const keyNode = pair.key as Node;
    const canonical = formatPlatform(platformAt(r, keyNode, r.scalar(keyNode, `${where} key`)));
    check(canonical, keyNode);
    return [canonical, pair.value as Node];
  });
}

export function seq(r: Reader, node: Node | undefined, where: string, example: string): Node[] {
  if (!isSeq(node)) throw r.fail(node, `${where} must be a list`, `write "- ${example}" entries`);
  return node.items as Node[];
}
