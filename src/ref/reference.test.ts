import { describe, expect, it } from 'vitest';
import { formatReference, parseReference } from './reference.js';

describe('parseReference', () => {
  it.each([
    ['sysbench', { registry: 'docker.io', repository: 'library/sysbench' }],
    ['debian:bookworm-slim', { registry: 'docker.io', repository: 'library/debian', tag: 'bookworm-slim' }],
    ['mab/sysbench:1.0.20', { registry: 'docker.io', repository: 'mab/sysbench', tag: '1.0.20' }],
    ['127.0.0.1:5000/mab/sysbench', { registry: '127.0.0.1:5000', repository: 'mab/sysbench' }],
    ['localhost/x:y', { registry: 'localhost', repository: 'x', tag: 'y' }],
    ['ghcr.io/a/b/c:1', { registry: 'ghcr.io', repository: 'a/b/c', tag: '1' }],
    [`r.example:443/a@sha256:${'a'.repeat(64)}`, { registry: 'r.example:443', repository: 'a', digest: `sha256:${'a'.repeat(64)}` }],
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
