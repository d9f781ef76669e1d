/**
 * apt sources against real signed repositories made with gpg and dpkg-deb (test/fixtures/apt-repo.ts):
 * the whole chain is checked, and each broken link is refused with a message that names it.
 */
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeAptRepo, makeDeb, makeKey, type RepoKey } from '../../test/fixtures/apt-repo.js';
import type { ResolvedSource } from '../plan/plan.js';
import { fetchSource, parseMirror } from './fetch.js';

const tmp = (p: string) => mkdtemp(path.join(os.tmpdir(), p));
const UPSTREAM = 'http://apt.vendor.invalid/repo';
const KEY_URL = 'https://vendor.invalid/repo.release.pub.gpg';

let dir: string;
let key: RepoKey;
let deb: Buffer;
const source = (over: Partial<ResolvedSource & { kind: 'apt' }> = {}): ResolvedSource => ({
  kind: 'apt',
  file: 'server.deb',
  repo: UPSTREAM,
  suite: 'stable',
  component: 'server-universal',
  package: 'server-universal',
  version: '2.8.0',
  arch: 'amd64',
  key: KEY_URL,
  fingerprint: key.fingerprint,
  ...over,
});
const mirrors = (repo: string, keyFile: string) => [
  parseMirror(`${UPSTREAM}=${repo}`),
  parseMirror(`${KEY_URL}=${keyFile}`),
];

beforeAll(async () => {
  dir = await tmp('mab-apt-');
  key = await makeKey(dir);
  deb = await makeDeb(
    dir,
    { Package: 'server-universal', Version: '2.8.0', Architecture: 'all' },
    { 'usr/bin/server': { data: '#!/bin/sh\necho server 2.8.0\n', mode: 0o755 } },
  );
  const older = await makeDeb(
    dir,
    { Package: 'server-universal', Version: '2.7.0', Architecture: 'all' },
    { 'usr/bin/server': { data: '#!/bin/sh\necho 2.7\n', mode: 0o755 } },
  );
  await makeAptRepo(path.join(dir, 'repo'), key, {
    suite: 'stable',
    arch: 'amd64',
    components: {
      'server-universal': [
        { package: 'server-universal', version: '2.7.0', architecture: 'all', deb: older },
        { package: 'server-universal', version: '2.8.0', architecture: 'all', deb },
      ],
    },
  });
});

describe('apt sources', () => {
  it('follows key → InRelease → Packages → .deb, then rebuilds from the cache with no repository', async () => {
    const cache = await tmp('mab-cache-');
    const logs: string[] = [];
    const got = await fetchSource(source(), cache, mirrors(path.join(dir, 'repo'), key.file), (m) => logs.push(m));
    expect(got.kind === 'file' && (await readFile(got.path)).equals(deb)).toBe(true);
    expect(logs.join('\n')).toMatch(
      new RegExp(
        `server\\.deb: server-universal 2\\.8\\.0 \\(amd64\\) from ${UPSTREAM} stable, signed by ${key.fingerprint.slice(-16)}`,
      ),
    );
    expect(await fetchSource(source(), cache, [], () => {})).toEqual(got);
  });

  it('reads an armored key too', async () => {
    const armored = await makeKey(dir, { armor: true });
    const repo = path.join(dir, 'repo-armored');
    await makeAptRepo(repo, armored, {
      suite: 'stable',
      arch: 'amd64',
      components: { 'server-universal': [{ package: 'server-universal', version: '2.8.0', architecture: 'all', deb }] },
    });
    const got = await fetchSource(
      source({ fingerprint: armored.fingerprint }),
      await tmp('mab-cache-'),
      mirrors(repo, armored.file),
      () => {},
    );
    expect(got.kind).toBe('file');
  });

  it('refuses a key whose fingerprint is not the pinned one', async () => {
    const other = await makeKey(dir);
    const err = fetchSource(source(), await tmp('mab-cache-'), mirrors(path.join(dir, 'repo'), other.file), () => {});
    await expect(err).rejects.toThrow(`has fingerprint ${other.fingerprint}, the recipe pins ${key.fingerprint}`);
  });

  it('refuses an index signed by another key, and a tampered one', async () => {
    const other = await makeKey(dir);
    const forged = path.join(dir, 'repo-forged');
    await makeAptRepo(forged, other, {
      suite: 'stable',
      arch: 'amd64',
      components: { 'server-universal': [{ package: 'server-universal', version: '2.8.0', architecture: 'all', deb }] },
    });
    await expect(fetchSource(source(), await tmp('mab-cache-'), mirrors(forged, key.file), () => {})).rejects.toThrow(
      /dists\/stable\/InRelease has no good signature by key [0-9A-F]{40}/,
    );

    const tampered = path.join(dir, 'repo-tampered');
    await makeAptRepo(tampered, key, {
      suite: 'stable',
      arch: 'amd64',
      components: { 'server-universal': [{ package: 'server-universal', version: '2.8.0', architecture: 'all', deb }] },
    });
    const inRelease = path.join(tampered, 'dists/stable/InRelease');
    await writeFile(inRelease, (await readFile(inRelease, 'utf8')).replace('Origin: mab-test', 'Origin: mab-evil'));
    await expect(fetchSource(source(), await tmp('mab-cache-'), mirrors(tampered, key.file), () => {})).rejects.toThrow(
      /InRelease has no good signature by key .*BADSIG/,
    );
  });

  it('refuses a .deb that is not the one the signed index lists', async () => {
    const swapped = path.join(dir, 'repo-swapped');
    await makeAptRepo(swapped, key, {
      suite: 'stable',
      arch: 'amd64',
      components: { 'server-universal': [{ package: 'server-universal', version: '2.8.0', architecture: 'all', deb }] },
    });
    const pool = path.join(swapped, 'pool/server-universal/s/server-universal');
    await writeFile(path.join(pool, (await readdir(pool))[0]!), 'not the package');
    const cache = await tmp('mab-cache-');
    await expect(fetchSource(source(), cache, mirrors(swapped, key.file), () => {})).rejects.toThrow(
      /server\.deb from .* has sha256 [a-f0-9]{64}, the recipe pins/,
    );
    expect(await readdir(path.join(cache, 'sources', 'apt')).catch(() => [])).toEqual([]);
  });

  it('refuses a repository signed by an expired key, as apt does, and says when it expired', async () => {
    const old = await makeKey(dir, { since: '20200101T000000', expire: '1d' });
    const repo = path.join(dir, 'repo-expired');
    await makeAptRepo(repo, old, {
      suite: 'stable',
      arch: 'amd64',
      components: { 'server-universal': [{ package: 'server-universal', version: '2.8.0', architecture: 'all', deb }] },
      signSince: '20200101T060000',
    });
    const err = fetchSource(
      source({ fingerprint: old.fingerprint }),
      await tmp('mab-cache-'),
      mirrors(repo, old.file),
      () => {},
    );
    await expect(err).rejects.toThrow(new RegExp(`signed by key ${old.fingerprint}, which expired on 2020-01-02`));
  });

  it('says which key it could not fetch', async () => {
    await expect(
      fetchSource(source(), await tmp('mab-cache-'), [parseMirror(`${UPSTREAM}=${path.join(dir, 'repo')}`)], () => {}),
    ).rejects.toThrow(`cannot fetch server.deb: the signing key of ${UPSTREAM} (${KEY_URL}); tried:`);
  });

  it('lists the versions there are when the pinned one is missing, and names a missing index', async () => {
    await expect(
      fetchSource(
        source({ version: '9.9.9' }),
        await tmp('mab-cache-'),
        mirrors(path.join(dir, 'repo'), key.file),
        () => {},
      ),
    ).rejects.toThrow(
      'server-universal=9.9.9 is not in http://apt.vendor.invalid/repo stable/server-universal (amd64); versions there: 2.7.0, 2.8.0',
    );
    await expect(
      fetchSource(
        source({ arch: 'arm64' }),
        await tmp('mab-cache-'),
        mirrors(path.join(dir, 'repo'), key.file),
        () => {},
      ),
    ).rejects.toThrow('lists no server-universal/binary-arm64/Packages');
  });
});
