import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { compareTags, perPlatform, platformTags, semverTags, sortTags, templateTags } from './tags.js';
import { parsePlatformList } from '../platform/platform.js';

describe('semver tags', () => {
  it.each([
    ['1.2.3', [], ['1.2.3', '1.2', '1', 'latest']],
    ['1.2.3', ['1.2.2', '1.1.9', 'latest', 'weird'], ['1.2.3', '1.2', '1', 'latest']],
    ['1.2.3', ['1.2.4'], ['1.2.3']],
    ['1.2.3', ['1.3.0'], ['1.2.3', '1.2']],
    ['1.2.3', ['2.0.0'], ['1.2.3', '1.2', '1']],
    ['1.2.3', ['2.0.0-rc.1'], ['1.2.3', '1.2', '1', 'latest']],
    ['2.0.0-rc.1', [], ['2.0.0-rc.1']],
    ['1.2.3', ['1.2.3'], ['1.2.3', '1.2', '1', 'latest']],
  ])('%s with %j in the repository → %j', (version, existing, want) => {
    expect(semverTags(version, existing)).toEqual(want);
  });

  it('holds over random repositories: latest moves iff no higher release exists; prereleases move nothing', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const version = () => `${rand(3)}.${rand(3)}.${rand(3)}${rand(4) === 0 ? `-rc.${rand(3)}` : ''}`;
    for (let i = 0; i < 2000; i++) {
      const existing = Array.from({ length: rand(6) }, version);
      const v = version();
      const tags = semverTags(v, existing);
      const releases = existing.filter((t) => !semver.prerelease(t));
      expect(tags[0]).toBe(v);
      if (semver.prerelease(v)) expect(tags).toEqual([v]);
      else expect(tags.includes('latest')).toBe(releases.every((t) => semver.gte(v, t)));
      // A floating tag never points below a release already on its line.
      for (const t of tags.slice(1).filter((x) => x !== 'latest')) {
        expect(releases.filter((r) => r.startsWith(`${t}.`)).every((r) => semver.gte(v, r))).toBe(true);
      }
    }
  });

  it('refuses what is not a version', () => {
    expect(() => semverTags('1.2', [])).toThrow(/"1\.2" is not a semantic version/);
  });
});

describe('--tag templates', () => {
  it('expands the placeholders', () => {
    expect(
      templateTags(['{version}-{strategy}', 'v{major}', '{major}.{minor}', 'edge'], {
        version: '1.0.20',
        strategy: 'minimal',
      }),
    ).toEqual(['1.0.20-minimal', 'v1', '1.0', 'edge']);
  });

  it('names an unknown placeholder and an invalid result', () => {
    expect(() => templateTags(['{arch}'], { version: '1.0.0', strategy: 's' })).toThrow(
      /unknown placeholder \{arch\}[\s\S]*/,
    );
    expect(() => templateTags(['-{version}'], { version: '1.0.0', strategy: 's' })).toThrow(
      /gives "-1\.0\.0", which is not a valid tag/,
    );
  });
});

describe('per-platform tags ({arch})', () => {
  const platforms = parsePlatformList('linux/amd64,linux/arm64,linux/arm/v7');

  it('expands {arch} templates once per platform and leaves the others to the index', () => {
    const templates = ['{version}', '{version}-{arch}', '{arch}'];
    expect(templates.filter(perPlatform)).toEqual(['{version}-{arch}', '{arch}']);
    expect(platformTags(templates, { version: '1.0.20', strategy: 'cross' }, platforms, ['1.0.20'])).toEqual({
      'linux/amd64': ['1.0.20-amd64', 'amd64'],
      'linux/arm64': ['1.0.20-arm64', 'arm64'],
      'linux/arm/v7': ['1.0.20-arm-v7', 'arm-v7'],
    });
  });

  it('refuses a tag that would name both the index and a platform', () => {
    expect(() => platformTags(['{arch}'], { version: '1.0.0' }, platforms, ['arm64', 'latest'])).toThrow(
      /tag "arm64" would name both the index and linux\/arm64/,
    );
  });

  it('without a strategy to fill in, {strategy} is named as unknown', () => {
    expect(() => templateTags(['{version}-{strategy}'], { version: '1.0.0' })).toThrow(
      /unknown placeholder \{strategy\}/,
    );
  });
});

describe('the order of a listing', () => {
  it('puts versions first by their numbers, a floating tag before its releases, a prerelease before its release, then the rest by name', () => {
    const tags = [
      'latest',
      '1.10.0',
      '1',
      '1.0.20',
      'edge',
      '1.9.2',
      '1.0',
      '1.0.20-cross',
      'v2',
      '1.0.20-rc.10',
      '1.0.20-rc.9',
      'sha-0a1b2c',
      '10',
    ];
    expect(sortTags(tags)).toEqual([
      '1',
      '1.0',
      '1.0.20-cross',
      '1.0.20-rc.9',
      '1.0.20-rc.10',
      '1.0.20',
      '1.9.2',
      '1.10.0',
      'v2',
      '10',
      'edge',
      'latest',
      'sha-0a1b2c',
    ]);
  });

  it('is a total order over random tags: sorting any shuffle gives the same list, and every pair agrees', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pool = [
      'latest',
      'edge',
      'main',
      'v1',
      '1',
      '1.2',
      '1.2.3',
      '1.2.3-rc.1',
      '1.2.3-rc.2',
      '1.2.3-beta',
      '0.9',
      '2',
      '2.0.0+b1',
      '1.2.3-cross',
    ];
    const sorted = sortTags(pool);
    for (let i = 0; i < 200; i++) {
      const shuffled = [...pool].sort(() => rand(3) - 1);
      expect(sortTags(shuffled)).toEqual(sorted);
    }
    for (const a of pool)
      for (const b of pool) {
        expect(Math.sign(compareTags(a, b)) + Math.sign(compareTags(b, a))).toBe(0);
        // Two different tags never tie, so the listing's order does not depend on the registry's.
        expect(compareTags(a, b) === 0).toBe(a === b);
      }
  });
});
