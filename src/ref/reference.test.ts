import { describe, expect, it } from 'vitest';
import { formatReference, parseLocation, parseReference } from './reference.js';

describe('parseReference', () => {
  it.each([
    ['sysbench', { registry: 'docker.io', repository: 'library/sysbench' }],
    ['debian:bookworm-slim', { registry: 'docker.io', repository: 'library/debian', tag: 'bookworm-slim' }],
    ['mab/sysbench:1.0.20', { registry: 'docker.io', repository: 'mab/sysbench', tag: '1.0.20' }],
    ['127.0.0.1:5000/mab/sysbench', { registry: '127.0.0.1:5000', repository: 'mab/sysbench' }],
    ['localhost/x:y', { registry: 'localhost', repository: 'x', tag: 'y' }],
    ['ghcr.io/a/b/c:1', { registry: 'ghcr.io', repository: 'a/b/c', tag: '1' }],
    [
      `r.example:443/a@sha256:${'a'.repeat(64)}`,
      { registry: 'r.example:443', repository: 'a', digest: `sha256:${'a'.repeat(64)}` },
    ],
  ])('%s', (input, want) => {
    expect(parseReference(input)).toEqual(want);
  });
  it('round-trips through formatReference', () => {
    const r = parseReference('127.0.0.1:5000/mab/sysbench:1.0.20-arm64');
    expect(parseReference(formatReference(r))).toEqual(r);
  });
  it.each(['UPPER/case', 'a:b:c', 'x@sha256:12', 'repo:-bad', ''])('refuses %j with the expected form', (bad) => {
    expect(() => parseReference(bad)).toThrow(/invalid image reference.*/);
  });
});

describe('parseReference over generated references', () => {
  // A small seeded generator (no extra dependency): registries with and without ports, nested
  // repositories, tags at the length limit, digests, and Docker Hub short forms.
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!;
  const word = (chars: string, len: number) => Array.from({ length: len }, () => pick([...chars])).join('');
  const component = () =>
    word('abcdefghijklmnopqrstuvwxyz0123456789', 1 + rand(6)) + pick(['', '', '-x', '_y', '__z', '.w']);
  const gen = () => {
    const registry = pick([
      'docker.io',
      'ghcr.io',
      'r.example:5000',
      '127.0.0.1:5000',
      'localhost',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    ]);
    const repository = Array.from({ length: 1 + rand(3) }, component).join('/');
    const tag = rand(3) ? word('abcABC019_.-', rand(3) ? 1 + rand(10) : 128).replace(/^[.-]/, 'v') : undefined;
    const digest = rand(4) === 0 ? `sha256:${word('0123456789abcdef', 64)}` : undefined;
    return {
      registry,
      repository: registry === 'docker.io' && !repository.includes('/') ? `library/${repository}` : repository,
      ...(tag ? { tag } : {}),
      ...(digest ? { digest } : {}),
    };
  };

  it('parses 5,000 formatted references back to what they were', () => {
    for (let i = 0; i < 5000; i++) {
      const r = gen();
      expect(parseReference(formatReference(r)), formatReference(r)).toEqual(r);
    }
  });

  it('either parses or refuses with the expected form, never crashes, on 5,000 mangled inputs', () => {
    const junk = [' ', '@', ':', '/', 'A', '..', '//', '@sha256:', '$(id)', '\n', '%'];
    for (let i = 0; i < 5000; i++) {
      const s = formatReference(gen());
      const at = rand(s.length + 1);
      const mangled = s.slice(0, at) + pick(junk) + s.slice(at + rand(3));
      try {
        const r = parseReference(mangled);
        expect(r.repository).toMatch(/^[a-z0-9]+([._/-]+[a-z0-9]+)*$/);
      } catch (e) {
        expect((e as Error).message).toMatch(/^invalid image reference ".*": /s);
      }
    }
  });
});

describe('parseLocation', () => {
  it.each([
    ['sysbench:1.0.20', { store: 'sysbench:1.0.20' }],
    ['sysbench', { store: 'sysbench:latest' }],
    ['127.0.0.1:5000/mab/sysbench', { registry: { registry: '127.0.0.1:5000', repository: 'mab/sysbench' } }],
    [
      'docker.io/library/debian:bookworm',
      { registry: { registry: 'docker.io', repository: 'library/debian', tag: 'bookworm' } },
    ],
  ])('%s → %j', (input, want) => {
    expect(parseLocation(input)).toEqual(want);
  });

  it('gives a registry reference the default tag asked for, and refuses a digest without a repository', () => {
    expect(parseLocation('localhost:5000/a', { defaultTag: 'latest' })).toEqual({
      registry: { registry: 'localhost:5000', repository: 'a', tag: 'latest' },
    });
    expect(() => parseLocation('x@sha256:' + 'a'.repeat(64))).toThrow(/names no image/);
  });
});
