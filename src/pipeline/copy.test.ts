import { describe, expect, it } from 'vitest';
import { parseReference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import type { Store } from '../store/layout.js';
import { destinationTag, type Endpoint } from './copy.js';

const at = (input: string): Endpoint =>
  input.includes('/')
    ? { registry: parseReference(input), client: {} as RegistryClient }
    : { store: {} as Store, tag: input };

describe('the tag a copy puts', () => {
  it.each([
    ['r.example/a:1.0', 'r.example/b:2.0', '2.0'],
    ['r.example/a:1.0', 'r.example/b', '1.0'],
    ['sysbench:1.0.20', 'r.example/b', '1.0.20'],
    ['sysbench:1.0.20', 'r.example/b:edge', 'edge'],
    [`r.example/a@sha256:${'a'.repeat(64)}`, 'r.example/b', undefined],
    [`r.example/a@sha256:${'a'.repeat(64)}`, 'r.example/b:pinned', 'pinned'],
    ['r.example/a:1.0', 'local:copy', 'local:copy'],
  ])('%s → %s puts %s', (src, dst, tag) => {
    expect(destinationTag(at(src), at(dst))).toBe(tag);
  });
});
