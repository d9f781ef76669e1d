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
import { STRATEGY_NAMES, type ArtifactSpec, type PlatformParts, type Recipe, type SmokeCheck, type SourceSpec, type Strategy, type StrategySupport, type Unpack } from './types.js';

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

/** Keys a per-platform override may set; each replaces the recipe's value for that platform. */
const PART_KEYS = ['sources', 'artifacts', 'build', 'runtime', 'entrypoint', 'cmd', 'env', 'smoke'] as const;
const TOP_KEYS = ['name', 'version', 'description', 'homepage', 'license', 'platforms', 'unsupported', 'overrides', 'files', 'strategies', 'workdir', 'user', 'ports', ...PART_KEYS] as const;
const REL_PATH_RE = /^[A-Za-z0-9._+@-][A-Za-z0-9._+@/-]*$/;
const USER_RE = /^([a-z_][a-z0-9_-]*|\d+)(:([a-z_][a-z0-9_-]*|\d+))?$/;
const SHA256_RE = /^[a-f0-9]{64}$/;
const PKG = 'a Debian package name (lowercase letters, digits, + . -)';
const ABS = 'an absolute path without spaces or shell characters';
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
  const platforms: Platform[] = r.list(top, 'platforms', 'recipe').map((p, i) => platformAt(r, isSeq(platformsNode) ? (platformsNode.items[i] as Node) : platformsNode, p));
  if (platforms.length === 0) throw r.fail(platformsNode, 'platforms is empty', 'list at least one, e.g. [linux/amd64, linux/arm64]');
  const platformNames = platforms.map(formatPlatform);

  const files = r.list(top, 'files', 'recipe', REL_PATH_RE, 'a path relative to the recipe\'s directory').map((p) => checkPath(r, r.node(top, 'files'), p, 'files must stay inside the recipe\'s directory'));
  const ports = r.list(top, 'ports', 'recipe', /^\d{1,5}(\/(tcp|udp))?$/, 'a port number, optionally /tcp or /udp').map((p) => (p.includes('/') ? p : `${p}/tcp`));
  const parts = readParts(r, top, '', platformNames);
  return {
    file,
    name,
    version,
    description: r.str(top, 'description', 'recipe'),
    homepage: r.str(top, 'homepage', 'recipe'),
    license: r.str(top, 'license', 'recipe'),
    platforms,
    unsupported: readUnsupported(r, r.node(top, 'unsupported'), platformNames),
    overrides: readOverrides(r, r.node(top, 'overrides'), platformNames),
    sources: parts.sources ?? [],
    artifacts: parts.artifacts ?? [],
    files,
    strategies: readStrategies(r, r.node(top, 'strategies')),
    build: parts.build ?? { packages: [], steps: [] },
    runtime: parts.runtime ?? { packages: [], keep: [] },
    entrypoint: parts.entrypoint ?? [],
    cmd: parts.cmd ?? [],
    env: parts.env ?? {},
    workdir: r.str(top, 'workdir', 'recipe', PATH_RE, 'an absolute path'),
    user: r.str(top, 'user', 'recipe', USER_RE, 'a user name or uid, optionally :group'),
    ports,
    smoke: parts.smoke ?? [],
  };
}

function platformAt(r: Reader, at: Node | null | undefined, text: string): Platform {
  try {
    return parsePlatform(text);
  } catch (e) {
    throw r.fail(at, (e as MabError).message, (e as MabError).hint);
  }
}

/** The parts present in `m` (the recipe itself, or one override), read with the same rules. */
function readParts(r: Reader, m: YAMLMap<unknown, unknown>, prefix: string, platforms: string[]): Partial<PlatformParts> {
  const out: Partial<PlatformParts> = {};
  const at = (k: string) => `${prefix}${k}`;
  if (m.has('build')) {
    const b = r.map(r.node(m, 'build'), at('build'), ['packages', 'steps']);
    out.build = { packages: r.list(b, 'packages', at('build'), PACKAGE_RE, PKG), steps: r.list(b, 'steps', at('build')) };
  }
  if (m.has('runtime')) {
    const rt = r.map(r.node(m, 'runtime'), at('runtime'), ['packages', 'keep'], ['keep']);
    out.runtime = {
      packages: r.list(rt, 'packages', at('runtime'), PACKAGE_RE, PKG),
      keep: r.list(rt, 'keep', at('runtime'), PATH_RE, ABS).map((p) => checkPath(r, rt, p)),
    };
  }
  if (m.has('env')) out.env = readEnv(r, r.node(m, 'env')!, at('env'));
  if (m.has('entrypoint')) out.entrypoint = r.list(m, 'entrypoint', prefix ? prefix.slice(0, -1) : 'recipe');
  if (m.has('cmd')) out.cmd = r.list(m, 'cmd', prefix ? prefix.slice(0, -1) : 'recipe');
  if (m.has('sources')) out.sources = readSources(r, r.node(m, 'sources'), at('sources'), platforms);
  if (m.has('artifacts')) out.artifacts = readArtifacts(r, r.node(m, 'artifacts'), at('artifacts'), platforms);
  if (m.has('smoke')) out.smoke = readSmoke(r, r.node(m, 'smoke'), at('smoke'));
  return out;
}

function readEnv(r: Reader, node: Node, where: string): Record<string, string> {
  const m = r.map(node, where, (isMap(node) ? node.items : []).map((p) => String((p.key as { value?: unknown })?.value)));
  const env: Record<string, string> = {};
  for (const pair of m.items) {
    const key = r.scalar(pair.key as Node, `${where} key`, ENV_KEY_RE, 'an environment variable name');
    env[key] = r.scalar(pair.value as Node, `${where}.${key}`);
  }
  return env;
}

function checkPath(r: Reader, at: Node | undefined, p: string, why = 'paths cannot leave the image root'): string {
  if (p.split('/').includes('..')) throw r.fail(at, `path "${p}" contains "..": ${why}`, 'write the path without ".."');
  return p;
}

/** A mapping keyed by platform; every key must parse, and `check` may refuse it. */
function platformKeyed(r: Reader, node: YAMLMap<unknown, unknown>, where: string, check: (canonical: string, key: Node) => void): [string, Node][] {
  return node.items.map((pair) => {
    const keyNode = pair.key as Node;
    const canonical = formatPlatform(platformAt(r, keyNode, r.scalar(keyNode, `${where} key`)));
    check(canonical, keyNode);
    return [canonical, pair.value as Node];
  });
}

function readUnsupported(r: Reader, node: Node | undefined, supported: string[]): Record<string, string> {
  if (node === undefined) return {};
  if (!isMap(node)) throw r.fail(node, 'unsupported must be a mapping of platform to reason', 'e.g. unsupported: { linux/arm64: "upstream ships amd64 packages only" }');
  const entries = platformKeyed(r, node, 'unsupported', (p, key) => {
    if (supported.includes(p)) throw r.fail(key, `${p} is both in platforms and in unsupported`, 'keep it in one of the two');
  });
  return Object.fromEntries(entries.map(([p, v]) => [p, r.scalar(v, `unsupported.${p}`)]));
}

function readOverrides(r: Reader, node: Node | undefined, supported: string[]): Record<string, Partial<PlatformParts>> {
  if (node === undefined) return {};
  if (!isMap(node)) throw r.fail(node, 'overrides must be a mapping of platform to recipe parts', 'e.g. overrides: { linux/arm/v7: { runtime: { packages: [...], keep: [...] } } }');
  const entries = platformKeyed(r, node, 'overrides', (p, key) => {
    if (!supported.includes(p)) throw r.fail(key, `overrides.${p}: ${p} is not in platforms`, `override one of ${supported.join(', ')}`);
  });
  return Object.fromEntries(entries.map(([p, v]) => [p, readParts(r, r.map(v, `overrides.${p}`, PART_KEYS), `overrides.${p}.`, supported)]));
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
    if (name === 'cross' && (value === null || (isScalar(value) && value.value === null))) {
      throw r.fail(pair.key as Node, 'strategies.cross needs its own build: steps (they run on the build platform)', 'e.g. cross: { toolchain: true, steps: [$CC -O2 -o /usr/local/bin/app app.c] }');
    }
    if (value === null || (isScalar(value) && value.value === null)) {
      out[name] = { keep: [] };
      continue;
    }
    const w = `strategies.${name}`;
    const s = r.map(value, w, name === 'cross' ? ['keep', 'packages', 'tools', 'toolchain', 'steps'] : ['keep'], name === 'cross' ? ['steps'] : []);
    const keep = r.list(s, 'keep', w, PATH_RE, ABS).map((p) => checkPath(r, s, p));
    out[name] = name !== 'cross' ? { keep } : {
      keep,
      cross: {
        packages: r.list(s, 'packages', w, PACKAGE_RE, PKG),
        tools: r.list(s, 'tools', w, PACKAGE_RE, PKG),
        toolchain: r.str(s, 'toolchain', w, /^(true|false)$/, 'true or false') === 'true',
        steps: r.list(s, 'steps', w),
      },
    };
  }
  if (!Object.values(out).some((v) => 'keep' in v)) throw r.fail(node, 'strategies lists no supported strategy', `give at least one of ${STRATEGY_NAMES.join(', ')} a mapping (or leave it empty: "multistage:")`);
  return out;
}

/** One sha256, or a mapping of platform to sha256 that covers every platform. */
function readSha(r: Reader, node: Node, where: string, platforms: string[]): string | Record<string, string> {
  if (!isMap(node)) return r.scalar(node, where, SHA256_RE, '64 lowercase hex digits');
  const entries = platformKeyed(r, node, where, () => undefined);
  const sha = Object.fromEntries(entries.map(([p, v]) => [p, r.scalar(v, `${where}.${p}`, SHA256_RE, '64 lowercase hex digits')]));
  const missing = platforms.filter((p) => !(p in sha));
  if (missing.length) throw r.fail(node, `${where} has no checksum for ${missing.join(', ')}`, 'add one per platform the recipe supports');
  return sha;
}

const URL_RE = /^(https?|file):\/\/\S+$/;
const UNPACK = ['gzip', 'bzip2', 'xz'] as const;

function readUnpack(r: Reader, m: YAMLMap<unknown, unknown>, where: string): Unpack | undefined {
  return r.str(m, 'unpack', where, new RegExp(`^(${UNPACK.join('|')})$`), `one of ${UNPACK.join(', ')}`) as Unpack | undefined;
}

function seq(r: Reader, node: Node | undefined, where: string, example: string): Node[] {
  if (!isSeq(node)) throw r.fail(node, `${where} must be a list`, `write "- ${example}" entries`);
  return node.items as Node[];
}

const SOURCE_KINDS = ['url', 'git', 'debian'] as const;

function readSources(r: Reader, node: Node | undefined, where: string, platforms: string[]): SourceSpec[] {
  const names = new Set<string>();
  return seq(r, node, where, 'file: …').map((item, i) => {
    const w = `${where}[${i}]`;
    const m = r.map(item, w, ['file', 'url', 'sha256', 'unpack', 'git', 'commit', 'debian', 'archive', 'component']);
    const kinds = SOURCE_KINDS.filter((k) => m.has(k));
    if (kinds.length !== 1) throw r.fail(m, `${w} needs exactly one of url (a file), git (a repository at a commit) or debian (a source package)`, 'e.g. url: https://…/app-1.0.tar.gz with sha256:, or git: https://…/app.git with commit:, or debian: dlib=19.24+dfsg-1 with sha256: of its .dsc');
    const kind = kinds[0]!;
    const allowed: Record<typeof kind, string[]> = { url: ['file', 'url', 'sha256', 'unpack'], git: ['file', 'git', 'commit'], debian: ['file', 'debian', 'sha256', 'archive', 'component'] };
    for (const pair of m.items) {
      const key = String((pair.key as { value: unknown }).value);
      if (!allowed[kind].includes(key)) throw r.fail(pair.key as Node, `${w}: "${key}" does not apply to a ${kind} source`, `a ${kind} source takes ${allowed[kind].join(', ')}`);
    }
    const file = r.str(m, 'file', w, FILE_RE, 'a plain file name (no "/" or "..")');
    let spec: SourceSpec;
    if (kind === 'url') {
      for (const k of ['file', 'sha256']) if (!m.has(k)) throw r.fail(m, `${w} is missing "${k}"`, `add "${k}:"`);
      spec = { kind, file: file!, url: r.str(m, 'url', w, URL_RE, 'an http(s):// or file:// URL')!, sha256: readSha(r, r.node(m, 'sha256')!, `${w}.sha256`, platforms) };
      const unpack = readUnpack(r, m, w);
      if (unpack) spec.unpack = unpack;
    } else if (kind === 'git') {
      for (const k of ['file', 'commit']) if (!m.has(k)) throw r.fail(m, `${w} is missing "${k}"`, k === 'commit' ? 'pin the full commit id (40 hex digits); a branch or tag can move' : 'name the directory the tree goes to');
      const url = r.str(m, 'git', w, /^(https?|ssh|git|file):\/\/\S+$/, 'a repository URL (https://, ssh://, git://, file://)')!;
      spec = { kind, file: file!, url, commit: r.str(m, 'commit', w, /^([a-f0-9]{40}|[a-f0-9]{64})$/, 'a full commit id (40 lowercase hex digits); a branch or tag can move')! };
    } else {
      const [pkg, version] = r.str(m, 'debian', w, /^[a-z0-9][a-z0-9+.-]+=(\d+:)?[A-Za-z0-9.+~-]+$/, 'PACKAGE=VERSION, e.g. dlib=19.24+dfsg-1')!.split('=') as [string, string];
      if (!m.has('sha256')) throw r.fail(m, `${w} is missing "sha256"`, 'pin the sha256 of the package\'s .dsc file; the .dsc pins the other files');
      spec = {
        kind, file: file ?? pkg, package: pkg, version,
        archive: r.str(m, 'archive', w, URL_RE, 'an http(s):// or file:// URL of a Debian archive') ?? 'http://deb.debian.org/debian',
        component: r.str(m, 'component', w, /^(main|contrib|non-free|non-free-firmware)$/, 'main, contrib, non-free or non-free-firmware') ?? 'main',
        sha256: r.scalar(r.node(m, 'sha256')!, `${w}.sha256`, SHA256_RE, '64 lowercase hex digits'),
      };
    }
    if (names.has(spec.file)) throw r.fail(m, `${w}: two sources are named "${spec.file}"`, 'give each its own file name');
    names.add(spec.file);
    return spec;
  });
}

function readArtifacts(r: Reader, node: Node | undefined, where: string, platforms: string[]): ArtifactSpec[] {
  return seq(r, node, where, 'file: …, url: …, sha256: …, path: /…').map((item, i) => {
    const w = `${where}[${i}]`;
    const m = r.map(item, w, ['file', 'url', 'sha256', 'unpack', 'path'], ['file', 'url', 'sha256', 'path']);
    const a: ArtifactSpec = {
      file: r.str(m, 'file', w, FILE_RE, 'a plain file name (no "/" or "..")')!,
      url: r.str(m, 'url', w, URL_RE, 'an http(s):// or file:// URL')!,
      sha256: readSha(r, r.node(m, 'sha256')!, `${w}.sha256`, platforms),
      path: checkPath(r, r.node(m, 'path'), r.str(m, 'path', w, PATH_RE, `${ABS}, where the file goes in the image`)!),
    };
    const unpack = readUnpack(r, m, w);
    if (unpack) a.unpack = unpack;
    return a;
  });
}

function readSmoke(r: Reader, node: Node | undefined, at: string): SmokeCheck[] {
  return seq(r, node, at, 'name: …" entries with run and expect; e.g. "- name: version').map((item, i) => {
    const where = `${at}[${i}]`;
    const m = r.map(item as Node, where, ['name', 'run', 'http', 'expect', 'slow'], ['expect']);
    const slow = r.str(m, 'slow', where, /^(true|false)$/, 'true or false') === 'true' ? { slow: true } : {};
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
      return { name: r.str(m, 'name', where) ?? `GET :${port}${path}`, http: { port, path }, expect, ...slow };
    }
    const run = r.list(m, 'run', where);
    if (run.length === 0) throw r.fail(m, `${where}.run is empty`, 'give the command as a list, e.g. [sysbench, --version]');
    return { name: r.str(m, 'name', where) ?? run.join(' '), run, expect, ...slow };
  });
}
