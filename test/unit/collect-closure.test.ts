/**
 * templates/collect-closure.sh's record of the Debian packages the kept files come from, run as a
 * minimal-cross build stage runs it (`sh`, --cross), on a ROOT made here as unpack-target.sh makes
 * one: stanzas in the order of the packages' control files, a Multi-Arch: same package's
 * NAME:ARCH.list, a list naming /lib/… for what merged /usr puts at /usr/lib/…, and a conffile.
 * No engine: the libraries are not ELF files, so nothing but the kept paths is copied. What it
 * records is then read back by mab sbom's code from a layer of OUT.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageSbom } from '../../src/supply/sbom.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../templates/collect-closure.sh');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const LIB = 'a demo library';
const DATA = 'demo data';
const CONF = 'setting = 1\n';

let dir: string;
let root: string;
let program: string;

async function put(file: string, text: string) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-closure-'));
  root = path.join(dir, 'root');
  const db = path.join(root, 'var/lib/dpkg');
  for (const d of ['bin', 'sbin', 'lib']) {
    await mkdir(path.join(root, 'usr', d), { recursive: true });
    await symlink(`usr/${d}`, path.join(root, d));
  }
  const libdir = path.join(root, 'usr/lib/aarch64-linux-gnu');
  await put(path.join(libdir, 'libdemo.so.1.2'), LIB);
  await put(path.join(libdir, 'libdemo-extra.so'), 'not kept');
  await symlink('libdemo.so.1.2', path.join(libdir, 'libdemo.so.1'));
  await put(path.join(root, 'usr/share/demo/data.txt'), DATA);
  await put(path.join(root, 'etc/demo.conf'), CONF);
  await put(path.join(root, 'usr/bin/unrelated'), 'not kept');
  // As unpack-target.sh appends them: Package, Status, then the control file's fields in its order.
  await put(
    path.join(db, 'status'),
    [
      '',
      'Package: libdemo1',
      'Status: install ok installed',
      'Source: demo (1.2-1)',
      'Version: 1.2-1+b1',
      'Architecture: arm64',
      'Maintainer: Someone <someone@example.org>',
      'Installed-Size: 40',
      'Depends: libc6 (>= 2.34)',
      'Section: libs',
      'Priority: optional',
      'Multi-Arch: same',
      'Homepage: https://example.org/demo',
      'Description: demo library',
      ' It demonstrates.',
      ' .',
      ' More.',
      '',
      'Package: demo-common',
      'Status: install ok installed',
      'Source: demo',
      'Version: 1.2-1',
      'Architecture: all',
      'Maintainer: Someone <someone@example.org>',
      'Installed-Size: 8',
      'Description: demo data',
      '',
      'Package: unrelated',
      'Status: install ok installed',
      'Version: 1',
      'Architecture: arm64',
      'Description: not kept',
      '',
    ].join('\n'),
  );
  const info = path.join(db, 'info');
  await put(
    path.join(info, 'libdemo1:arm64.list'),
    ['/.', '/lib', '/lib/aarch64-linux-gnu', 'libdemo-extra.so', 'libdemo.so.1', 'libdemo.so.1.2']
      .map((p) => (p.startsWith('/') ? p : `/lib/aarch64-linux-gnu/${p}`))
      .join('\n') + '\n',
  );
  await put(
    path.join(info, 'libdemo1:arm64.md5sums'),
    `${md5('not kept')}  lib/aarch64-linux-gnu/libdemo-extra.so\n${md5(LIB)}  lib/aarch64-linux-gnu/libdemo.so.1.2\n`,
  );
  await put(
    path.join(info, 'demo-common.list'),
    '/.\n/etc\n/etc/demo.conf\n/usr\n/usr/share\n/usr/share/demo\n/usr/share/demo/data.txt\n',
  );
  await put(path.join(info, 'demo-common.md5sums'), `${md5(DATA)}  usr/share/demo/data.txt\n`);
  await put(path.join(info, 'demo-common.conffiles'), '/etc/demo.conf\n');
  await put(path.join(info, 'unrelated.list'), '/.\n/usr\n/usr/bin\n/usr/bin/unrelated\n');
  // What the build steps made, in this stage: no package lists it.
  program = path.join(dir, 'stage/app/run');
  await put(program, 'the program');
});

/** Runs the script as the build stage does, into a new OUT; its files, by path, as text. */
async function collect(): Promise<{ out: string; files: Record<string, string> }> {
  const out = await mkdtemp(path.join(dir, 'out-'));
  const kept = ['usr/lib/aarch64-linux-gnu/libdemo.so.1', 'usr/share/demo', 'etc/demo.conf', program.slice(1)];
  const r = await execa('sh', [SCRIPT, '--cross', 'aarch64-linux-gnu', root, out, ...kept], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/2 Debian packages recorded/);
  const sd = path.join(out, 'var/lib/dpkg/status.d');
  const files: Record<string, string> = {};
  for (const f of (await readdir(sd)).sort()) files[f] = await readFile(path.join(sd, f), 'utf8');
  return { out, files };
}

describe('collect-closure.sh records the packages of the kept files', () => {
  it('writes each stanza as dpkg-query -s prints it, and md5sums of the kept files at their paths in OUT', async () => {
    const { files } = await collect();
    expect(Object.keys(files)).toEqual(['demo-common', 'demo-common.md5sums', 'libdemo1', 'libdemo1.md5sums']);
    expect(files.libdemo1).toBe(
      [
        'Package: libdemo1',
        'Status: install ok installed',
        'Priority: optional',
        'Section: libs',
        'Installed-Size: 40',
        'Maintainer: Someone <someone@example.org>',
        'Architecture: arm64',
        'Multi-Arch: same',
        'Source: demo (1.2-1)',
        'Version: 1.2-1+b1',
        'Depends: libc6 (>= 2.34)',
        'Description: demo library',
        ' It demonstrates.',
        ' .',
        ' More.',
        'Homepage: https://example.org/demo',
        '',
      ].join('\n'),
    );
    // Listed as /lib/…, kept at /usr/lib/…; the link libdemo.so.1 is in no md5sums.
    expect(files['libdemo1.md5sums']).toBe(`${md5(LIB)}  usr/lib/aarch64-linux-gnu/libdemo.so.1.2\n`);
    // The conffile, as dpkg would have recorded it, before Description.
    expect(files['demo-common']).toContain(`Installed-Size: 8\nMaintainer: Someone <someone@example.org>\n`);
    expect(files['demo-common']).toContain(`Conffiles:\n /etc/demo.conf ${md5(CONF)}\nDescription: demo data\n`);
    expect(files['demo-common.md5sums']).toBe(`${md5(DATA)}  usr/share/demo/data.txt\n`);
  });

  it('writes the same bytes every time', async () => {
    expect((await collect()).files).toEqual((await collect()).files);
  });

  it('gives mab sbom each package with the kept files it owns, and nothing for the program', async () => {
    const { out } = await collect();
    const tar = (await execa('tar', ['-C', out, '-cf', '-', '.'], { encoding: 'buffer' })).stdout;
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: 'l0', size: tar.length };
    const doc = await imageSbom({
      name: 'demo',
      tool: 'mab-0.1.0',
      image: {
        platform: { os: 'linux', architecture: 'arm64' },
        digest: `sha256:${'d'.repeat(64)}`,
        layers: [layer],
        config: {} as never,
      },
      open: async () => Readable.from([tar]),
    });
    expect(doc.packages.map((p) => `${p.name} ${p.versionInfo}`).slice(1)).toEqual([
      'demo-common 1.2-1',
      'libdemo1 1.2-1+b1',
    ]);
    expect(doc.files!.map((f) => f.fileName)).toEqual([
      '/etc/demo.conf',
      '/usr/lib/aarch64-linux-gnu/libdemo.so.1.2',
      '/usr/share/demo/data.txt',
    ]);
    expect(doc.files!.every((f) => f.comment === undefined)).toBe(true);
  });
});
