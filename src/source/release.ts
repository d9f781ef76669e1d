/**
 * A suite's signed index (dists/SUITE/InRelease), checked as apt checks it: gpgv must find a good
 * signature by a key of the keyring (by the pinned key, when a recipe pins one), from a signer
 * that has neither expired nor been revoked. Shared by apt sources (a vendor's repository, its key
 * pinned by fingerprint) and the package preflight (Debian's archive and its keyring).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { MabError } from '../errors.js';

/** Runs fn with a private, empty GNUPGHOME that is removed afterwards. */
export async function withGpgHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'mab-gpg-'));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** gpgv reads binary keyrings only: an armored key file is dearmored into home first. */
export async function binaryKeyring(data: Buffer, home: string): Promise<string> {
  const keyring = path.join(home, 'keyring.gpg');
  if (data.subarray(0, 10).toString() !== '-----BEGIN') {
    await writeFile(keyring, data);
    return keyring;
  }
  const armored = path.join(home, 'keyring.asc');
  await writeFile(armored, data);
  await execa('gpg', ['--homedir', home, '--batch', '--output', keyring, '--dearmor', armored]);
  return keyring;
}

type Status = string[];

/**
 * The signed text of an InRelease. `where` names it in errors; `pin`, when given, is the only
 * primary-key fingerprint whose signature counts (an index may carry several signatures, as
 * Debian's do: one per archive key).
 */
export async function verifyInRelease(
  data: Buffer,
  keyring: string,
  home: string,
  where: string,
  pin?: string,
): Promise<string> {
  const input = path.join(home, 'InRelease');
  const out = path.join(home, 'Release');
  await writeFile(input, data);
  await rm(out, { force: true });
  const r = await execa('gpgv', ['--homedir', home, '--keyring', keyring, '--status-fd', '1', '--output', out, input], {
    reject: false,
  });
  const status: Status[] = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('[GNUPG:] '))
    .map((l) => l.slice(9).split(' '));
  // One group of status lines per signature, each starting at NEWSIG.
  const signatures: Status[][] = [];
  for (const s of status) {
    if (s[0] === 'NEWSIG' || signatures.length === 0) signatures.push([]);
    signatures[signatures.length - 1]!.push(s);
  }
  const tag = (sig: Status[], t: string) => sig.find((f) => f[0] === t);
  const primary = (sig: Status[]) => {
    const v = tag(sig, 'VALIDSIG');
    return v?.[v.length - 1];
  };
  const good = signatures.filter(
    (sig) => tag(sig, 'GOODSIG') && tag(sig, 'VALIDSIG') && (!pin || primary(sig) === pin),
  );
  if (good.length) return readFile(out, 'utf8');

  const by = pin ? `key ${pin}` : 'any key of the keyring';
  const all = signatures.flat();
  const expired = all.find((f) => f[0] === 'KEYEXPIRED') ?? all.find((f) => f[0] === 'EXPKEYSIG');
  if (expired) {
    const when = expired[0] === 'KEYEXPIRED' ? expired[1] : undefined;
    throw new MabError(
      'E_APT_SIGNATURE',
      `${where} is signed by ${by}, which expired${when ? ` on ${new Date(Number(when) * 1000).toISOString().slice(0, 10)}` : ''}`,
      'apt refuses such a repository, and so does mab: fetch the key again once its owner has extended it (the fingerprint stays the same)',
    );
  }
  if (all.some((f) => f[0] === 'REVKEYSIG'))
    throw new MabError(
      'E_APT_SIGNATURE',
      `${where} is signed by a revoked key${pin ? ` (${pin})` : ''}`,
      'the repository owner revoked this key; find out why before trusting the repository',
    );
  const other = signatures.find((sig) => tag(sig, 'GOODSIG') && tag(sig, 'VALIDSIG'));
  if (other && pin)
    throw new MabError('E_APT_SIGNATURE', `${where} is signed by ${primary(other)}, not the pinned ${pin}`);
  throw new MabError(
    'E_APT_SIGNATURE',
    `${where} has no good signature by ${by}: ${status.map((f) => f[0]).join(', ') || r.stderr.trim()}`,
    'the repository or a mirror serves an index the trusted key did not sign',
  );
}

/** The value of a deb822 field in one paragraph (multi-line values keep their lines). */
export function field(paragraph: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\n[ \\t].*)*)`, 'mi').exec(paragraph);
  return m?.[1]!.trim();
}

/** The first of `names` (paths under dists/SUITE/) that the Release's SHA256 field lists, with its digest. */
export function releaseEntry(release: string, names: string[]): { name: string; sha256: string } | undefined {
  const lines = (field(release, 'SHA256') ?? '').split('\n').map((l) => l.trim().split(/\s+/));
  for (const name of names) {
    const hit = lines.find((f) => f[2] === name);
    if (hit) return { name, sha256: hit[0]! };
  }
  return undefined;
}
