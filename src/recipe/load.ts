/**
 * Loads a recipe file into a Recipe, keeping YAML positions so every error says file:line:col,
 * what was expected and, for an unknown key, the closest valid one. Strings that reach RUN lines
 * (package names, paths) are checked against strict patterns: a recipe cannot inject shell there.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import semver from 'semver';
import { parseSize } from '../util/size.js';
import { MabError } from '../errors.js';
import { formatPlatform, type Platform } from '../platform/platform.js';
import { readArtifacts, readSources } from './load-sources.js';
import { Reader, checkPath, platformAt, platformKeyed, seq } from './reader.js';
import { ROOT, RULES } from './rules.js';
import {
  BUILD,
  CROSS,
  HEALTHCHECK,
  HTTP_PROBE,
  OVERRIDE,
  RECIPE,
  RUNTIME,
  SMOKE_CHECK,
  STRATEGIES,
  STRATEGY,
  keysOf,
  ruleOf,
} from './shape.js';
import {
  STRATEGY_SECTIONS,
  type Healthcheck,
  type PlatformParts,
  type Recipe,
  type SmokeCheck,
  type StrategySection,
  type StrategySupport,
} from './types.js';

export const TOP_KEYS = keysOf(RECIPE);
const DEFAULT_STRATEGIES: Partial<Record<StrategySection, StrategySupport>> = {
  single: { keep: [] },
  multistage: { keep: [] },
};

/** Per recipe being read: where each Debian package name is written, for the package preflight. */
const packagePlaces = new WeakMap<Reader, Record<string, string[]>>();

function packageList(r: Reader, m: YAMLMap<unknown, unknown>, key: string, where: string): string[] {
  const places = packagePlaces.get(r) ?? {};
  packagePlaces.set(r, places);
  return r.list(m, key, where, RULES.package, undefined, (name, node) => {
    (places[name.split(':')[0]!] ??= []).push(r.position(node));
    return name;
  });
}

/** Far above any real recipe (the largest shipped is under 5 KB), far below what could hurt. */
export const MAX_RECIPE_BYTES = 1024 * 1024;

export async function loadRecipeFile(file: string): Promise<Recipe> {
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_RECIPE_BYTES)
      throw new MabError(
        'E_RECIPE_SIZE',
        `recipe ${file} is ${size} bytes; a recipe may be at most ${MAX_RECIPE_BYTES}`,
        'large data belongs in sources or artifacts (fetched by URL and checksum), not in the recipe',
      );
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof MabError) throw e;
    throw new MabError('E_RECIPE_READ', `cannot read recipe ${file}: ${(e as Error).message}`);
  }
  // A listed file that is not there is said now, at its line, not when a build context is made.
  return parseRecipe(file, text, (name, f) => existsSync(path.join(path.dirname(file), name, f)));
}

/** `hasFile(name, f)`, when given, says whether the recipe's directory (beside the file, named NAME) holds f. */
export function parseRecipe(file: string, text: string, hasFile?: (name: string, f: string) => boolean): Recipe {
  const r = new Reader(file, text);
  const top = r.map(r.parse(), 'the recipe', TOP_KEYS, RECIPE.required);
  const rule = (key: string) => ruleOf(RECIPE, key);
  const name = r.str(top, 'name', 'recipe', rule('name'))!;
  const version = r.str(top, 'version', 'recipe')!;
  if (!semver.valid(version))
    throw r.fail(r.node(top, 'version'), `version "${version}" is not ${RULES.version.what}`, RULES.version.fix);

  const platformsNode = r.node(top, 'platforms');
  const platforms: Platform[] = r
    .list(top, 'platforms', 'recipe')
    .map((p, i) => platformAt(r, isSeq(platformsNode) ? (platformsNode.items[i] as Node) : platformsNode, p));
  if (platforms.length === 0)
    throw r.fail(platformsNode, 'platforms is empty', 'list at least one, e.g. [linux/amd64, linux/arm64]');
  const platformNames = platforms.map(formatPlatform);

  const files = r.list(top, 'files', 'recipe', rule('files'), undefined, (p, at) =>
    checkPath(r, at, p, "files must stay inside the recipe's directory"),
  );
  const filesNode = r.node(top, 'files');
  files.forEach((f, i) => {
    if (hasFile && !hasFile(name, f))
      throw r.fail(
        isSeq(filesNode) ? (filesNode.items[i] as Node) : filesNode,
        `recipe.files[${i}]: "${f}" is not in ${path.join(path.dirname(file), name)}`,
        `put it there (a recipe's files live in a directory named after it, beside ${path.basename(file)}), or drop it from files:`,
      );
  });
  const ports = r.list(top, 'ports', 'recipe', rule('ports')).map((p) => (p.includes('/') ? p : `${p}/tcp`));
  const parts = readParts(r, top, '', platformNames);
  return {
    file,
    name,
    version,
    description: r.str(top, 'description', 'recipe', rule('description')),
    homepage: r.str(top, 'homepage', 'recipe', rule('homepage')),
    license: r.str(top, 'license', 'recipe', rule('license')),
    platforms,
    unsupported: readUnsupported(r, r.node(top, 'unsupported'), platformNames),
    overrides: readOverrides(r, r.node(top, 'overrides'), platformNames),
    sources: parts.sources ?? [],
    artifacts: parts.artifacts ?? [],
    files,
    strategies: readStrategies(r, r.node(top, 'strategies')),
    build: parts.build ?? { packages: [], steps: [], caches: [] },
    runtime: parts.runtime ?? { packages: [], keep: [] },
    entrypoint: parts.entrypoint ?? [],
    cmd: parts.cmd ?? [],
    env: parts.env ?? {},
    workdir: r.str(top, 'workdir', 'recipe', rule('workdir')),
    user: r.str(top, 'user', 'recipe', rule('user')),
    ports,
    labels: top.has('labels') ? r.stringMap(r.node(top, 'labels')!, 'labels', RULES.labelKey) : {},
    ...(top.has('healthcheck') ? { healthcheck: readHealthcheck(r, r.node(top, 'healthcheck')) } : {}),
    maxSize: readMaxSize(r, r.node(top, 'max_size'), platformNames),
    secrets: r.list(top, 'secrets', 'recipe', rule('secrets')),
    smoke: parts.smoke ?? [],
    packageAt: packagePlaces.get(r) ?? {},
  };
}

/** Build secret ids, as `--secret id=ID` must give them too. */
export const SECRET_ID_RE = RULES.secretId.re;

function readHealthcheck(r: Reader, node: Node | undefined): Healthcheck {
  const m = r.map(node, 'healthcheck', keysOf(HEALTHCHECK), HEALTHCHECK.required);
  const run = r.list(m, 'run', 'healthcheck');
  if (run.length === 0)
    throw r.fail(m, 'healthcheck.run is empty', 'give the command as a list, e.g. [/usr/local/bin/app, --check]');
  const hc: Healthcheck = { run };
  const str = (key: string) => r.str(m, key, 'healthcheck', ruleOf(HEALTHCHECK, key));
  const [interval, timeout, retries] = [str('interval'), str('timeout'), str('retries')];
  if (interval) hc.interval = interval;
  if (timeout) hc.timeout = timeout;
  if (retries) hc.retries = Number(retries);
  return hc;
}

/** The parts present in `m` (the recipe itself, or one override), read with the same rules. */
function readParts(
  r: Reader,
  m: YAMLMap<unknown, unknown>,
  prefix: string,
  platforms: string[],
): Partial<PlatformParts> {
  const out: Partial<PlatformParts> = {};
  const at = (k: string) => `${prefix}${k}`;
  if (m.has('build')) {
    const b = r.map(r.node(m, 'build'), at('build'), keysOf(BUILD), BUILD.required);
    out.build = {
      packages: packageList(r, b, 'packages', at('build')),
      steps: r.list(b, 'steps', at('build'), ruleOf(BUILD, 'steps')),
      caches: r.list(b, 'caches', at('build'), ruleOf(BUILD, 'caches'), undefined, (p, item) => {
        if (ROOT.test(p))
          throw r.fail(
            item,
            'build.caches cannot be "/": it would hide the whole build stage',
            'name the cache directory itself, e.g. /root/.cache/go-build',
          );
        return checkPath(r, item, p);
      }),
    };
  }
  if (m.has('runtime')) {
    const rt = r.map(r.node(m, 'runtime'), at('runtime'), keysOf(RUNTIME), RUNTIME.required);
    out.runtime = {
      packages: packageList(r, rt, 'packages', at('runtime')),
      keep: r.list(rt, 'keep', at('runtime'), ruleOf(RUNTIME, 'keep'), undefined, (p, item) => checkPath(r, item, p)),
    };
  }
  if (m.has('env')) out.env = r.stringMap(r.node(m, 'env')!, at('env'), RULES.envKey);
  if (m.has('entrypoint')) out.entrypoint = r.list(m, 'entrypoint', prefix ? prefix.slice(0, -1) : 'recipe');
  if (m.has('cmd')) out.cmd = r.list(m, 'cmd', prefix ? prefix.slice(0, -1) : 'recipe');
  if (m.has('sources')) out.sources = readSources(r, r.node(m, 'sources'), at('sources'), platforms);
  if (m.has('artifacts')) out.artifacts = readArtifacts(r, r.node(m, 'artifacts'), at('artifacts'), platforms);
  if (m.has('smoke')) out.smoke = readSmoke(r, r.node(m, 'smoke'), at('smoke'));
  return out;
}

function readUnsupported(r: Reader, node: Node | undefined, supported: string[]): Record<string, string> {
  if (node === undefined) return {};
  if (!isMap(node))
    throw r.fail(
      node,
      'unsupported must be a mapping of platform to reason',
      'e.g. unsupported: { linux/arm64: "upstream ships amd64 packages only" }',
    );
  const entries = platformKeyed(r, node, 'unsupported', (p, key) => {
    if (supported.includes(p))
      throw r.fail(key, `${p} is both in platforms and in unsupported`, 'keep it in one of the two');
  });
  return Object.fromEntries(entries.map(([p, v]) => [p, r.scalar(v, `unsupported.${p}`)]));
}

/** Download-size budgets for `mab report`: one size for every platform, or one per platform. */
function readMaxSize(r: Reader, node: Node | undefined, supported: string[]): Record<string, number> {
  if (node === undefined) return {};
  const size = (n: Node, what: string) => {
    try {
      return parseSize(r.scalar(n, what), what);
    } catch (e) {
      throw r.fail(n, (e as MabError).message, (e as MabError).hint);
    }
  };
  if (!isMap(node)) return { '*': size(node, 'max_size') };
  const entries = platformKeyed(r, node, 'max_size', (p, key) => {
    if (!supported.includes(p))
      throw r.fail(key, `max_size.${p}: ${p} is not in platforms`, `give a budget for one of ${supported.join(', ')}`);
  });
  return Object.fromEntries(entries.map(([p, v]) => [p, size(v, `max_size.${p}`)]));
}

function readOverrides(r: Reader, node: Node | undefined, supported: string[]): Record<string, Partial<PlatformParts>> {
  if (node === undefined) return {};
  if (!isMap(node))
    throw r.fail(
      node,
      'overrides must be a mapping of platform to recipe parts',
      'e.g. overrides: { linux/arm/v7: { runtime: { packages: [...], keep: [...] } } }',
    );
  const entries = platformKeyed(r, node, 'overrides', (p, key) => {
    if (!supported.includes(p))
      throw r.fail(key, `overrides.${p}: ${p} is not in platforms`, `override one of ${supported.join(', ')}`);
  });
  return Object.fromEntries(
    entries.map(([p, v]) => [
      p,
      readParts(r, r.map(v, `overrides.${p}`, keysOf(OVERRIDE)), `overrides.${p}.`, supported),
    ]),
  );
}

function readStrategies(r: Reader, node: Node | undefined): Partial<Record<StrategySection, StrategySupport>> {
  if (node === undefined) return structuredClone(DEFAULT_STRATEGIES);
  const m = r.map(node, 'strategies', keysOf(STRATEGIES));
  const out: Partial<Record<StrategySection, StrategySupport>> = {};
  for (const pair of m.items) {
    const name = String((pair.key as { value: unknown }).value) as StrategySection;
    const value = pair.value as Node | null;
    if (isScalar(value) && typeof value.value === 'string') {
      out[name] = { unsupported: value.value };
      continue;
    }
    const empty = value === null || (isScalar(value) && value.value === null);
    if (empty && name === 'cross') {
      throw r.fail(
        pair.key as Node,
        'strategies.cross needs its own build: steps (they run on the build platform)',
        'e.g. cross: { toolchain: true, steps: [$CC -O2 -o /usr/local/bin/app app.c] }',
      );
    }
    if (empty) {
      out[name] = { keep: [] };
      continue;
    }
    const w = `strategies.${name}`;
    const shape = name === 'cross' ? CROSS : STRATEGY;
    const s = r.map(value, w, keysOf(shape), shape.required);
    const keep = r.list(s, 'keep', w, ruleOf(shape, 'keep'), undefined, (p, item) => checkPath(r, item, p));
    out[name] =
      name !== 'cross'
        ? { keep }
        : {
            keep,
            cross: {
              packages: packageList(r, s, 'packages', w),
              tools: packageList(r, s, 'tools', w),
              toolchain: r.flag(s, 'toolchain', w),
              steps: r.list(s, 'steps', w, ruleOf(CROSS, 'steps')),
            },
          };
  }
  if (!Object.values(out).some((v) => 'keep' in v))
    throw r.fail(
      node,
      'strategies lists no supported strategy',
      `give at least one of ${STRATEGY_SECTIONS.join(', ')} a mapping (or leave it empty: "multistage:")`,
    );
  return out;
}

function readSmoke(r: Reader, node: Node | undefined, at: string): SmokeCheck[] {
  return seq(r, node, at, 'name: …" entries with run and expect; e.g. "- name: version').map((item, i) => {
    const where = `${at}[${i}]`;
    const m = r.map(item as Node, where, keysOf(SMOKE_CHECK), SMOKE_CHECK.required);
    const slow = r.flag(m, 'slow', where) ? { slow: true } : {};
    if (SMOKE_CHECK.exactlyOne!.filter((k) => m.has(k)).length !== 1)
      throw r.fail(
        m,
        `${where} needs exactly one of run (a command), shell (a script for mab's helper shell) or http (a port and path to GET)`,
        'e.g. run: [app, --version], shell: "ls /usr/lib | grep -c ssl" or http: { port: 8080, path: / }',
      );
    const expect = r.str(m, 'expect', where)!;
    try {
      new RegExp(expect);
    } catch (e) {
      throw r.fail(
        r.node(m, 'expect'),
        `${where}.expect is not a valid regular expression: ${(e as Error).message}`,
        'write a JavaScript regular expression matched against the output; escape ( ) [ ] . * + ? with a backslash to mean the character itself',
      );
    }
    if (m.has('http')) {
      const h = r.map(r.node(m, 'http'), `${where}.http`, keysOf(HTTP_PROBE), HTTP_PROBE.required);
      const port = Number(r.str(h, 'port', `${where}.http`, ruleOf(HTTP_PROBE, 'port')));
      const path = r.str(h, 'path', `${where}.http`, ruleOf(HTTP_PROBE, 'path')) ?? '/';
      return {
        name: r.str(m, 'name', where) ?? `GET :${port}${path}`,
        at: r.position(item as Node),
        http: { port, path },
        expect,
        ...slow,
      };
    }
    if (m.has('shell')) {
      const shell = r.str(m, 'shell', where, ruleOf(SMOKE_CHECK, 'shell'))!;
      return {
        name: r.str(m, 'name', where) ?? shell.trim().split('\n')[0]!,
        at: r.position(item as Node),
        shell,
        expect,
        ...slow,
      };
    }
    const run = r.list(m, 'run', where);
    if (run.length === 0)
      throw r.fail(m, `${where}.run is empty`, 'give the command as a list, e.g. [sysbench, --version]');
    return { name: r.str(m, 'name', where) ?? run.join(' '), at: r.position(item as Node), run, expect, ...slow };
  });
}
