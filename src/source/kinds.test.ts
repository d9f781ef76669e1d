import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, parseMirror, placeSource } from './fetch.js';
import { parseDscChecksums } from './debian.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const tmp = (p: string) => mkdtemp(path.join(os.tmpdir(), p));
const quiet = () => {};
const git = (dir: string, args: string[]) =>
  execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);

describe('git sources', () => {
  let repo: string;
  let first: string;
  let second: string;
  beforeAll(async () => {
    repo = await tmp('mab-git-');
    await git(repo, ['init', '-q']);
    await writeFile(path.join(repo, 'README'), 'one\n');
    await git(repo, ['add', '.']);
    await git(repo, ['commit', '-qm', 'one']);
    first = (await git(repo, ['rev-parse', 'HEAD'])).stdout;
    await writeFile(path.join(repo, 'README'), 'two\n');
    await git(repo, ['commit', '-qam', 'two']);
    second = (await git(repo, ['rev-parse', 'HEAD'])).stdout;
  });

  it('fetches the tree of a pinned commit that is not a branch tip, through a mirror, and caches it', async () => {
    const cache = await tmp('mab-cache-');
    const spec = { kind: 'git' as const, file: 'app', url: 'https://git.invalid/app.git', commit: first };
    const got = await fetchSource(spec, cache, [parseMirror(`https://git.invalid/app.git=${repo}`)], quiet);
    expect(got).toEqual({ kind: 'tree', tar: path.join(cache, 'sources', 'git', `${first}.tar`) });
    const ctx = await tmp('mab-ctx-');
    await placeSource(got, ctx, 'app');
    expect(await readFile(path.join(ctx, 'app', 'README'), 'utf8')).toBe('one\n');
    // Cached: no mirror and an unreachable URL still work, and nothing is left of the fetch repo.
    expect(await fetchSource(spec, cache, [], quiet)).toEqual(got);
    expect(await readdir(path.join(cache, 'sources', 'git'))).toEqual([`${first}.tar`]);
    expect(second).not.toBe(first);
  });

  it('takes only the listed paths, from a clone that lacks a blob outside them', async () => {
    // A mirror can be incomplete (a snapshot without some large file): fetching the whole tree
    // fails, the listed paths do not need the missing blob.
    const full = await tmp('mab-git-');
    await git(full, ['init', '-q']);
    await execa('mkdir', ['-p', path.join(full, 'lib'), path.join(full, 'media')]);
    await writeFile(path.join(full, 'lib', 'code.py'), 'print(1)\n');
    await writeFile(path.join(full, 'tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(path.join(full, 'media', 'big.gif'), 'GIF89a pretend\n');
    await git(full, ['add', '.']);
    await git(full, ['commit', '-qm', 'c']);
    const commit = (await git(full, ['rev-parse', 'HEAD'])).stdout;
    const gifBlob = (await git(full, ['rev-parse', 'HEAD:media/big.gif'])).stdout;
    await rm(path.join(full, '.git', 'objects', gifBlob.slice(0, 2), gifBlob.slice(2)));
    const spec = { kind: 'git' as const, file: 'app', url: 'https://git.invalid/app.git', commit };
    const mirrors = [parseMirror(`https://git.invalid/app.git=${full}`)];
    await expect(fetchSource(spec, await tmp('mab-cache-'), mirrors, quiet)).rejects.toThrow(/cannot fetch app/);

    const cache = await tmp('mab-cache-');
    const got = await fetchSource({ ...spec, paths: ['lib', 'tool.sh'] }, cache, mirrors, quiet);
    const tar = got.kind === 'tree' ? got.tar : '';
    expect((await execa('tar', ['-tvf', tar])).stdout).toMatch(/^-rwxr-xr-x 0\/0 .* tool\.sh$/m);
    expect((await execa('tar', ['-tf', tar])).stdout.split('\n').sort()).toEqual(['lib/', 'lib/code.py', 'tool.sh']);
    // The same paths give the same bytes; other paths are another cache entry.
    const again = await fetchSource({ ...spec, paths: ['lib', 'tool.sh'] }, await tmp('mab-cache-'), mirrors, quiet);
    expect(sha(await readFile(again.kind === 'tree' ? again.tar : ''))).toBe(sha(await readFile(tar)));
    await expect(fetchSource({ ...spec, paths: ['lib', 'nothing-here'] }, cache, mirrors, quiet)).rejects.toThrow(
      /app: commit [a-f0-9]{12} has no nothing-here/,
    );
    expect((await readdir(path.join(cache, 'sources', 'git'))).filter((f) => !f.startsWith('.'))).toHaveLength(1);
  });

  it('names the commit and every place tried when no clone has it', async () => {
    const cache = await tmp('mab-cache-');
    const missing = 'f'.repeat(40);
    const err = await fetchSource(
      { kind: 'git', file: 'app', url: 'https://git.invalid/app.git', commit: missing },
      cache,
      [parseMirror(`https://git.invalid/app.git=${repo}`)],
      quiet,
    ).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(
      new RegExp(
        `cannot fetch app \\(git commit ${missing}\\); tried:\\n  ${repo}: .+\\n  https://git\\.invalid/app\\.git: `,
      ),
    );
    expect(await readdir(path.join(cache, 'sources', 'git'))).toEqual([]);
  });
});

describe('Debian source packages', () => {
  let archive: string;
  let dscSha: string;
  const orig = Buffer.from('pretend orig tarball\n');
  const deb = Buffer.from('pretend debian tarball\n');
  const dscText = (debSha: string) =>
    [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA256',
      '',
      'Format: 3.0 (quilt)',
      'Source: demo',
      'Version: 1:1.0-2',
      'Checksums-Sha256:',
      ` ${sha(orig)} ${orig.length} demo_1.0.orig.tar.gz`,
      ` ${debSha} ${deb.length} demo_1.0-2.debian.tar.xz`,
      'Files:',
      ' 0123 1 demo_1.0.orig.tar.gz',
      '',
      '-----BEGIN PGP SIGNATURE-----',
      '',
    ].join('\n');
  beforeAll(async () => {
    archive = await tmp('mab-archive-');
    const pool = path.join(archive, 'pool', 'main', 'd', 'demo');
    await execa('mkdir', ['-p', pool]);
    await writeFile(path.join(pool, 'demo_1.0.orig.tar.gz'), orig);
    await writeFile(path.join(pool, 'demo_1.0-2.debian.tar.xz'), deb);
    await writeFile(path.join(pool, 'demo_1.0-2.dsc'), dscText(sha(deb)));
    dscSha = sha(dscText(sha(deb)));
  });

  it('reads Checksums-Sha256 inside a signed .dsc', () => {
    expect(parseDscChecksums(dscText('a'.repeat(64)), 'demo.dsc').map((f) => f.name)).toEqual([
      'demo_1.0.orig.tar.gz',
      'demo_1.0-2.debian.tar.xz',
    ]);
    expect(() => parseDscChecksums('Source: x\n', 'x.dsc')).toThrow(/x\.dsc has no Checksums-Sha256 field/);
    expect(() => parseDscChecksums('Checksums-Sha256:\n ../../etc/passwd 1 x\n', 'x.dsc')).toThrow(
      /cannot read Checksums-Sha256 line/,
    );
  });

  it('fetches the .dsc by its pin and every listed file by the .dsc checksums', async () => {
    const cache = await tmp('mab-cache-');
    const url = 'http://deb.debian.org/debian/pool/main/d/demo/demo_1.0-2.dsc';
    const got = await fetchSource(
      { kind: 'debian', file: 'demo', url, sha256: dscSha },
      cache,
      [parseMirror(`http://deb.debian.org/debian/=${archive}/`)],
      quiet,
    );
    const ctx = await tmp('mab-ctx-');
    await placeSource(got, ctx, 'demo');
    expect((await readdir(path.join(ctx, 'demo'))).sort()).toEqual([
      'demo_1.0-2.debian.tar.xz',
      'demo_1.0-2.dsc',
      'demo_1.0.orig.tar.gz',
    ]);
  });

  it('refuses a listed file that does not match the .dsc', async () => {
    const evil = await tmp('mab-archive-');
    const pool = path.join(evil, 'pool', 'main', 'd', 'demo');
    await execa('mkdir', ['-p', pool]);
    const text = dscText(sha('another debian tarball\n'));
    await writeFile(path.join(pool, 'demo_1.0-2.dsc'), text);
    await writeFile(path.join(pool, 'demo_1.0.orig.tar.gz'), orig);
    await writeFile(path.join(pool, 'demo_1.0-2.debian.tar.xz'), deb);
    const url = 'http://deb.debian.org/debian/pool/main/d/demo/demo_1.0-2.dsc';
    await expect(
      fetchSource(
        { kind: 'debian', file: 'demo', url, sha256: sha(text) },
        await tmp('mab-cache-'),
        [parseMirror(`http://deb.debian.org/debian/=${evil}/`)],
        quiet,
      ),
    ).rejects.toThrow(/demo_1\.0-2\.debian\.tar\.xz from .* has sha256 [a-f0-9]{64}, the recipe pins/);
  });
});

describe('unpack', () => {
  const model = Buffer.from('weights '.repeat(1000));
  it.each([
    ['gzip', () => gzipSync(model)],
    ['bzip2', async () => (await execa('bzip2', ['-c'], { input: model, encoding: 'buffer' })).stdout],
    ['xz', async () => (await execa('xz', ['-c'], { input: model, encoding: 'buffer' })).stdout],
  ] as const)('decompresses %s on the host after checking the packed file', async (how, pack) => {
    const dir = await tmp('mab-files-');
    const packed = Buffer.from(await pack());
    await writeFile(path.join(dir, 'm.bin.packed'), packed);
    const cache = await tmp('mab-cache-');
    const got = await fetchSource(
      { kind: 'url', file: 'm.bin', url: `file://${dir}/m.bin.packed`, sha256: sha(packed), unpack: how },
      cache,
      [],
      quiet,
    );
    expect(got.kind === 'file' && (await readFile(got.path)).equals(model)).toBe(true);
  });

  it('says which file is not what unpack says', async () => {
    const dir = await tmp('mab-files-');
    await writeFile(path.join(dir, 'plain'), model);
    const err = fetchSource(
      { kind: 'url', file: 'm.bin', url: `file://${dir}/plain`, sha256: sha(model), unpack: 'bzip2' },
      await tmp('mab-cache-'),
      [],
      quiet,
    );
    await expect(err).rejects.toThrow(/cannot bzip2-decompress m\.bin \(file:.*plain\): bzip2: it is not a bzip2 file/);
  });
});
