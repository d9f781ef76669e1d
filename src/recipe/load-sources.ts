/**
 * The `sources` and `artifacts` of a recipe: what is fetched on the host, and how it is pinned.
 */
import { isMap, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ArtifactSpec, SourceSpec, Unpack } from './types.js';
import { ABS, FILE_RE, PATH_RE, SHA256_RE, checkPath, platformKeyed, seq, type Reader } from './reader.js';

const DIGESTS = {
  sha256: [SHA256_RE, '64 lowercase hex digits'],
  md5: [/^[a-f0-9]{32}$/, '32 lowercase hex digits'],
} as const;

/** One digest, or a mapping of platform to digest that covers every platform. */
function readSha(
  r: Reader,
  node: Node,
  where: string,
  platforms: string[],
  algorithm: keyof typeof DIGESTS = 'sha256',
): string | Record<string, string> {
  const [re, expected] = DIGESTS[algorithm];
  if (!isMap(node)) return r.scalar(node, where, re, expected);
  const entries = platformKeyed(r, node, where, () => undefined);
  const sha = Object.fromEntries(entries.map(([p, v]) => [p, r.scalar(v, `${where}.${p}`, re, expected)]));
  const missing = platforms.filter((p) => !(p in sha));
  if (missing.length)
    throw r.fail(
      node,
      `${where} has no checksum for ${missing.join(', ')}`,
      'add one per platform the recipe supports',
    );
  return sha;
}

const URL_RE = /^(https?|file):\/\/\S+$/;

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
const PKG_VERSION_RE = /^[a-z0-9][a-z0-9+.-]+=(\d+:)?[A-Za-z0-9.+~-]+$/;
const APT_EXAMPLE =
  "an apt source takes apt: REPOSITORY-URL, suite:, component:, package: NAME=VERSION, key: KEY-URL and fingerprint: (the key's, 40 hex digits)";
const REL_RE = /^[A-Za-z0-9._+@-][A-Za-z0-9._+@/-]*$/;
const UNPACK = ['gzip', 'bzip2', 'xz'] as const;

function readUnpack(r: Reader, m: YAMLMap<unknown, unknown>, where: string): Unpack | undefined {
  return r.str(m, 'unpack', where, new RegExp(`^(${UNPACK.join('|')})$`), `one of ${UNPACK.join(', ')}`) as
    Unpack | undefined;
}

const SOURCE_KINDS = ['url', 'git', 'debian', 'apt'] as const;

export function readSources(r: Reader, node: Node | undefined, where: string, platforms: string[]): SourceSpec[] {
  const names = new Set<string>();
  return seq(r, node, where, 'file: …').map((item, i) => {
    const w = `${where}[${i}]`;
    const m = r.map(item, w, [
      'file',
      'url',
      'sha256',
      'md5',
      'unpack',
      'git',
      'commit',
      'paths',
      'debian',
      'archive',
      'component',
      'apt',
      'suite',
      'package',
      'key',
      'fingerprint',
    ]);
    const kinds = SOURCE_KINDS.filter((k) => m.has(k));
    if (kinds.length !== 1)
      throw r.fail(
        m,
        `${w} needs exactly one of url (a file), git (a repository at a commit), debian (a source package) or apt (a package from a signed apt repository)`,
        'e.g. url: https://…/app-1.0.tar.gz with sha256:, or git: https://…/app.git with commit:, or debian: dlib=19.24+dfsg-1 with sha256: of its .dsc',
      );
    const kind = kinds[0]!;
    const allowed: Record<typeof kind, string[]> = {
      url: ['file', 'url', 'sha256', 'md5', 'unpack'],
      git: ['file', 'git', 'commit', 'paths'],
      debian: ['file', 'debian', 'sha256', 'archive', 'component'],
      apt: ['file', 'apt', 'suite', 'component', 'package', 'key', 'fingerprint'],
    };
    for (const pair of m.items) {
      const key = String((pair.key as { value: unknown }).value);
      if (!allowed[kind].includes(key))
        throw r.fail(
          pair.key as Node,
          `${w}: "${key}" does not apply to a ${kind} source`,
          `a ${kind} source takes ${allowed[kind].join(', ')}`,
        );
    }
    const file = r.str(m, 'file', w, FILE_RE, 'a plain file name (no "/" or "..")');
    let spec: SourceSpec;
    if (kind === 'url') {
      if (!m.has('file')) throw r.fail(m, `${w} is missing "file"`, 'add "file:"');
      spec = {
        kind,
        file: file!,
        url: r.str(m, 'url', w, URL_RE, 'an http(s):// or file:// URL')!,
        ...readPin(r, m, w, platforms),
      };
      const unpack = readUnpack(r, m, w);
      if (unpack) spec.unpack = unpack;
    } else if (kind === 'git') {
      for (const k of ['file', 'commit'])
        if (!m.has(k))
          throw r.fail(
            m,
            `${w} is missing "${k}"`,
            k === 'commit'
              ? 'pin the full commit id (40 hex digits); a branch or tag can move'
              : 'name the directory the tree goes to',
          );
      const url = r.str(
        m,
        'git',
        w,
        /^(https?|ssh|git|file):\/\/\S+$/,
        'a repository URL (https://, ssh://, git://, file://)',
      )!;
      spec = {
        kind,
        file: file!,
        url,
        commit: r.str(
          m,
          'commit',
          w,
          /^([a-f0-9]{40}|[a-f0-9]{64})$/,
          'a full commit id (40 lowercase hex digits); a branch or tag can move',
        )!,
      };
      if (m.has('paths')) {
        const paths = r.list(
          m,
          'paths',
          w,
          REL_RE,
          'a path inside the repository (relative, no spaces or shell characters)',
        );
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
      for (const k of ['file', 'suite', 'component', 'package', 'key', 'fingerprint'])
        if (!m.has(k)) throw r.fail(m, `${w} is missing "${k}"`, APT_EXAMPLE);
      const [pkg, version] = r
        .str(m, 'package', w, PKG_VERSION_RE, 'PACKAGE=VERSION, e.g. tensorflow-model-server=2.8.0')!
        .split('=') as [string, string];
      spec = {
        kind,
        file: file!,
        package: pkg,
        version,
        repo: r.str(m, 'apt', w, URL_RE, 'the repository URL (where dists/ and pool/ are)')!.replace(/\/+$/, ''),
        suite: r.str(m, 'suite', w, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a suite name, e.g. stable')!,
        component: r.str(m, 'component', w, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a component name, e.g. main')!,
        key: r.str(m, 'key', w, URL_RE, "the URL of the repository's signing key")!,
        fingerprint: r
          .str(m, 'fingerprint', w, /^[0-9A-Fa-f]{40}$/, "the signing key's fingerprint: 40 hex digits, no spaces")!
          .toUpperCase(),
      };
    } else {
      const [pkg, version] = r
        .str(m, 'debian', w, PKG_VERSION_RE, 'PACKAGE=VERSION, e.g. dlib=19.24+dfsg-1')!
        .split('=') as [string, string];
      if (!m.has('sha256'))
        throw r.fail(
          m,
          `${w} is missing "sha256"`,
          "pin the sha256 of the package's .dsc file; the .dsc pins the other files",
        );
      spec = {
        kind,
        file: file ?? pkg,
        package: pkg,
        version,
        archive:
          r.str(m, 'archive', w, URL_RE, 'an http(s):// or file:// URL of a Debian archive') ??
          'http://deb.debian.org/debian',
        component:
          r.str(
            m,
            'component',
            w,
            /^(main|contrib|non-free|non-free-firmware)$/,
            'main, contrib, non-free or non-free-firmware',
          ) ?? 'main',
        sha256: r.scalar(r.node(m, 'sha256')!, `${w}.sha256`, SHA256_RE, '64 lowercase hex digits'),
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
    const m = r.map(item, w, ['file', 'url', 'sha256', 'md5', 'unpack', 'path'], ['file', 'url', 'path']);
    const a: ArtifactSpec = {
      file: r.str(m, 'file', w, FILE_RE, 'a plain file name (no "/" or "..")')!,
      url: r.str(m, 'url', w, URL_RE, 'an http(s):// or file:// URL')!,
      ...readPin(r, m, w, platforms),
      path: checkPath(r, r.node(m, 'path'), r.str(m, 'path', w, PATH_RE, `${ABS}, where the file goes in the image`)!),
    };
    const unpack = readUnpack(r, m, w);
    if (unpack) a.unpack = unpack;
    return a;
  });
}
