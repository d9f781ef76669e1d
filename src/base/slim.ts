/**
 * Derives a "-slim" rootfs from a full one, the way Docker's official debian:*-slim images are
 * made: documentation, man pages and translations are dropped (copyright files stay, as Debian
 * requires), and a dpkg config makes later `apt-get install` steps skip them too.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** dpkg path filters, also written into the image so derived layers stay slim. */
export const SLIM_DPKG_CFG = [
  'path-exclude /usr/share/doc/*',
  'path-include /usr/share/doc/*/copyright',
  'path-exclude /usr/share/info/*',
  'path-exclude /usr/share/linda/*',
  'path-exclude /usr/share/lintian/overrides/*',
  'path-exclude /usr/share/locale/*',
  'path-exclude /usr/share/man/*',
  '',
].join('\n');

const DROP = SLIM_DPKG_CFG.split('\n')
  .filter((l) => l.startsWith('path-exclude'))
  .map((l) => l.split(' ')[1]!.replace('/*', '/'));

export function keepInSlim(entryName: string): boolean {
  const p = '/' + entryName.replace(/^\.?\//, '');
  if (/^\/usr\/share\/doc\/[^/]+\/copyright$/.test(p)) return true;
  // The directories themselves stay (dpkg expects them); only what is under them goes.
  return !DROP.some((dir) => p.startsWith(dir) && p.length > dir.length);
}

/** Extra files every mab Debian base carries; the slim one also gets the dpkg filters. */
export function baseExtras(slim: boolean): Record<string, string> {
  const files: Record<string, string> = {
    // Keep downloaded .debs out of image layers (Docker's debian images do the same).
    'etc/apt/apt.conf.d/docker-clean':
      'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
      'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
      'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n',
    'etc/apt/apt.conf.d/docker-no-languages': 'Acquire::Languages "none";\n',
  };
  if (slim) files['etc/dpkg/dpkg.cfg.d/docker'] = SLIM_DPKG_CFG;
  return files;
}

/**
 * Copies a rootfs tar to `out`, dropping entries `keep` rejects and adding `extras`.
 * Streams entry by entry: a rootfs never sits in memory.
 */
export async function rewriteRootfs(
  input: string,
  out: string,
  keep: (name: string) => boolean,
  extras: Record<string, string>,
  mtime: Date,
): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  const extraNames = new Set(Object.keys(extras).map((n) => './' + n));
  extract.on('entry', (header, stream, next) => {
    if (!keep(header.name) || extraNames.has(header.name)) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    stream.pipe(pack.entry(header, next));
  });
  extract.on('finish', () => {
    for (const [name, content] of Object.entries(extras)) {
      pack.entry({ name: './' + name, mode: 0o644, uid: 0, gid: 0, mtime }, content);
    }
    pack.finalize();
  });
  await Promise.all([pipeline(createReadStream(input), extract), pipeline(pack, createWriteStream(out))]);
}
