import { describe, expect, it } from 'vitest';
import {
  SUPPORTED_PLATFORMS,
  formatPlatform,
  parsePlatform,
  parsePlatformList,
  platformInfo,
  platformSlug,
  platformSpellings,
} from './platform.js';

describe('parsePlatform', () => {
  // input → canonical; every canonical form must parse back to itself.
  const table: [string, string][] = [
    ['arm64', 'linux/arm64'],
    ['aarch64', 'linux/arm64'],
    ['linux/arm64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['arm64/v8', 'linux/arm64'],
    ['arm/v7', 'linux/arm/v7'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['armhf', 'linux/arm/v7'],
    ['arm', 'linux/arm/v7'],
    // Debian's armel targets ARMv5TE.
    ['armel', 'linux/arm/v5'],
    ['armv5te', 'linux/arm/v5'],
    ['arm/v6', 'linux/arm/v6'],
    ['amd64', 'linux/amd64'],
    ['x86_64', 'linux/amd64'],
    ['linux/amd64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['amd64/v3', 'linux/amd64/v3'],
    ['x86_64/v2', 'linux/amd64/v2'],
    [' AMD64 ', 'linux/amd64'],
    ['i386', 'linux/386'],
    ['ppc64el', 'linux/ppc64le'],
    ['riscv64', 'linux/riscv64'],
  ];
  it.each(table)('%s → %s, and back', (input, canonical) => {
    const p = parsePlatform(input);
    expect(formatPlatform(p)).toBe(canonical);
    expect(formatPlatform(parsePlatform(canonical))).toBe(canonical);
  });

  it('gives OCI fields', () => {
    expect(parsePlatform('armhf')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('aarch64')).toEqual({ os: 'linux', architecture: 'arm64' });
  });

  it.each(['windows/amd64', 'mips', 'arm64/v9/x', 'linux/arm/v4', 'amd64/v5', '', 'linux'])(
    'refuses %j and lists the supported ones',
    (bad) => {
      expect(() => parsePlatform(bad)).toThrow(
        /unknown platform .*supported: linux\/amd64, linux\/arm64, linux\/arm\/v7/,
      );
    },
  );
});

describe('platform lists and facts', () => {
  it('parses lists, normalizes and drops duplicates in order', () => {
    expect(parsePlatformList('arm64,amd64,aarch64, x86_64').map(formatPlatform)).toEqual([
      'linux/arm64',
      'linux/amd64',
    ]);
  });
  it('refuses an empty list', () => {
    expect(() => parsePlatformList(' , ')).toThrow(/no platform/);
  });
  it('knows Debian, uname and QEMU names', () => {
    expect(platformInfo(parsePlatform('arm/v7'))).toMatchObject({ debian: 'armhf', uname: 'armv7l', qemu: 'qemu-arm' });
    expect(platformInfo(parsePlatform('arm64'))).toMatchObject({
      debian: 'arm64',
      uname: 'aarch64',
      qemu: 'qemu-aarch64',
    });
    expect(platformSlug(parsePlatform('arm/v7'))).toBe('arm-v7');
  });
});

describe('platformSpellings', () => {
  it('lists exactly the lower-case spellings parsePlatform accepts', () => {
    const spellings = new Set(platformSpellings());
    const arches = ['amd64', 'x86_64', 'x86-64', 'arm64', 'aarch64', 'arm', 'armhf', 'armv7', 'armv7l', 'armel'];
    arches.push('armv5', 'armv5te', 'armv6', 'armv6l', '386', 'i386', 'i686', 'x86', 'ppc64le', 'ppc64el');
    arches.push('s390x', 'riscv64', 'mips', 'amd', 'arm32', 'ppc64');
    const variants = ['', ...Array.from({ length: 11 }, (_, i) => `/v${i}`), '/x'];
    let accepted = 0;
    for (const os of ['', 'linux/', 'windows/'])
      for (const arch of arches)
        for (const v of variants) {
          const text = `${os}${arch}${v}`;
          let parses = true;
          try {
            parsePlatform(text);
          } catch {
            parses = false;
          }
          expect([text, spellings.has(text)]).toEqual([text, parses]);
          if (parses) accepted++;
        }
    expect(spellings.size).toBe(accepted);
    for (const p of SUPPORTED_PLATFORMS) expect(spellings.has(p)).toBe(true);
  });
});
