/**
 * An export reuses the blobs an earlier export compressed: a rebuild that changed only its top
 * layer hashes the layers under it instead of gzipping them again, and stores the very manifest
 * an export into an empty store gives. A layer record that points the wrong way (a new layer the
 * size of a known one) costs a second pass, never a wrong image.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportImage } from '../../src/pipeline/export.js';
import { Store, recordFile } from '../../src/store/layout.js';
import { imageStore, sh } from './helpers.js';

const compressedByEngine = (await imageStore()) === 'containerd';
const BASE = 'mabtest/export-reuse-base:1';
const TOP = 'mabtest/export-reuse-top:1';

const emptyStore = async () =>
  Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-export-reuse-')), 'store'));
const diffIds = async (image: string) =>
  JSON.parse(await sh('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', image])) as string[];

async function build(tag: string, dockerfile: string) {
  const ctx = await mkdtemp(path.join(os.tmpdir(), 'mab-export-reuse-ctx-'));
  await writeFile(path.join(ctx, 'Dockerfile'), dockerfile);
  await sh('docker', ['buildx', 'build', '--load', '--platform', 'linux/amd64', '-t', tag, ctx]);
}

describe('export of a rebuilt image into a store that holds the layers under its new one', () => {
  let fresh: Awaited<ReturnType<typeof exportImage>>;
  beforeAll(async () => {
    // The nonce makes the layer over the base new to every store and to BuildKit's cache.
    await build(
      BASE,
      `FROM debian:bookworm-slim\nRUN echo ${randomBytes(8).toString('hex')} > /nonce && head -c 3000000 /dev/urandom > /big\n`,
    );
    await build(TOP, `FROM ${BASE}\nRUN echo changed > /top\n`);
    fresh = await exportImage(await emptyStore(), TOP);
    expect(fresh.reused).toBe(0);
  });
  afterAll(async () => {
    await sh('docker', ['rmi', '-f', TOP, BASE]).catch(() => undefined);
  });

  it('compresses no layer twice (reused, or stored as the engine compressed it) and stores the same manifest as an export into an empty store', async () => {
    const store = await emptyStore();
    expect((await exportImage(store, BASE)).reused).toBe(0);
    const again = await exportImage(store, TOP);
    if (compressedByEngine) {
      expect([again.reused, again.copied]).toEqual([0, again.layers]);
    } else {
      expect(again.reused).toBe((await diffIds(BASE)).length);
    }
    expect(again.layers).toBe(fresh.layers);
    expect(again.manifest.digest).toBe(fresh.manifest.digest);
    expect(again.uncompressed).toBe(fresh.uncompressed);
  });

  it.skipIf(compressedByEngine)(
    'starts again without reuse when a new layer has the size of a stored one',
    async () => {
      const store = await emptyStore();
      await exportImage(store, BASE);
      // The record of the base's top layer now claims the size of the new layer: the new layer is
      // read only to be hashed, matches nothing, and the export must go round once more.
      const [topId] = (await diffIds(TOP)).slice(-1);
      const [baseTopId] = (await diffIds(BASE)).slice(-1);
      const newSize = JSON.parse(
        await readFile(recordFile((await exportedInto(TOP)).dir, 'layers', topId!), 'utf8'),
      ) as { size: number };
      const file = recordFile(store.dir, 'layers', baseTopId!);
      const record = JSON.parse(await readFile(file, 'utf8')) as { size: number };
      await writeFile(file, JSON.stringify({ ...record, size: newSize.size }));
      const again = await exportImage(store, TOP);
      expect(again.reused).toBe(0);
      expect(again.manifest.digest).toBe(fresh.manifest.digest);
    },
  );
});

/** A store the image was exported into, for the records that export wrote. */
async function exportedInto(image: string): Promise<Store> {
  const store = await emptyStore();
  await exportImage(store, image);
  return store;
}
