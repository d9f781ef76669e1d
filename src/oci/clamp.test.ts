import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clampTarTimes } from './clamp.js';

const EPOCH = 1_700_000_000;

async function clamp(tar: Buffer, epoch = EPOCH, chunk = 700): Promise<Buffer> {
  async function* source() {
    for (let i = 0; i < tar.length; i += chunk) yield tar.subarray(i, i + chunk);
  }
  const out: Buffer[] = [];
  for await (const b of clampTarTimes(source(), epoch)) out.push(b);
  return Buffer.concat(out);
}

/** GNU tar's listing, the independent reader: "mode owner size date time name" per entry. */
function listing(file: string): string[] {
  return execFileSync('tar', ['--full-time', '--numeric-owner', '-tvf', file], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' '));
}

/**
 * A tree with times before and after EPOCH, some with fractions, a symlink, and a path over the
 * 100 bytes of ustar's name field (split into its prefix field, a GNU long-name entry, or a PAX
 * path record, per format). The directories keep the time they were made: after EPOCH.
 */
async function tree(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-clamp-'));
  const root = path.join(dir, 'root');
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
  await mkdir(path.join(root, 'etc', long), { recursive: true });
  await writeFile(path.join(root, 'etc', 'old'), 'from a package\n');
  await writeFile(path.join(root, 'etc', 'new'), 'made by a build step\n');
  await writeFile(path.join(root, 'etc', long, 'f'), 'x'.repeat(3000));
  await symlink('old', path.join(root, 'etc', 'link'));
  await utimes(path.join(root, 'etc', 'old'), 1_600_000_000.25, 1_600_000_000.25);
  await utimes(path.join(root, 'etc', 'new'), 1_800_000_000.75, 1_800_000_000.75);
  await utimes(path.join(root, 'etc', long, 'f'), 1_900_000_000, 1_900_000_000);
  return dir;
}

describe('clampTarTimes', () => {
  it.each(['ustar', 'gnu', 'posix'])(
    'clamps every later time of a %s archive and changes nothing else, as GNU tar reads it',
    async (format) => {
      const dir = await tree();
      const file = path.join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '--sort=name', '-cf', file, '-C', path.join(dir, 'root'), 'etc']);
      const out = path.join(dir, 'out.tar');
      await writeFile(out, await clamp(await readFile(file)));
      const before = listing(file);
      const after = listing(out);
      expect(after).toHaveLength(before.length);
      for (const [i, line] of after.entries()) {
        const was = before[i]!;
        if (/ etc\/old$/.test(was))
          expect(line).toBe(was); // earlier than EPOCH: kept
        else expect(line).toMatch(/ 2023-11-14 22:13:20 /); // EPOCH, with no fraction left
        expect(line.replace(/ \d{4}-\d\d-\d\d \S+ /, ' T ')).toBe(was.replace(/ \d{4}-\d\d-\d\d \S+ /, ' T '));
      }
      // The contents are the same bytes.
      const x = (f: string, name: string) =>
        execFileSync('tar', ['-xOf', f, `etc/${name}`], { encoding: 'utf8' }).toString();
      for (const name of ['old', 'new']) expect(x(out, name)).toBe(x(file, name));
      if (format === 'posix') {
        // The PAX records of atime, ctime and the fractional mtimes are clamped too.
        const text = (await readFile(out)).toString('latin1');
        for (const m of text.matchAll(/\d+ (?:m|a|c)time=([\d.]+)\n/g)) expect(Number(m[1])).toBeLessThanOrEqual(EPOCH);
      }
    },
  );

  it('gives back the very bytes when nothing is later than the epoch, in whatever chunks they come', async () => {
    const dir = await tree();
    const file = path.join(dir, 'all.tar');
    execFileSync('tar', ['--format=posix', '-cf', file, '-C', path.join(dir, 'root'), 'etc']);
    const tar = await readFile(file);
    const late = 2_100_000_000; // after every time the tree has
    expect((await clamp(tar, late, 1)).equals(tar)).toBe(true);
    expect((await clamp(tar, late, 1 << 20)).equals(tar)).toBe(true);
    // And the same clamped bytes, however the input is cut.
    expect((await clamp(tar, EPOCH, 512)).equals(await clamp(tar, EPOCH, 10_000))).toBe(true);
  });

  it('refuses a tar that ends inside an entry', async () => {
    const dir = await tree();
    const file = path.join(dir, 'cut.tar');
    execFileSync('tar', ['--format=ustar', '-cf', file, '-C', path.join(dir, 'root'), 'etc/new']);
    await expect(clamp((await readFile(file)).subarray(0, 600))).rejects.toThrow(/ends/);
  });
});
