/**
 * Which packages a Debian suite has, per architecture, from its signed indexes: InRelease checked
 * against the archive keyring (src/source/release.ts), each Packages index against the sha256
 * InRelease lists. Only the names are kept, in the cache, keyed by the index's digest, so a check
 * against a cached index reads a few hundred KB and needs no network.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import { atomicWrite } from '../util/io.js';
import { fetchBytes } from './fetch.js';
import type { Mirror } from './mirror.js';
import { binaryKeyring, field, releaseEntry, verifyInRelease, withGpgHome } from './release.js';

export interface DebianArchive {
  /** Where dists/ is (mirrors apply to it, as to sources). */
  url: string;
  suite: string;
  component: string;
  /** The keyring a good signature of the suite's InRelease must come from. */
  keyring: string;
}

/** Where a package's .deb is in the archive (Filename, under the archive URL) and its sha256. */
export interface PackageFile {
  version: string;
  filename: string;
  sha256: string;
}

/**
 * A suite's packages for one architecture: real ones, virtual names with what provides them, and
 * the .deb of each package mab itself fetches (TOOL_PACKAGES).
 */
export interface PackageNames {
  real: Set<string>;
  provided: Map<string, string[]>;
  files: Map<string, PackageFile>;
}

/** Packages mab fetches for its own use: busybox-static is the helper shell of smoke checks. */
export const TOOL_PACKAGES = ['busybox-static'];

export interface IndexOptions {
  cacheDir: string;
  mirrors: Mirror[];
  log: (msg: string) => void;
  /** A cached InRelease older than this is fetched again before use (default 7 days). */
  maxAgeMs?: number;
}

const INRELEASE_TIMEOUT_MS = 15_000;
const PACKAGES_TIMEOUT_MS = 120_000;
const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Could not fetch InRelease and none is cached: the check cannot run (offline, say). */
export class IndexUnavailable extends Error {}

/**
 * One suite of one archive. `fetchedAt` tells how old the cached InRelease is; `refresh()` fetches
 * it again (the preflight does when a name is missing from an index it did not fetch this run).
 */
export class SuiteIndex {
  private constructor(
    readonly archive: DebianArchive,
    private readonly o: IndexOptions,
    private readonly dir: string,
    private release: string,
    public fetchedAt: Date,
    public fetchedNow: boolean,
  ) {}

  get where(): string {
    return `${this.archive.url}/dists/${this.archive.suite}/InRelease`;
  }

  static async open(archive: DebianArchive, o: IndexOptions): Promise<SuiteIndex> {
    const keyring = await readFile(archive.keyring).catch((e: Error) => {
      throw new MabError(
        'E_PREFLIGHT',
        `cannot read the Debian archive keyring ${archive.keyring}: ${e.message}`,
        'install debian-archive-keyring, give another with --debian-keyring FILE, or skip the check with --no-preflight',
      );
    });
    // A release verified with one keyring says nothing to another: the keyring is in the key.
    const id = createHash('sha256')
      .update(JSON.stringify([archive.url, archive.suite]))
      .update(keyring)
      .digest('hex')
      .slice(0, 16);
    const dir = path.join(o.cacheDir, 'debian-index', id);
    const file = path.join(dir, 'Release');
    const cached = await readFile(file, 'utf8').catch(() => undefined);
    const at = await stat(file).then(
      (s) => s.mtime,
      () => undefined,
    );
    const index = new SuiteIndex(archive, o, dir, cached ?? '', at ?? new Date(0), false);
    if (cached && Date.now() - index.fetchedAt.getTime() < (o.maxAgeMs ?? WEEK_MS)) return index;
    await index.refresh(keyring);
    return index;
  }

  /** Fetches and verifies InRelease; without a network, keeps a cached one (and says so). */
  async refresh(keyring?: Buffer): Promise<void> {
    const file = path.join(this.dir, 'Release');
    let data: Buffer;
    try {
      data = (
        await fetchBytes(
          `${this.archive.url}/dists/${this.archive.suite}/InRelease`,
          this.o.mirrors,
          this.where,
          INRELEASE_TIMEOUT_MS,
        )
      ).data;
    } catch (e) {
      const why = (e as Error).message.split('\n').slice(1).join('; ').trim();
      if (!this.release) throw new IndexUnavailable(`cannot fetch ${this.where} (${why})`);
      this.o.log(
        `package preflight: cannot fetch ${this.where} (${why}); using the copy of ${this.fetchedAt.toISOString().slice(0, 16)}Z`,
      );
      return;
    }
    const ring = keyring ?? (await readFile(this.archive.keyring));
    const release = await withGpgHome(async (home) =>
      verifyInRelease(data, await binaryKeyring(ring, home), home, this.where),
    );
    // apt's check too: an index signed for another suite is not this one (a replay, or a mixed-up mirror).
    const names = [field(release, 'Suite'), field(release, 'Codename')];
    if (!names.includes(this.archive.suite))
      throw new MabError(
        'E_APT_INDEX',
        `${this.where} is signed for suite ${names.filter(Boolean).join(' / ')}, not ${this.archive.suite}`,
        'the archive URL or a mirror serves another suite here',
      );
    const until = field(release, 'Valid-Until');
    if (until && Date.parse(until) < Date.now())
      throw new MabError(
        'E_APT_INDEX',
        `${this.where} expired on ${until} (Valid-Until)`,
        'the mirror is stale: use an up-to-date one',
      );
    await atomicWrite(file, (tmp) => writeFile(tmp, release));
    // The file's time is when it was fetched, even when its content did not change.
    const now = new Date();
    await utimes(file, now, now);
    [this.release, this.fetchedAt, this.fetchedNow] = [release, now, true];
  }

  /**
   * Whether `question` (a set of names per architecture, as text) was answered "all there" from
   * this same InRelease before: the answer cannot have changed, and reading the names again
   * (a few MB per architecture) is what a warm rebuild would spend most of its preflight on.
   */
  async answered(question: string): Promise<boolean> {
    return stat(this.answerFile(question)).then(
      () => true,
      () => false,
    );
  }

  async remember(question: string): Promise<void> {
    await atomicWrite(this.answerFile(question), (tmp) => writeFile(tmp, ''));
  }

  private answerFile(question: string): string {
    const key = createHash('sha256').update(this.release).update('\0').update(question).digest('hex');
    return path.join(this.dir, 'answered', key);
  }

  /** The names in the suite's Packages index for arch; undefined when the suite has no such index. */
  async names(arch: string): Promise<PackageNames | undefined> {
    const base = `${this.archive.component}/binary-${arch}/Packages`;
    const entry = releaseEntry(this.release, [`${base}.gz`, `${base}.xz`, base]);
    if (!entry) return undefined;
    const file = path.join(this.o.cacheDir, 'debian-index', 'names', `${entry.sha256}.v2.txt`);
    const cached = await readFile(file, 'utf8').catch(() => undefined);
    if (cached !== undefined) return parseNames(cached);
    const url = `${this.archive.url}/dists/${this.archive.suite}/${entry.name}`;
    const got = await fetchBytes(
      url,
      this.o.mirrors,
      `the ${this.archive.suite} ${arch} package index`,
      PACKAGES_TIMEOUT_MS,
    );
    const digest = createHash('sha256').update(got.data).digest('hex');
    if (digest !== entry.sha256)
      throw new MabError(
        'E_CHECKSUM',
        `${got.location} has sha256 ${digest}; the signed ${this.where} lists ${entry.sha256}`,
        'the mirror serves an index that does not match its InRelease (a mirror caught mid-update, or tampering): try again, or another mirror',
      );
    const text = await decompress(got.data, entry.name);
    const names = namesFromIndex(text);
    await atomicWrite(file, (tmp) => writeFile(tmp, formatNames(names)));
    this.o.log(
      `package preflight: read the ${this.archive.suite} ${arch} index (${names.real.size} packages, ${(got.data.length / 1e6).toFixed(1)} MB) from ${got.location}`,
    );
    return names;
  }
}

async function decompress(data: Buffer, name: string): Promise<string> {
  if (name.endsWith('.gz')) return gunzipSync(data).toString('utf8');
  if (name.endsWith('.xz'))
    return (await execa('xz', ['-dc'], { input: data, encoding: 'utf8', maxBuffer: 1e9 })).stdout;
  return data.toString('utf8');
}

/** Package and Provides fields of every paragraph, and where TOOL_PACKAGES' .debs are; line by line, as the index is ~50 MB. */
export function namesFromIndex(text: string): PackageNames {
  const n: PackageNames = { real: new Set(), provided: new Map(), files: new Map() };
  let current = '';
  let tool: Partial<PackageFile> | undefined;
  let start = 0;
  const value = (from: number, end: number) => text.slice(from, end).trim();
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (text.startsWith('Package:', start)) {
      current = value(start + 8, end);
      n.real.add(current);
      tool = TOOL_PACKAGES.includes(current) ? {} : undefined;
    } else if (text.startsWith('Provides:', start)) {
      for (const item of value(start + 9, end).split(',')) {
        const name = item.trim().split(/[\s(:]/)[0]!;
        if (!name) continue;
        const by = n.provided.get(name) ?? [];
        if (!by.includes(current)) by.push(current);
        n.provided.set(name, by);
      }
    } else if (tool) {
      for (const [f, key] of [
        ['Version:', 'version'],
        ['Filename:', 'filename'],
        ['SHA256:', 'sha256'],
      ] as const) {
        if (text.startsWith(f, start)) tool[key] = value(start + f.length, end);
      }
      if (tool.version && tool.filename && tool.sha256) n.files.set(current, tool as PackageFile);
    }
    start = end + 1;
  }
  return n;
}

/** One real name per line; a virtual name as NAME<TAB>PROVIDER,PROVIDER; a tool's .deb as !NAME<TAB>VERSION<TAB>FILENAME<TAB>SHA256. */
function formatNames(n: PackageNames): string {
  return (
    [
      ...n.real,
      ...[...n.provided].map(([name, by]) => `${name}\t${by.join(',')}`),
      ...[...n.files].map(([name, f]) => `!${name}\t${f.version}\t${f.filename}\t${f.sha256}`),
    ].join('\n') + '\n'
  );
}

function parseNames(text: string): PackageNames {
  const n: PackageNames = { real: new Set(), provided: new Map(), files: new Map() };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split('\t');
    if (fields.length === 1) n.real.add(line);
    else if (line.startsWith('!'))
      n.files.set(fields[0]!.slice(1), { version: fields[1]!, filename: fields[2]!, sha256: fields[3]! });
    else n.provided.set(fields[0]!, fields[1]!.split(','));
  }
  return n;
}
