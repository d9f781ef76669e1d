/**
 * A binary package from a vendor's signed apt repository (TensorFlow Serving's, for one). The
 * vendor publishes no checksum of its own; the chain apt checks is the pin, and mab checks it on the
 * host before any build: the recipe pins the repository's signing key by its OpenPGP fingerprint,
 * the suite's InRelease must carry a good signature by that key, the Packages index must match
 * the sha256 InRelease lists, and the .deb the sha256 the index lists. What a package resolved to
 * is remembered in the cache, so rebuilds need no network.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import type { ResolvedSource } from '../plan/plan.js';
import { atomicWrite } from '../util/io.js';

/** The resolved source: repo is where dists/ and pool/ are; arch the Debian architecture whose
 * index lists the package; key where the signing key is published, fingerprint its primary key's. */
export type AptPackage = Extract<ResolvedSource, { kind: 'apt' }>;

type Fetchers = {
  bytes: (url: string, what: string) => Promise<{ data: Buffer; location: string }>;
  pinned: (f: { file: string; url: string; sha256: string }) => Promise<string>;
};

const gpgHome = () => mkdtemp(path.join(os.tmpdir(), 'mab-gpg-'));

/** The fingerprint of the key's primary key, after checking the file holds exactly one key. */
async function keyFingerprint(keyFile: string, home: string): Promise<string> {
  const r = await execa('gpg', ['--homedir', home, '--batch', '--with-colons', '--show-keys', keyFile], { reject: false });
  const lines = r.stdout.split('\n');
  const pubs = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('pub:'));
  if (r.exitCode !== 0 || pubs.length !== 1) throw new MabError('E_APT_KEY', `${keyFile}: expected one OpenPGP public key, gpg found ${pubs.length}`, 'check the key URL in the recipe');
  const fpr = lines.slice(pubs[0]![1] + 1).find((l) => l.startsWith('fpr:'));
  return fpr!.split(':')[9]!;
}

/** Verifies InRelease with the key and returns the signed text; refuses expired or revoked keys. */
async function verifiedRelease(inRelease: string, keyring: string, s: AptPackage, home: string): Promise<string> {
  const out = path.join(home, 'Release');
  const r = await execa('gpgv', ['--homedir', home, '--keyring', keyring, '--status-fd', '1', '--output', out, inRelease], { reject: false });
  const status = r.stdout.split('\n').filter((l) => l.startsWith('[GNUPG:] ')).map((l) => l.slice(9).split(' '));
  const has = (tag: string) => status.find((f) => f[0] === tag);
  const where = `${s.repo}/dists/${s.suite}/InRelease`;
  if (has('EXPKEYSIG') || has('KEYEXPIRED')) {
    const when = has('KEYEXPIRED')?.[1];
    throw new MabError('E_APT_SIGNATURE', `${where} is signed by key ${s.fingerprint}, which expired${when ? ` on ${new Date(Number(when) * 1000).toISOString().slice(0, 10)}` : ''}`, 'apt refuses such a repository, and so does mab: fetch the key again once its owner has extended it (the fingerprint stays the same)');
  }
  if (has('REVKEYSIG')) throw new MabError('E_APT_SIGNATURE', `${where} is signed by a revoked key (${s.fingerprint})`, 'the repository owner revoked this key; find out why before trusting the repository');
  const valid = has('VALIDSIG');
  if (!has('GOODSIG') || !valid) throw new MabError('E_APT_SIGNATURE', `${where} has no good signature by key ${s.fingerprint}: ${status.map((f) => f[0]).join(', ') || r.stderr.trim()}`, 'the repository or a mirror serves an index the pinned key did not sign');
  if (valid[valid.length - 1] !== s.fingerprint) throw new MabError('E_APT_SIGNATURE', `${where} is signed by ${valid[valid.length - 1]}, not the pinned ${s.fingerprint}`);
  return readFile(out, 'utf8');
}

/** The value of a deb822 field in one paragraph (multi-line values keep their lines). */
function field(paragraph: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\n[ \\t].*)*)`, 'mi').exec(paragraph);
  return m?.[1]!.trim();
}

/** The Packages index InRelease lists for the component and arch, preferring compressed forms. */
function packagesEntry(release: string, s: AptPackage): { name: string; sha256: string } {
  const lines = (field(release, 'SHA256') ?? '').split('\n').map((l) => l.trim().split(/\s+/));
  for (const suffix of ['.gz', '']) {
    const name = `${s.component}/binary-${s.arch}/Packages${suffix}`;
    const hit = lines.find((f) => f[2] === name);
    if (hit) return { name, sha256: hit[0]! };
  }
  throw new MabError('E_APT_INDEX', `${s.repo}/dists/${s.suite}/InRelease lists no ${s.component}/binary-${s.arch}/Packages`, `check suite "${s.suite}", component "${s.component}" and the platform (${s.arch})`);
}

export async function fetchAptPackage(s: AptPackage, cacheDir: string, get: Fetchers, log: (m: string) => void): Promise<string> {
  const id = createHash('sha256').update(JSON.stringify([s.repo, s.suite, s.component, s.package, s.version, s.arch, s.fingerprint])).digest('hex');
  const resolved = path.join(cacheDir, 'sources', 'apt', `${id}.sha256`);
  const known = (await readFile(resolved, 'utf8').catch(() => '')).trim();
  const cachedDeb = known && path.join(cacheDir, 'sources', 'sha256', known);
  if (cachedDeb && (await stat(cachedDeb).catch(() => undefined))) return cachedDeb;

  const home = await gpgHome();
  try {
    const key = await get.bytes(s.key, `${s.file}: the signing key of ${s.repo} (${s.key})`);
    const keyFile = path.join(home, 'key');
    await writeFile(keyFile, key.data);
    const fingerprint = await keyFingerprint(keyFile, home);
    if (fingerprint !== s.fingerprint) throw new MabError('E_APT_KEY', `the key at ${key.location} has fingerprint ${fingerprint}, the recipe pins ${s.fingerprint}`, 'the key URL or a mirror serves another key; update the recipe only if you trust the new one');
    // gpgv reads binary keyrings only: an armored key is dearmored first.
    const keyring = path.join(home, 'keyring.gpg');
    if (key.data.subarray(0, 10).toString() === '-----BEGIN') await execa('gpg', ['--homedir', home, '--batch', '--output', keyring, '--dearmor', keyFile]);
    else await writeFile(keyring, key.data);

    const inRelease = await get.bytes(`${s.repo}/dists/${s.suite}/InRelease`, `${s.file}: ${s.repo}/dists/${s.suite}/InRelease`);
    await writeFile(path.join(home, 'InRelease'), inRelease.data);
    const release = await verifiedRelease(path.join(home, 'InRelease'), keyring, s, home);
    const index = packagesEntry(release, s);
    const indexFile = await get.pinned({ file: `Packages (${s.suite}/${index.name})`, url: `${s.repo}/dists/${s.suite}/${index.name}`, sha256: index.sha256 });
    const raw = await readFile(indexFile);
    const text = (index.name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const paragraphs = text.split(/\n\s*\n/).filter((p) => field(p, 'Package') === s.package);
    const hit = paragraphs.find((p) => field(p, 'Version') === s.version);
    if (!hit) {
      const versions = paragraphs.map((p) => field(p, 'Version')).join(', ') || 'none';
      throw new MabError('E_APT_PACKAGE', `${s.package}=${s.version} is not in ${s.repo} ${s.suite}/${s.component} (${s.arch}); versions there: ${versions}`, 'pick one of those versions in the recipe');
    }
    const filename = field(hit, 'Filename');
    const sha256 = field(hit, 'SHA256');
    if (!filename || !sha256 || filename.split('/').includes('..')) throw new MabError('E_APT_INDEX', `the index entry for ${s.package}=${s.version} has no usable Filename and SHA256`);
    const deb = await get.pinned({ file: s.file, url: `${s.repo}/${filename}`, sha256 });
    await atomicWrite(resolved, (tmp) => writeFile(tmp, `${sha256}\n`));
    log(`${s.file}: ${s.package} ${s.version} (${s.arch}) from ${s.repo} ${s.suite}, signed by ${s.fingerprint.slice(-16)}, sha256 ${sha256.slice(0, 12)}`);
    return deb;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

