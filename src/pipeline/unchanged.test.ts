import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseImages, engineApi } from './unchanged.js';

const golden = (f: string) => readFile(path.join(import.meta.dirname, '../../test/golden', f), 'utf8');

describe('baseImages', () => {
  it('names each image a stage starts from once, not the stages themselves, not scratch', async () => {
    // The cross Dockerfile has a `target` stage that the build stage copies from.
    expect(baseImages(await golden('sysbench/cross.linux_arm64.Dockerfile'))).toEqual([
      'debian:bookworm',
      'debian:bookworm-slim',
    ]);
    expect(
      baseImages('FROM debian:bookworm AS build\nFROM build AS again\nFROM scratch\nCOPY --from=again / /\n'),
    ).toEqual(['debian:bookworm']);
    expect(baseImages('FROM scratch\nCOPY a /\n')).toEqual([]);
  });
});

describe('engineApi', () => {
  it('asks a unix socket, or a tcp:// endpoint without TLS, and nothing else', () => {
    expect(engineApi('unix:///var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(engineApi('tcp://10.1.2.3:2375', {})).toEqual({ host: '10.1.2.3', port: 2375 });
    expect(engineApi('tcp://[fd00::2]', {})).toEqual({ host: 'fd00::2', port: 2375 });
    expect(engineApi('tcp://board:2376', { DOCKER_TLS_VERIFY: '1' })).toBeUndefined();
    expect(engineApi('ssh://me@board', {})).toBeUndefined();
    expect(engineApi(undefined, {})).toBeUndefined();
  });
});
