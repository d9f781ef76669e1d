/**
 * The `sources` and `artifacts` of a recipe: what is fetched on the host, and how it is pinned.
 */
import { isMap, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ArtifactSpec, SourceSpec, Unpack } from './types.js';
import { checkPath, platformKeyed, seq, type Reader } from './reader.js';
import { RULES } from './rules.js';
import { ARTIFACT, SOURCE_KINDS, keysOf, ruleOf } from './shape.js';

const DIGESTS = { sha256: RULES.sha256, md5: RULES.md5 } as const;

/** One digest, or a mapping of platform to digest that covers every platform. */
function readSha(
  r: Reader,
  node: Node,
  where: string,
  platforms: string[],
  algorithm: keyof typeof DIGESTS = 'sha256',
): string | Record<string, string> {
  const rule = DIGESTS[algorithm];
  if (!isMap(node)) return r.scalar(node, where, rule);
  const entries = platformKeyed(r, node, where, () => undefined);
  const sha = Object.fromEntries(entries.map(([p, v]) => [p, r.scalar(v, `${where}.${p}`, rule)]));
  const missing = platforms.filter((p) => !(p in sha));
  if (missing.length)
    throw r.fail(
      node,
      `${where} has no checksum for ${missing.join(', ')}`,
      'add one per platform the recipe supports',
    );
  return sha;
}

/** The pin of a downloaded file: sha256, or md5 when upstream publishes only that (weaker). */
function readPin(
  r: Reader,
  m: YAMLMap<unknown, unknown>,
  where: string,
  platforms: string[],
): { sha256: string | Record<string, string> } | { md5: string | Record<string, string> } {
  if (m.has('sha256') && m.has('md5'))
    throw r.fail(r.node(m, 'md5'), `${where} has both sha256 and md5`, 'keep sha256: it is the stronger pin');
  if (m.has('md5')) return { md5: readSha(r, r.node(m, 'md5')!, `${where}.md5`, platforms, 'md5') };
  if (!m.has('sha256'))
    throw r.fail(
      m,
      `${where} is missing "sha256"`,
      'pin the file: sha256: <64 hex digits> (or md5: when upstream publishes only an md5)',
    );
  return { sha256: readSha(r, r.node(m, 'sha256')!, `${where}.sha256`, platforms) };
}
const APT_EXAMPLE =
  "an apt source takes apt: REPOSITORY-URL, suite:, component:, package: NAME=VERSION, key: KEY-URL and fingerprint: (the key's, 40 hex digits)";
function readUnpack(r: Reader, m: YAMLMap<unknown, unknown>, where: string): Unpack | undefined {
  return r.str(m, 'unpack', where, RULES.unpack) as Unpack | undefined;
}

type Kind = keyof typeof SOURCE_KINDS;
const KINDS = Object.keys(SOURCE_KINDS) as Kind[];
/** Every key some kind of source takes: an unknown key is named before the kind is known. */
const SOURCE_KEYS = [...new Set(KINDS.flatMap((k) => keysOf(SOURCE_KINDS[k])))];
/** What a missing key of each kind is for, when the error says more than "add it". */
const MISSING: { [K in Kind]: Partial<Record<string, string>> } = {
  url: {},
  git: {
    commit: 'pin the full commit id (40 hex digits); a branch or tag can move',
    file: 'name the directory the tree goes to',
  },
  debian: { sha256: "pin the sha256 of the package's .dsc file; the .dsc pins the other files" },
  apt: {},
};

export function readSources(r: Reader, node: Node | undefined, where: string, platforms: string[]): SourceSpec[] {
  const names = new Set<string>();
  return seq(r, node, where, 'file: …').map((item, i) => {
    const w = `${where}[${i}]`;
    const m = r.map(item, w, SOURCE_KEYS);
    const kinds = KINDS.filter((k) => m.has(k));
    if (kinds.length !== 1)
      throw r.fail(
        m,
        `${w} needs exactly one of url (a file), git (a repository at a commit), debian (a source package) or apt (a package from a signed apt repository)`,
        'e.g. url: https://…/app-1.0.tar.gz with sha256:, or git: https://…/app.git with commit:, or debian: dlib=19.24+dfsg-1 with sha256: of its .dsc',
      );
    const kind = kinds[0]!;
    const shape = SOURCE_KINDS[kind];
    const allowed = keysOf(shape);
    for (const pair of m.items) {
      const key = String((pair.key as { value: unknown }).value);
      if (!allowed.includes(key))
        throw r.fail(
          pair.key as Node,
          `${w}: "${key}" does not apply to a ${kind} source`,
          `a ${kind} source takes ${allowed.join(', ')}`,
        );
    }
    const missing = (k: string) =>
      r.fail(m, `${w} is missing "${k}"`, kind === 'apt' ? APT_EXAMPLE : (MISSING[kind][k] ?? `add "${k}:"`));
    const rule = (k: string) => ruleOf(shape, k);
    const file = r.str(m, 'file', w, rule('file'));
    // A debian source's own value is checked before its sha256 is asked for.
    if (kind !== 'debian') for (const k of shape.required) if (!m.has(k)) throw missing(k);
    let spec: SourceSpec;
    if (kind === 'url') {
      spec = {
        kind,
        file: file!,
        url: r.str(m, 'url', w, rule('url'))!,
        ...readPin(r, m, w, platforms),
      };
      const unpack = readUnpack(r, m, w);
      if (unpack) spec.unpack = unpack;
    } else if (kind === 'git') {
      const url = r.str(m, 'git', w, rule('git'))!;
      spec = {
        kind,
        file: file!,
        url,
        commit: r.str(m, 'commit', w, rule('commit'))!,
      };
      if (m.has('paths')) {
        const paths = r.list(m, 'paths', w, rule('paths'));
        paths.forEach((p, j) =>
          checkPath(r, (r.node(m, 'paths') as YAMLSeq).items[j] as Node, p, 'paths name part of the repository'),
        );
        if (!paths.length)
          throw r.fail(
            r.node(m, 'paths'),
            `${w}.paths is empty`,
            'list the directories and files the build needs, or drop "paths" to take the whole tree',
          );
        spec.paths = paths;
      }
    } else if (kind === 'apt') {
      const [pkg, version] = r.str(m, 'package', w, rule('package'))!.split('=') as [string, string];
      spec = {
        kind,
        file: file!,
        package: pkg,
        version,
        repo: r.str(m, 'apt', w, rule('apt'))!.replace(/\/+$/, ''),
        suite: r.str(m, 'suite', w, rule('suite'))!,
        component: r.str(m, 'component', w, rule('component'))!,
        key: r.str(m, 'key', w, rule('key'))!,
        fingerprint: r.str(m, 'fingerprint', w, rule('fingerprint'))!.toUpperCase(),
      };
    } else {
      const [pkg, version] = r.str(m, 'debian', w, rule('debian'))!.split('=') as [string, string];
      for (const k of shape.required) if (!m.has(k)) throw missing(k);
      spec = {
        kind,
        file: file ?? pkg,
        package: pkg,
        version,
        archive: r.str(m, 'archive', w, rule('archive')) ?? 'http://deb.debian.org/debian',
        component: r.str(m, 'component', w, rule('component')) ?? 'main',
        sha256: r.str(m, 'sha256', w, rule('sha256'))!,
      };
    }
    if (names.has(spec.file))
      throw r.fail(m, `${w}: two sources are named "${spec.file}"`, 'give each its own file name');
    names.add(spec.file);
    return spec;
  });
}

export function readArtifacts(r: Reader, node: Node | undefined, where: string, platforms: string[]): ArtifactSpec[] {
  return seq(r, node, where, 'file: …, url: …, sha256: …, path: /…').map((item, i) => {
    const w = `${where}[${i}]`;
    const m = r.map(item, w, keysOf(ARTIFACT), ARTIFACT.required);
    const rule = (k: string) => ruleOf(ARTIFACT, k);
    const a: ArtifactSpec = {
      file: r.str(m, 'file', w, rule('file'))!,
      url: r.str(m, 'url', w, rule('url'))!,
      ...readPin(r, m, w, platforms),
      path: checkPath(r, r.node(m, 'path'), r.str(m, 'path', w, rule('path'))!),
    };
    const unpack = readUnpack(r, m, w);
    if (unpack) a.unpack = unpack;
    return a;
  });
}
