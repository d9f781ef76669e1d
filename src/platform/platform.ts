/**
 * Platform strings, the one place they are parsed and printed.
 *
 * Users write platforms many ways: `arm64`, `aarch64`, `linux/arm64/v8`, `armhf`, `x86_64`. They all
 * normalize at the boundary to an OCI platform (image-spec `platform` object: os, architecture,
 * variant) and print back in one canonical form, `os/arch[/variant]`, the form buildx and the
 * registry use:
 *
 *   parsePlatform('aarch64')        → { os: 'linux', architecture: 'arm64' }        → 'linux/arm64'
 *   parsePlatform('armhf')          → { os: 'linux', architecture: 'arm', variant: 'v7' }
 *   parsePlatform('linux/arm64/v8') → 'linux/arm64' (v8 is arm64's baseline, so it is dropped,
 *                                      as containerd's normalization does; so is amd64's v1)
 *
 * Nothing here reads the host: callers pass the host platform in.
 */
import { MabError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

interface ArchInfo {
  architecture: string;
  variant?: string;
  /** Debian's name for the architecture (dpkg --print-architecture). */
  debian: string;
  /** What `uname -m` prints inside a container of this platform. */
  uname: string;
  /** binfmt_misc entry name registered by qemu-user-static for it. */
  qemu: string;
  /** GNU triplet: the prefix of Debian's cross tools (aarch64-linux-gnu-gcc). */
  gnu: string;
}

/** The platforms mab builds for, canonical string → facts. */
const ARCHES: Record<string, ArchInfo> = {
  'linux/amd64': {
    architecture: 'amd64',
    debian: 'amd64',
    uname: 'x86_64',
    qemu: 'qemu-x86_64',
    gnu: 'x86_64-linux-gnu',
  },
  'linux/arm64': {
    architecture: 'arm64',
    debian: 'arm64',
    uname: 'aarch64',
    qemu: 'qemu-aarch64',
    gnu: 'aarch64-linux-gnu',
  },
  'linux/arm/v7': {
    architecture: 'arm',
    variant: 'v7',
    debian: 'armhf',
    uname: 'armv7l',
    qemu: 'qemu-arm',
    gnu: 'arm-linux-gnueabihf',
  },
  // Debian's armel is built for ARMv5TE, which ARMv6 boards (the first Raspberry Pis) run too:
  // both variants take its packages, and `armel` itself means the one Debian targets.
  'linux/arm/v6': {
    architecture: 'arm',
    variant: 'v6',
    debian: 'armel',
    uname: 'armv7l',
    qemu: 'qemu-arm',
    gnu: 'arm-linux-gnueabi',
  },
  'linux/arm/v5': {
    architecture: 'arm',
    variant: 'v5',
    debian: 'armel',
    uname: 'armv7l',
    qemu: 'qemu-arm',
    gnu: 'arm-linux-gnueabi',
  },
  'linux/386': { architecture: '386', debian: 'i386', uname: 'i686', qemu: 'qemu-i386', gnu: 'i686-linux-gnu' },
  'linux/ppc64le': {
    architecture: 'ppc64le',
    debian: 'ppc64el',
    uname: 'ppc64le',
    qemu: 'qemu-ppc64le',
    gnu: 'powerpc64le-linux-gnu',
  },
  'linux/s390x': { architecture: 's390x', debian: 's390x', uname: 's390x', qemu: 'qemu-s390x', gnu: 's390x-linux-gnu' },
  'linux/riscv64': {
    architecture: 'riscv64',
    debian: 'riscv64',
    uname: 'riscv64',
    qemu: 'qemu-riscv64',
    gnu: 'riscv64-linux-gnu',
  },
  // x86-64 microarchitecture levels (v2: SSE4.2, v3: AVX2, v4: AVX-512): the same Debian arch, but
  // an index can carry a build per level and engines pick the best one the CPU runs.
  'linux/amd64/v2': {
    architecture: 'amd64',
    variant: 'v2',
    debian: 'amd64',
    uname: 'x86_64',
    qemu: 'qemu-x86_64',
    gnu: 'x86_64-linux-gnu',
  },
  'linux/amd64/v3': {
    architecture: 'amd64',
    variant: 'v3',
    debian: 'amd64',
    uname: 'x86_64',
    qemu: 'qemu-x86_64',
    gnu: 'x86_64-linux-gnu',
  },
  'linux/amd64/v4': {
    architecture: 'amd64',
    variant: 'v4',
    debian: 'amd64',
    uname: 'x86_64',
    qemu: 'qemu-x86_64',
    gnu: 'x86_64-linux-gnu',
  },
};

export const SUPPORTED_PLATFORMS = Object.keys(ARCHES);

/** Spellings people use for an architecture, mapped to the OCI name and default variant. */
const ALIASES: Record<string, [string, string?]> = {
  amd64: ['amd64'],
  x86_64: ['amd64'],
  'x86-64': ['amd64'],
  arm64: ['arm64'],
  aarch64: ['arm64'],
  arm: ['arm', 'v7'],
  armhf: ['arm', 'v7'],
  armv7: ['arm', 'v7'],
  armv7l: ['arm', 'v7'],
  armel: ['arm', 'v5'],
  armv5: ['arm', 'v5'],
  armv5te: ['arm', 'v5'],
  armv6: ['arm', 'v6'],
  armv6l: ['arm', 'v6'],
  '386': ['386'],
  i386: ['386'],
  i686: ['386'],
  x86: ['386'],
  ppc64le: ['ppc64le'],
  ppc64el: ['ppc64le'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
};

export function parsePlatform(input: string): Platform {
  const raw = input.trim().toLowerCase();
  const parts = raw.split('/');
  // "arm64" and "arm/v7" have no os; "linux/arm64" and "linux/arm/v7" do.
  const hasOs = parts.length === 3 || (parts.length === 2 && !/^v\d$/.test(parts[1]!));
  const os = hasOs ? parts.shift()! : 'linux';
  const [arch, variant, ...rest] = parts;
  const alias = arch !== undefined ? ALIASES[arch] : undefined;
  if (os !== 'linux' || !alias || rest.length > 0) throw unsupported(input);
  let v = variant ?? alias[1];
  // The baseline variant is the absence of one (containerd normalizes the same way).
  if ((alias[0] === 'arm64' && v === 'v8') || (alias[0] === 'amd64' && v === 'v1')) v = undefined;
  const p: Platform = { os, architecture: alias[0], ...(v ? { variant: v } : {}) };
  if (!ARCHES[formatPlatform(p)]) throw unsupported(input);
  return p;
}

/**
 * Every spelling parsePlatform accepts, in lower case and without surrounding blanks: each alias,
 * with or without "linux/", with or without a variant that names a known platform (or the
 * baseline one it drops). For the recipe schema, which lists them for editors.
 */
export function platformSpellings(): string[] {
  const variants = [undefined, 'v1', 'v8', ...new Set(Object.values(ARCHES).map((a) => a.variant))];
  const out = new Set<string>();
  for (const alias of Object.keys(ALIASES))
    for (const os of ['', 'linux/'])
      for (const v of variants) {
        const spelling = `${os}${alias}${v ? `/${v}` : ''}`;
        if (isPlatform(spelling)) out.add(spelling);
      }
  return [...out];
}

function isPlatform(text: string): boolean {
  try {
    parsePlatform(text);
    return true;
  } catch {
    return false;
  }
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Parses a comma-separated list (`arm64,amd64`), normalizing and removing duplicates, order kept. */
export function parsePlatformList(input: string): Platform[] {
  const seen = new Set<string>();
  const out: Platform[] = [];
  for (const item of input
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const p = parsePlatform(item);
    const key = formatPlatform(p);
    if (!seen.has(key)) (seen.add(key), out.push(p));
  }
  if (out.length === 0)
    throw new MabError('E_PLATFORM', `no platform given in "${input}"`, `pass e.g. --arch arm64,amd64`);
  return out;
}

export function platformInfo(p: Platform): ArchInfo {
  const info = ARCHES[formatPlatform(p)];
  if (!info) throw unsupported(formatPlatform(p));
  return info;
}

export function samePlatform(a: Platform, b: Platform): boolean {
  return formatPlatform(a) === formatPlatform(b);
}

/** Short form for tags and file names: linux/arm/v7 → arm-v7, linux/arm64 → arm64. */
export function platformSlug(p: Platform): string {
  return [p.architecture, p.variant].filter(Boolean).join('-');
}

/** Node's process.arch to a platform, for host detection done by the caller. */
export function platformFromNodeArch(arch: string): Platform {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm/v7',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return parsePlatform(map[arch] ?? arch);
}

function unsupported(input: string): MabError {
  return new MabError(
    'E_PLATFORM',
    `unknown platform "${input}"; supported: ${SUPPORTED_PLATFORMS.join(', ')}`,
    'use one of those, or an alias such as amd64, x86_64, arm64, aarch64, arm/v7, armhf',
  );
}
