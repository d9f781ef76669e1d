/**
 * The `sources` and `artifacts` of a recipe: what is fetched on the host, and how it is pinned.
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import type { ArtifactSpec, SourceSpec, Unpack } from './types.js';
import { ABS, FILE_RE, PATH_RE, SHA256_RE, checkPath, platformKeyed, seq, type Reader } from './reader.js';

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

const SOURCE_KINDS = ['url', 'git', 'debian'] as const;

export function readSources(r: Reader, node: Node | undefined, where: string, platforms: string[]): SourceSpec[] {
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

export function readArtifacts(r: Reader, node: Node | undefined, where: string, platforms: string[]): ArtifactSpec[] {
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
