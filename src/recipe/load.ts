/**
 * Loads a recipe file into a Recipe, keeping YAML positions so every error says file:line:col,
 * what was expected and, for an unknown key, the closest valid one. Strings that reach RUN lines
 * (package names, paths) are checked against strict patterns: a recipe cannot inject shell there.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import semver from 'semver';
import { MabError, closest } from '../errors.js';
import { formatPlatform, parsePlatform, type Platform } from '../platform/platform.js';
import { STRATEGY_NAMES, type Recipe, type SmokeCheck, type SourceSpec, type Strategy, type StrategySupport } from './types.js';

const PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9]+)?$/; // Debian policy 5.6.1, optional :arch
const PATH_RE = /^\/[A-Za-z0-9._+@/-]*$/;
const FILE_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

class Reader {
  private lines = new LineCounter();
  constructor(readonly file: string, readonly text: string) {}

  parse(): Node | null {
    const doc = parseDocument(this.text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const e = doc.errors[0];
    if (e) throw this.fail(e.pos[0], `invalid YAML: ${e.message.split('\n')[0]}`, 'fix the YAML syntax at that place');
    return doc.contents;
  }

  fail(offset: number | Node | null | undefined, message: string, hint?: string): MabError {
    const pos = typeof offset === 'number' ? offset : (offset?.range?.[0] ?? 0);
    const { line, col } = this.lines.linePos(pos);
    return new MabError('E_RECIPE', `${this.file}:${line}:${col}: ${message}`, hint);
  }

  map(node: Node | null | undefined, where: string, keys: readonly string[], required: readonly string[] = []): YAMLMap<unknown, unknown> {
    if (!isMap(node)) throw this.fail(node, `${where} must be a mapping`, `write ${where} as "key: value" lines`);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!keys.includes(key)) {
        const near = closest(key, keys);
        throw this.fail(pair.key as Node, `unknown key "${key}" in ${where}`, near ? `did you mean "${near}"?` : `valid keys: ${keys.join(', ')}`);
      }
    }
    for (const k of required) if (!node.has(k)) throw this.fail(node, `${where} is missing "${k}"`, `add "${k}:"`);
    return node;
  }

  str(map: YAMLMap<unknown, unknown>, key: string, where: string, re?: RegExp, expected?: string): string | undefined {
    const node = map.get(key, true) as Node | undefined;
    if (node === undefined) return undefined;
    return this.scalar(node, `${where}.${key}`, re, expected);
  }

  scalar(node: Node, where: string, re?: RegExp, expected?: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') throw this.fail(node, `${where} must be a string`, 'write a single value');
    const v = String(node.value);
    if (re && !re.test(v)) throw this.fail(node, `${where}: "${v}" is not ${expected ?? `of the form ${re}`}`);
    return v;
  }

  list(map: YAMLMap<unknown, unknown>, key: string, where: string, re?: RegExp, expected?: string): string[] {
    const node = map.get(key, true) as Node | undefined;
    if (node === undefined) return [];
    if (!isSeq(node)) throw this.fail(node, `${where}.${key} must be a list`, `write it as [a, b] or as "- a" lines`);
    return node.items.map((item, i) => this.scalar(item as Node, `${where}.${key}[${i}]`, re, expected));
  }

  node(map: YAMLMap<unknown, unknown>, key: string): Node | undefined {
    return map.get(key, true) as Node | undefined;
  }
}

const TOP_KEYS = ['name', 'version', 'description', 'homepage', 'license', 'platforms', 'unsupported', 'sources', 'files', 'strategies', 'build', 'runtime', 'entrypoint', 'cmd', 'env', 'workdir', 'user', 'ports', 'smoke'] as const;
const REL_PATH_RE = /^[A-Za-z0-9._+@-][A-Za-z0-9._+@/-]*$/;
const USER_RE = /^([a-z_][a-z0-9_-]*|\d+)(:([a-z_][a-z0-9_-]*|\d+))?$/;
const DEFAULT_STRATEGIES: Partial<Record<Strategy, StrategySupport>> = { single: { keep: [] }, multistage: { keep: [] } };

export async function loadRecipeFile(file: string): Promise<Recipe> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new MabError('E_RECIPE_READ', `cannot read recipe ${file}: ${(e as Error).message}`);
  }
  return parseRecipe(file, text);
}

export function parseRecipe(file: string, text: string): Recipe {
  const r = new Reader(file, text);
  const top = r.map(r.parse(), 'the recipe', TOP_KEYS, ['name', 'version', 'platforms', 'entrypoint']);
  const name = r.str(top, 'name', 'recipe', NAME_RE, 'a lowercase name (letters, digits, . _ -)')!;
  const version = r.str(top, 'version', 'recipe')!;
  if (!semver.valid(version)) throw r.fail(r.node(top, 'version'), `version "${version}" is not semantic versioning`, 'write MAJOR.MINOR.PATCH, e.g. 1.0.20');

  const platformsNode = r.node(top, 'platforms');
  const platforms: Platform[] = r.list(top, 'platforms', 'recipe').map((p, i) => {
    try {
      return parsePlatform(p);
    } catch (e) {
      throw r.fail(isSeq(platformsNode) ? (platformsNode.items[i] as Node) : platformsNode, (e as MabError).message, (e as MabError).hint);
    }
  });
  if (platforms.length === 0) throw r.fail(platformsNode, 'platforms is empty', 'list at least one, e.g. [linux/amd64, linux/arm64]');
  const platformNames = platforms.map(formatPlatform);

  const build = r.node(top, 'build') ? r.map(r.node(top, 'build'), 'build', ['packages', 'steps']) : undefined;
  const runtime = r.node(top, 'runtime') ? r.map(r.node(top, 'runtime'), 'runtime', ['packages', 'keep'], ['keep']) : undefined;
  const pkg = 'a Debian package name (lowercase letters, digits, + . -)';
  const envNode = r.node(top, 'env');
  const env: Record<string, string> = {};
  if (envNode) {
    const m = r.map(envNode, 'env', (isMap(envNode) ? envNode.items : []).map((p) => String((p.key as { value?: unknown })?.value)));
    for (const pair of m.items) {
      const key = r.scalar(pair.key as Node, 'env key', ENV_KEY_RE, 'an environment variable name');
      env[key] = r.scalar(pair.value as Node, `env.${key}`);
    }
  }

  const files = r.list(top, 'files', 'recipe', REL_PATH_RE, 'a path relative to the recipe\'s directory').map((p) => checkPath(r, r.node(top, 'files'), p, 'files must stay inside the recipe\'s directory'));
  const ports = r.list(top, 'ports', 'recipe', /^\d{1,5}(\/(tcp|udp))?$/, 'a port number, optionally /tcp or /udp').map((p) => (p.includes('/') ? p : `${p}/tcp`));
  return {
    file,
    name,
    version,
    description: r.str(top, 'description', 'recipe'),
    homepage: r.str(top, 'homepage', 'recipe'),
    license: r.str(top, 'license', 'recipe'),
    platforms,
    unsupported: readUnsupported(r, r.node(top, 'unsupported'), platformNames),
    sources: readSources(r, r.node(top, 'sources'), platformNames),
    files,
    strategies: readStrategies(r, r.node(top, 'strategies')),
    build: { packages: build ? r.list(build, 'packages', 'build', PACKAGE_RE, pkg) : [], steps: build ? r.list(build, 'steps', 'build') : [] },
    runtime: {
      packages: runtime ? r.list(runtime, 'packages', 'runtime', PACKAGE_RE, pkg) : [],
      keep: runtime ? r.list(runtime, 'keep', 'runtime', PATH_RE, 'an absolute path without spaces or shell characters').map((p) => checkPath(r, runtime, p)) : [],
    },
    entrypoint: r.list(top, 'entrypoint', 'recipe'),
    cmd: r.list(top, 'cmd', 'recipe'),
    env,
    workdir: r.str(top, 'workdir', 'recipe', PATH_RE, 'an absolute path'),
    user: r.str(top, 'user', 'recipe', USER_RE, 'a user name or uid, optionally :group'),
    ports,
    smoke: readSmoke(r, r.node(top, 'smoke')),
  };
}

function checkPath(r: Reader, at: Node | undefined, p: string, why = 'paths cannot leave the image root'): string {
  if (p.split('/').includes('..')) throw r.fail(at, `path "${p}" contains "..": ${why}`, 'write the path without ".."');
  return p;
}

function readUnsupported(r: Reader, node: Node | undefined, supported: string[]): Record<string, string> {
  if (node === undefined) return {};
  if (!isMap(node)) throw r.fail(node, 'unsupported must be a mapping of platform to reason', 'e.g. unsupported: { linux/arm64: "upstream ships amd64 packages only" }');
  const out: Record<string, string> = {};
  for (const pair of node.items) {
    const key = r.scalar(pair.key as Node, 'unsupported key');
    let canonical: string;
    try {
      canonical = formatPlatform(parsePlatform(key));
    } catch (e) {
      throw r.fail(pair.key as Node, (e as MabError).message, (e as MabError).hint);
    }
    if (supported.includes(canonical)) throw r.fail(pair.key as Node, `${canonical} is both in platforms and in unsupported`, 'keep it in one of the two');
    out[canonical] = r.scalar(pair.value as Node, `unsupported.${key}`);
  }
  return out;
}

function readStrategies(r: Reader, node: Node | undefined): Partial<Record<Strategy, StrategySupport>> {
  if (node === undefined) return structuredClone(DEFAULT_STRATEGIES);
  const m = r.map(node, 'strategies', STRATEGY_NAMES);
  const out: Partial<Record<Strategy, StrategySupport>> = {};
  for (const pair of m.items) {
    const name = String((pair.key as { value: unknown }).value) as Strategy;
    const value = pair.value as Node | null;
    if (isScalar(value) && typeof value.value === 'string') {
      out[name] = { unsupported: value.value };
      continue;
    }
    if (value === null || (isScalar(value) && value.value === null)) {
      out[name] = { keep: [] };
      continue;
    }
    const s = r.map(value, `strategies.${name}`, ['keep']);
    out[name] = { keep: r.list(s, 'keep', `strategies.${name}`, PATH_RE, 'an absolute path without spaces or shell characters').map((p) => checkPath(r, s, p)) };
  }
  if (!Object.values(out).some((v) => 'keep' in v)) throw r.fail(node, 'strategies lists no supported strategy', `give at least one of ${STRATEGY_NAMES.join(', ')} a mapping (or leave it empty: "multistage:")`);
  return out;
}

function readSources(r: Reader, node: Node | undefined, platforms: string[]): SourceSpec[] {
  if (node === undefined) return [];
  if (!isSeq(node)) throw r.fail(node, 'sources must be a list', 'write "- file: …" entries');
  return node.items.map((item, i) => {
    const where = `sources[${i}]`;
    const m = r.map(item as Node, where, ['file', 'url', 'sha256'], ['file', 'url', 'sha256']);
    const file = r.str(m, 'file', where, FILE_RE, 'a plain file name (no "/" or "..")')!;
    const url = r.str(m, 'url', where, /^(https?|file):\/\/\S+$/, 'an http(s):// or file:// URL')!;
    const shaNode = r.node(m, 'sha256')!;
    const hex = /^[a-f0-9]{64}$/;
    let sha256: SourceSpec['sha256'];
    if (isMap(shaNode)) {
      sha256 = {};
      for (const pair of shaNode.items) {
        const key = r.scalar(pair.key as Node, `${where}.sha256 key`);
        let canonical: string;
        try {
          canonical = formatPlatform(parsePlatform(key));
        } catch (e) {
          throw r.fail(pair.key as Node, (e as MabError).message, (e as MabError).hint);
        }
        sha256[canonical] = r.scalar(pair.value as Node, `${where}.sha256.${key}`, hex, '64 lowercase hex digits');
      }
      const missing = platforms.filter((p) => !(p in (sha256 as Record<string, string>)));
      if (missing.length) throw r.fail(shaNode, `${where}.sha256 has no checksum for ${missing.join(', ')}`, 'add one per platform the recipe supports');
    } else {
      sha256 = r.scalar(shaNode, `${where}.sha256`, hex, '64 lowercase hex digits');
    }
    return { file, url, sha256 };
  });
}

function readSmoke(r: Reader, node: Node | undefined): SmokeCheck[] {
  if (node === undefined) return [];
  if (!isSeq(node)) throw r.fail(node, 'smoke must be a list', 'write "- name: …" entries with run and expect');
  return node.items.map((item, i) => {
    const where = `smoke[${i}]`;
    const m = r.map(item as Node, where, ['name', 'run', 'http', 'expect'], ['expect']);
    if (m.has('run') === m.has('http')) throw r.fail(m, `${where} needs exactly one of run (a command) or http (a port and path to GET)`, 'e.g. run: [app, --version] or http: { port: 8080, path: / }');
    const expect = r.str(m, 'expect', where)!;
    try {
      new RegExp(expect);
    } catch (e) {
      throw r.fail(r.node(m, 'expect'), `${where}.expect is not a valid regular expression: ${(e as Error).message}`);
    }
    if (m.has('http')) {
      const h = r.map(r.node(m, 'http'), `${where}.http`, ['port', 'path'], ['port']);
      const port = Number(r.str(h, 'port', `${where}.http`, /^\d{1,5}$/, 'a TCP port number'));
      const path = r.str(h, 'path', `${where}.http`, /^\/\S*$/, 'a URL path starting with /') ?? '/';
      return { name: r.str(m, 'name', where) ?? `GET :${port}${path}`, http: { port, path }, expect };
    }
    const run = r.list(m, 'run', where);
    if (run.length === 0) throw r.fail(m, `${where}.run is empty`, 'give the command as a list, e.g. [sysbench, --version]');
    return { name: r.str(m, 'name', where) ?? run.join(' '), run, expect };
  });
}
