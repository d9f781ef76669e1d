/**
 * Export from the engine's own layer store (src/store/layerdb.ts) against `docker save`: for an
 * image whose layers hold what tars find hard (a name that is not UTF-8, hard links, symlinks,
 * empty files, whiteouts, an opaque directory, a file of several MiB), both give byte-identical
 * blobs. A layer whose files no longer match its diff_id is refused, and nothing of it is stored.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportImage, type Exported } from '../../src/store/export.js';
import { verify } from '../../src/store/check.js';
import { Store } from '../../src/store/layout.js';
import { sh } from './helpers.js';

const IMAGE = 'mabtest/export-tricky:1';
// The nonce makes every layer over the base this run's own: the second test damages one on disk,
// and BuildKit's cache shares the engine's layers.
const DOCKERFILE = `FROM debian:bookworm-slim
RUN echo ${randomBytes(8).toString('hex')} > /nonce && rm -rf /usr/share/doc/apt /etc/cron.daily && mkdir -p /tricky /usr/share/doc/apt \\
 && printf 'hi' > "/tricky/$(printf 'caf\\351')" \\
 && head -c 5000000 /dev/urandom > /tricky/big && ln /tricky/big /tricky/big-link \\
 && ln -s big /tricky/big-symlink && : > /tricky/empty && echo x > "/tricky/with space"
RUN rm /tricky/empty && echo second > /tricky/second
`;

async function exportTo(via: 'layerdb' | 'save'): Promise<{ store: Store; e: Exported }> {
  const store = await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), `mab-export-${via}-`)), 'store'));
  if (via === 'save') process.env.MAB_EXPORT = 'save';
  try {
    return { store, e: await exportImage(store, IMAGE) };
  } finally {
    delete process.env.MAB_EXPORT;
  }
}

describe('export: the engine layer store and docker save give the same blobs', () => {
  beforeAll(async () => {
    const ctx = await mkdtemp(path.join(os.tmpdir(), 'mab-export-ctx-'));
    await writeFile(path.join(ctx, 'Dockerfile'), DOCKERFILE);
    await sh('docker', ['buildx', 'build', '--load', '--platform', 'linux/amd64', '-t', IMAGE, ctx]);
  });
  afterAll(async () => {
    await sh('docker', ['rmi', '-f', IMAGE]).catch(() => undefined);
  });

  it('reads the layers from the layer store, and every blob equals the docker save one', async () => {
    const direct = await exportTo('layerdb');
    const saved = await exportTo('save');
    expect(direct.e.via).toBe('layerdb');
    expect(saved.e.via).toBe('save');
    expect(direct.e.layers).toBeGreaterThanOrEqual(3);
    expect(direct.e.manifest.digest).toBe(saved.e.manifest.digest);
    expect(direct.e.uncompressed).toBe(saved.e.uncompressed);
    // And the store holds a sound image: every blob re-hashes to its name.
    expect((await verify(direct.store)).problems).toEqual([]);
  });

  it('a layer whose files changed on disk is refused, by both ways, and none of it is stored', async () => {
    const upper = (await sh('docker', ['image', 'inspect', '--format', '{{.GraphDriver.Data.UpperDir}}', IMAGE])).trim();
    await appendFile(path.join(upper, 'tricky', 'second'), 'tampered');
    const store = await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-export-bad-')), 'store'));
    await expect(exportImage(store, IMAGE)).rejects.toThrow(/docker save mabtest\/export-tricky:1 failed: .+/);
    // The two lower layers are whole and may be stored; the top one is not, nor any manifest.
    const blobs = await readdir(path.join(store.dir, 'blobs', 'sha256'));
    expect(blobs.length).toBeLessThanOrEqual(2);
  });
});
