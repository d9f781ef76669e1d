import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseImages } from './unchanged.js';

const golden = (f: string) => readFile(path.join(import.meta.dirname, '../../test/golden', f), 'utf8');

describe('baseImages', () => {
  it('names each image a stage starts from once, not the stages themselves, not scratch', async () => {
    // The cross Dockerfile has a `target` stage that the build stage copies from.
    expect(baseImages(await golden('sysbench/cross.linux_arm64.Dockerfile'))).toEqual(['debian:bookworm', 'debian:bookworm-slim']);
    expect(baseImages('FROM debian:bookworm AS build\nFROM build AS again\nFROM scratch\nCOPY --from=again / /\n')).toEqual(['debian:bookworm']);
    expect(baseImages('FROM scratch\nCOPY a /\n')).toEqual([]);
  });
});
