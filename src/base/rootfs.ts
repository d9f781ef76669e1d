/**
 * Debian root filesystems from Debian's own packages, for base images where Docker Hub is out of
 * reach. mmdebstrap builds a minbase tree (what Docker's debian images start from); a foreign
 * architecture runs its maintainer scripts under QEMU, so expect ~2 minutes per foreign arch.
 * The tarball is cached: a second `mab base` reuses it unless --refresh is given.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import { formatPlatform, platformInfo, type Platform } from '../platform/platform.js';
import { atomicWrite } from '../util/io.js';

export type SecurityMode = 'on' | 'off' | 'auto';

export interface RootfsOptions {
  suite: string;
  /** Include SUITE-security; `auto` drops it for a platform whose security index is broken. */
  security: SecurityMode;
  platform: Platform;
  cacheDir: string;
  mirror: string;
  refresh: boolean;
  log: (msg: string) => void;
}

export function aptSources(suite: string, mirror: string, security: boolean): string[] {
  const securityMirror = mirror.replace(/\/debian\/?$/, '/debian-security');
  const lines = [`deb ${mirror} ${suite} main`, `deb ${mirror} ${suite}-updates main`];
  return security ? [...lines, `deb ${securityMirror} ${suite}-security main`] : lines;
}

export interface Rootfs {
  path: string;
  cached: boolean;
  /** Whether SUITE-security is in the image's apt sources (and its updates in the tree). */
  security: boolean;
}

export async function debianRootfs(o: RootfsOptions): Promise<Rootfs> {
  const arch = platformInfo(o.platform).debian;
  // The cache key includes a hash of the exact mmdebstrap call: a change of options is a new tree.
  const key = (security: boolean) =>
    createHash('sha256')
      .update(mmdebstrapArgs(o, arch, security, '').join(' '))
      .digest('hex')
      .slice(0, 12);
  const file = (security: boolean) =>
    path.join(
      o.cacheDir,
      'rootfs',
      `debian-${o.suite}-${arch}-minbase${security ? '' : '-nosecurity'}-${key(security)}.tar`,
    );
  const modes = o.security === 'auto' ? [true, false] : [o.security === 'on'];
  if (!o.refresh) {
    for (const security of modes)
      if (await stat(file(security)).catch(() => undefined)) return { path: file(security), cached: true, security };
  }
  for (const [i, security] of modes.entries()) {
    try {
      await mmdebstrap(o, arch, security, file(security));
      return { path: file(security), cached: false, security };
    } catch (e) {
      const brokenSecurity = security && /debian-security/.test((e as Error).message);
      if (i === modes.length - 1 || !brokenSecurity) throw e;
      o.log(
        `WARNING ${formatPlatform(o.platform)}: the mirror's ${o.suite}-security index is broken; building WITHOUT security updates (--security auto)`,
      );
    }
  }
  throw new Error('unreachable');
}

function mmdebstrapArgs(o: RootfsOptions, arch: string, security: boolean, out: string): string[] {
  return [
    '--variant=minbase',
    `--architectures=${arch}`,
    '--format=tar',
    // Merged /usr via usr-is-merged, as Docker's debian images have it; without the hook, apt picks
    // the usrmerge package, which drags full perl (~35 MB) into every image.
    '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
    o.suite,
    out,
    ...aptSources(o.suite, o.mirror, security),
  ];
}

async function mmdebstrap(o: RootfsOptions, arch: string, security: boolean, dest: string): Promise<void> {
  o.log(
    `${formatPlatform(o.platform)}: mmdebstrap ${o.suite} (${arch}${security ? '' : ', no security suite'}) from ${o.mirror}`,
  );
  await atomicWrite(dest, async (tmp) => {
    const run = await execa('mmdebstrap', mmdebstrapArgs(o, arch, security, tmp), {
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    if (run.exitCode !== 0) {
      const lines = (run.all ?? '').split('\n').filter((l) => !l.startsWith('I: '));
      const tail = [...lines.filter((l) => /^(E|Err):/.test(l)).slice(0, 5), ...lines.slice(-8)].join('\n');
      const hint = /arch-test|binfmt|exec format/i.test(tail)
        ? 'register QEMU for this architecture: bash scripts/setup-host.sh'
        : run.failed && (run as { code?: string }).code === 'ENOENT'
          ? 'install it: apt-get install mmdebstrap arch-test'
          : 'check that the Debian mirror is reachable, or pass --debian-mirror';
      throw new MabError('E_ROOTFS', `mmdebstrap failed for ${o.suite}/${arch}:\n${tail}`, hint);
    }
  });
}
