/**
 * A binary package from a vendor's signed apt repository (TensorFlow Serving's, for one). The
 * vendor publishes no checksum of its own; the chain apt checks is the pin, and mab checks it on the
 * host before any build: the recipe pins the repository's signing key by its OpenPGP fingerprint,
 * the suite's InRelease must carry a good signature by that key, the Packages index must match
 * the sha256 InRelease lists, and the .deb the sha256 the index lists. What a package resolved to
 * is remembered in the cache, so rebuilds need no network.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import type { ResolvedSource } from '../plan/plan.js';
import { atomicWrite } from '../util/io.js';
import { binaryKeyring, field, releaseEntry, verifyInRelease, withGpgHome } from './release.js';

/** The resolved source: repo is where dists/ and pool/ are; arch the Debian architecture whose
 * index lists the package; key where the signing key is published, fingerprint its primary key's. */
export type AptPackage = Extract<ResolvedSource, { kind: 'apt' }>;

type Fetchers = {
  bytes: (url: string, what: string) => Promise<{ data: Buffer; location: string }>;
  pinned: (f: { file: string; url: string; sha256: string }) => Promise<string>;
};

/** The fingerprint of the key's primary key, after checking the file holds exactly one key. */
async function keyFingerprint(keyFile: string, home: string): Promise<string> {
  const r = await execa('gpg', ['--homedir', home, '--batch', '--with-colons', '--show-keys', keyFile], {
    reject: false,
  });
  const lines = r.stdout.split('\n');
  const pubs = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('pub:'));
  if (r.exitCode !== 0 || pubs.length !== 1)
    throw new MabError(
      'E_APT_KEY',
      `${keyFile}: expected one OpenPGP public key, gpg found ${pubs.length}`,
      'check the key URL in the recipe',
    );
  const fpr = lines.slice(pubs[0]![1] + 1).find((l) => l.startsWith('fpr:'));
  return fpr!.split(':')[9]!;
}

/** The Packages index InRelease lists for the component and arch, preferring compressed forms. */
function packagesEntry(release: string, s: AptPackage): { name: string; sha256: string } {
  const name = `${s.component}/binary-${s.arch}/Packages`;
  const hit = releaseEntry(release, [`${name}.gz`, name]);
  if (hit) return hit;
  throw new MabError(
    'E_APT_INDEX',
    `${s.repo}/dists/${s.suite}/InRelease lists no ${s.component}/binary-${s.arch}/Packages`,
    `check suite "${s.suite}", component "${s.component}" and the platform (${s.arch})`,
  );
}

export async function fetchAptPackage(
  s: AptPackage,
  cacheDir: string,
  get: Fetchers,
  log: (m: string) => void,
): Promise<string> {
  const id = createHash('sha256')
    .update(JSON.stringify([s.repo, s.suite, s.component, s.package, s.version, s.arch, s.fingerprint]))
    .digest('hex');
  const resolved = path.join(cacheDir, 'sources', 'apt', `${id}.sha256`);
  const known = (await readFile(resolved, 'utf8').catch(() => '')).trim();
  const cachedDeb = known && path.join(cacheDir, 'sources', 'sha256', known);
  if (cachedDeb && (await stat(cachedDeb).catch(() => undefined))) return cachedDeb;

  return withGpgHome(async (home) => {
    const key = await get.bytes(s.key, `${s.file}: the signing key of ${s.repo} (${s.key})`);
    const keyFile = path.join(home, 'key');
    await writeFile(keyFile, key.data);
    const fingerprint = await keyFingerprint(keyFile, home);
    if (fingerprint !== s.fingerprint)
      throw new MabError(
        'E_APT_KEY',
        `the key at ${key.location} has fingerprint ${fingerprint}, the recipe pins ${s.fingerprint}`,
        'the key URL or a mirror serves another key; update the recipe only if you trust the new one',
      );
    const keyring = await binaryKeyring(key.data, home);

    const inRelease = await get.bytes(
      `${s.repo}/dists/${s.suite}/InRelease`,
      `${s.file}: ${s.repo}/dists/${s.suite}/InRelease`,
    );
    const release = await verifyInRelease(
      inRelease.data,
      keyring,
      home,
      `${s.repo}/dists/${s.suite}/InRelease`,
      s.fingerprint,
    );
    const index = packagesEntry(release, s);
    const indexFile = await get.pinned({
      file: `Packages (${s.suite}/${index.name})`,
      url: `${s.repo}/dists/${s.suite}/${index.name}`,
      sha256: index.sha256,
    });
    const raw = await readFile(indexFile);
    const text = (index.name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const paragraphs = text.split(/\n\s*\n/).filter((p) => field(p, 'Package') === s.package);
    const hit = paragraphs.find((p) => field(p, 'Version') === s.version);
    if (!hit) {
      const versions = paragraphs.map((p) => field(p, 'Version')).join(', ') || 'none';
      throw new MabError(
        'E_APT_PACKAGE',
        `${s.package}=${s.version} is not in ${s.repo} ${s.suite}/${s.component} (${s.arch}); versions there: ${versions}`,
        'pick one of those versions in the recipe',
      );
    }
    const filename = field(hit, 'Filename');
    const sha256 = field(hit, 'SHA256');
    if (!filename || !sha256 || filename.split('/').includes('..'))
      throw new MabError(
        'E_APT_INDEX',
        `the index entry for ${s.package}=${s.version} has no usable Filename and SHA256`,
      );
    const deb = await get.pinned({ file: s.file, url: `${s.repo}/${filename}`, sha256 });
    await atomicWrite(resolved, (tmp) => writeFile(tmp, `${sha256}\n`));
    log(
      `${s.file}: ${s.package} ${s.version} (${s.arch}) from ${s.repo} ${s.suite}, signed by ${s.fingerprint.slice(-16)}, sha256 ${sha256.slice(0, 12)}`,
    );
    return deb;
  });
}
