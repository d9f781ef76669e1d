/**
 * The helper shell `shell:` smoke checks run with: the busybox binary of Debian's busybox-static
 * for the image's architecture (static, so it runs in an image with no libc, and built with its
 * applets preferred, so `ls | grep` work in a `minimal` image). The .deb is found in the suite's
 * signed index, fetched on the host against the sha256 it lists, and its binary kept in the cache.
 */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import { atomicWrite } from '../util/io.js';
import { fetchFile } from './fetch.js';
import type { Mirror } from './mirror.js';
import type { SuiteIndex } from './package-index.js';

/** A directory holding the helper shell for arch (its busybox binary), to be copied into a check's container. */
export async function smokeShell(
  index: SuiteIndex,
  arch: string,
  cacheDir: string,
  mirrors: Mirror[],
  log: (m: string) => void,
): Promise<string> {
  const names = await index.names(arch);
  const deb = names?.files.get('busybox-static');
  if (!deb)
    throw new MabError(
      'E_SMOKE_SHELL',
      `Debian ${index.archive.suite} has no busybox-static for ${arch}, the helper shell of the recipe's shell: smoke checks`,
      'write those checks as run: commands of the image',
    );
  const dir = path.join(cacheDir, 'smoke-shell', deb.sha256);
  const busybox = path.join(dir, 'busybox');
  log(`smoke checks: helper shell busybox ${deb.version} (${arch})`);
  if (await stat(busybox).catch(() => undefined)) return dir;
  const file = await fetchFile(
    { file: path.basename(deb.filename), url: `${index.archive.url}/${deb.filename}`, sha256: deb.sha256 },
    cacheDir,
    mirrors,
    log,
  );
  await mkdir(path.dirname(busybox), { recursive: true });
  await atomicWrite(busybox, async (tmp) => {
    const r = await execa('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO ./bin/busybox', 'sh', file], {
      encoding: 'buffer',
      reject: false,
      maxBuffer: 64e6,
    });
    if (r.exitCode !== 0 || r.stdout.length === 0)
      throw new MabError(
        'E_SMOKE_SHELL',
        `cannot take bin/busybox out of ${file}: ${Buffer.from(r.stderr).toString().trim()}`,
        'is dpkg-deb installed (package dpkg)?',
      );
    await writeFile(tmp, r.stdout);
    await chmod(tmp, 0o755);
  });
  return dir;
}
