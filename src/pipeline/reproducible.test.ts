import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../oci/digest.js';
import { MediaType, type Descriptor, type ImageConfig, type Manifest } from '../oci/types.js';
import type { TargetPlan } from '../plan/plan.js';
import { Store } from '../store/layout.js';
import { clampLayers, clampOf } from './reproducible.js';

const EPOCH = 1_700_000_000;

async function tarOf(files: { name: string; mtime: number }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) => pack.on('end', resolve));
  pack.on('data', (c: Buffer) => chunks.push(c));
  for (const f of files) pack.entry({ name: f.name, mtime: new Date(f.mtime * 1000) }, `content of ${f.name}`);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function mtimes(store: Store, layer: Descriptor): Promise<number[]> {
  const extract = tar.extract();
  const times: number[] = [];
  extract.on('entry', (h, stream, next) => {
    times.push(h.mtime!.getTime() / 1000);
    stream.on('end', next).resume();
  });
  extract.end(gunzipSync(await store.readBlob(layer.digest)));
  await new Promise((resolve) => extract.on('finish', resolve));
  return times;
}

/** A stored image of three layers: a base, a build step's (later than EPOCH) and an old copy. */
async function stored() {
  const store = await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-clamp-store-')), 'store'));
  const tars = [
    await tarOf([{ name: 'etc/os-release', mtime: EPOCH + 500 }]), // a base made after the commit
    await tarOf([{ name: 'usr/bin/app', mtime: EPOCH + 1000 }]),
    await tarOf([{ name: 'usr/share/data', mtime: EPOCH - 1000 }]),
  ];
  const layers: Descriptor[] = [];
  for (const t of tars) layers.push(await store.putBytes(gzipSync(t), MediaType.OciLayerGzip));
  const diffIds = tars.map((t) => sha256Digest(t));
  // As an engine writes it: compact, its own key order, characters JSON.stringify would not escape.
  const configText = `{"architecture":"amd64","config":{"Labels":{"x":"a \\u0026 b"}},"created":"2023-11-14T22:13:20Z","os":"linux","rootfs":{"type":"layers","diff_ids":${JSON.stringify(diffIds)}}}`;
  const config = await store.putBytes(Buffer.from(configText), MediaType.OciConfig);
  const manifestJson = { schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers };
  const manifest = await store.putBytes(Buffer.from(JSON.stringify(manifestJson)), MediaType.OciManifest);
  const exported = {
    manifest,
    config: JSON.parse(configText) as ImageConfig,
    compressed: config.size + layers.reduce((n, l) => n + l.size, 0),
    uncompressed: tars.reduce((n, t) => n + t.length, 0),
    copied: 3,
  };
  return { store, exported, layers, diffIds, configText };
}

describe('clampLayers', () => {
  it('clamps the layers above the base, keeps the base and an unchanged layer as they were, and names the new diff_ids', async () => {
    const { store, exported, layers, diffIds, configText } = await stored();
    const heard: string[] = [];
    const e = await clampLayers(store, exported, { epoch: EPOCH, base: [diffIds[0]!] }, (b) => heard.push(b.digest));
    const m = JSON.parse((await store.readBlob(e.manifest.digest)).toString()) as Manifest;
    expect(m.layers[0]).toEqual(layers[0]); // the base's blob, later times and all
    expect(await mtimes(store, m.layers[0]!)).toEqual([EPOCH + 500]);
    expect(m.layers[1]!.digest).not.toBe(layers[1]!.digest);
    expect(await mtimes(store, m.layers[1]!)).toEqual([EPOCH]);
    expect(m.layers[2]).toEqual(layers[2]); // nothing later than EPOCH: the engine's blob stays
    const newId = sha256Digest(gunzipSync(await store.readBlob(m.layers[1]!.digest)));
    expect(e.config.rootfs.diff_ids).toEqual([diffIds[0], newId, diffIds[2]]);
    // The config's bytes but the one list of digests are the engine's.
    const text = (await store.readBlob(m.config.digest)).toString();
    expect(text).toBe(configText.replace(diffIds[1]!, newId));
    expect(e.copied).toBe(2);
    expect(heard).toEqual([m.layers[1]!.digest, m.layers[2]!.digest, m.config.digest]);
    // The same input, clamped again, gives the same manifest.
    const again = await clampLayers(store, exported, { epoch: EPOCH, base: [diffIds[0]!] });
    expect(again.manifest.digest).toBe(e.manifest.digest);
  });

  it('refuses an image that does not start with the layers of its base', async () => {
    const { store, exported } = await stored();
    await expect(clampLayers(store, exported, { epoch: EPOCH, base: [sha256Digest('another base')] })).rejects.toThrow(
      /does not start with the 1 layers of its base image/,
    );
  });
});

describe('clampOf', () => {
  const target = { platform: { os: 'linux', architecture: 'arm64' }, sourceDateEpoch: EPOCH } as TargetPlan;
  it('asks for the base as the engine resolved it, and says why when it cannot be read', async () => {
    const asked: string[] = [];
    const lookup = async (name: string) => (asked.push(name), name.includes('@') ? ['sha256:1'] : undefined);
    expect(await clampOf(target, 'debian:bookworm-slim', { 'debian:bookworm-slim': 'sha256:ab' }, lookup)).toEqual({
      clamp: { epoch: EPOCH, base: ['sha256:1'] },
    });
    expect(asked).toEqual(['debian:bookworm-slim@sha256:ab']);
    expect(await clampOf(target, 'debian:bookworm-slim', undefined, lookup)).toEqual({
      why: 'the layers of its base image debian:bookworm-slim could not be read from its registry',
    });
    expect(await clampOf(target, 'scratch', undefined, lookup)).toEqual({ clamp: { epoch: EPOCH, base: [] } });
    expect(await clampOf({ ...target, sourceDateEpoch: undefined }, 'scratch', undefined, lookup)).toBeUndefined();
  });
});
