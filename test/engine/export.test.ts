/**
 * Export of an image whose layer no longer matches its diff_id on the engine's disk: the export
 * fails with the engine's own reason (E_EXPORT, not a bare exit code), and nothing of the damaged
 * layer, nor any manifest, is stored.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportImage } from '../../src/store/export.js';
import { Store } from '../../src/store/layout.js';
import { sh } from './helpers.js';

const IMAGE = 'mabtest/export-damaged:1';
// The nonce makes every layer over the base this run's own: the test damages one on disk, and
// BuildKit's cache shares the engine's layers.
const DOCKERFILE = `FROM debian:bookworm-slim
RUN echo ${randomBytes(8).toString('hex')} > /nonce && mkdir /data && head -c 3000000 /dev/urandom > /data/big
RUN echo second > /data/second
`;

describe('export of a layer damaged on the engine disk', () => {
  beforeAll(async () => {
    const ctx = await mkdtemp(path.join(os.tmpdir(), 'mab-export-ctx-'));
    await writeFile(path.join(ctx, 'Dockerfile'), DOCKERFILE);
    await sh('docker', ['buildx', 'build', '--load', '--platform', 'linux/amd64', '-t', IMAGE, ctx]);
  });
  afterAll(async () => {
    await sh('docker', ['rmi', '-f', IMAGE]).catch(() => undefined);
  });

  it('is refused with the engine message, and neither the layer nor a manifest is stored', async () => {
    const upper = (await sh('docker', ['image', 'inspect', '--format', '{{.GraphDriver.Data.UpperDir}}', IMAGE])).trim();
    await appendFile(path.join(upper, 'data', 'second'), 'tampered');
    const store = await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-export-bad-')), 'store'));
    await expect(exportImage(store, IMAGE)).rejects.toThrow(/docker save mabtest\/export-damaged:1 failed: .+/);
    // At most the two whole layers under it (docker save gives layers in order, then fails).
    const blobs = await readdir(path.join(store.dir, 'blobs', 'sha256'));
    expect(blobs.length).toBeLessThanOrEqual(2);
  });
});
