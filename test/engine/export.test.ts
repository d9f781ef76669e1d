/**
 * Export of an image whose top layer no longer matches its digests on the engine's disk, on the
 * engine the suite runs on: nothing of the damaged layer, nor any manifest, is stored.
 *  - overlay2 (the engine's own layer store): docker save itself fails, and mab says so with the
 *    engine's own reason (E_EXPORT, not a bare exit code);
 *  - the containerd image store: the engine sends the damaged blob as it is, and mab refuses it
 *    (its digest is not the one it is named by).
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, open, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportImage } from '../../src/pipeline/export.js';
import { Store } from '../../src/store/layout.js';
import { imageStore, sh } from './helpers.js';

const IMAGE = 'mabtest/export-damaged:1';
// The nonce makes every layer over the base this run's own: the test damages one on disk, and
// BuildKit's cache shares the engine's layers.
const DOCKERFILE = `FROM debian:bookworm-slim
RUN echo ${randomBytes(8).toString('hex')} > /nonce && mkdir /data && head -c 3000000 /dev/urandom > /data/big
RUN echo second > /data/second
`;

/** Overwrites bytes in the middle of a file, keeping its size (a reader that reads `size` bytes sees them). */
async function damage(file: string) {
  const { size } = await stat(file);
  const fh = await open(file, 'r+');
  await fh.write(Buffer.from('tampered'), 0, 8, Math.floor(size / 2));
  await fh.close();
}

describe('export of a layer damaged on the engine disk', () => {
  beforeAll(async () => {
    const ctx = await mkdtemp(path.join(os.tmpdir(), 'mab-export-ctx-'));
    await writeFile(path.join(ctx, 'Dockerfile'), DOCKERFILE);
    await sh('docker', ['buildx', 'build', '--load', '--platform', 'linux/amd64', '-t', IMAGE, ctx]);
  });
  afterAll(async () => {
    await sh('docker', ['rmi', '-f', IMAGE]).catch(() => undefined);
  });

  it('is refused, and neither the layer nor a manifest is stored', async () => {
    const store = await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-export-bad-')), 'store'));
    if ((await imageStore()) === 'overlay2') {
      const upper = (
        await sh('docker', ['image', 'inspect', '--format', '{{.GraphDriver.Data.UpperDir}}', IMAGE])
      ).trim();
      await appendFile(path.join(upper, 'data', 'second'), 'tampered');
      await expect(exportImage(store, IMAGE)).rejects.toThrow(/docker save mabtest\/export-damaged:1 failed: .+/);
    } else {
      const saved = JSON.parse(await sh('sh', ['-c', `docker save ${IMAGE} | tar -xO manifest.json`])) as {
        Layers: string[];
      }[];
      const top = saved[0]!.Layers.at(-1)!;
      const root = (await sh('docker', ['info', '--format', '{{.DockerRootDir}}'])).trim();
      await damage(path.join(root, 'containerd/daemon/io.containerd.content.v1.content', top));
      await expect(exportImage(store, IMAGE)).rejects.toThrow(`the engine's layer ${top} cannot be stored`);
    }
    // At most the two whole layers under it.
    const blobs = await readdir(path.join(store.dir, 'blobs', 'sha256'));
    expect(blobs.length).toBeLessThanOrEqual(2);
  });
});
