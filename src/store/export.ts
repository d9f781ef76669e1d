/**
 * From the engine into the store: `docker save` streamed through tar-stream; each layer is
 * gzip-compressed by mab on its way into the store (blobs the size docker push makes, on every core:
 * oci/gzip.ts; no timestamp, so the same layer always gives the same blob), its uncompressed digest
 * checked against the config's diff_ids, and an OCI manifest written over config and layers.
 * A layer an earlier export compressed (found by diff_id in the store's layer records) is only
 * hashed, and its blob reused: a rebuild that changed its top layer gzips only that.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import tar from 'tar-stream';
import { DOCKER, docker } from '../build/docker.js';
import { MabError } from '../errors.js';
import { parallelGzip } from '../oci/gzip.js';
import { assembleIndex, platformOfConfig } from '../oci/index.js';
import { MediaType, type Descriptor, type ImageConfig, type Manifest } from '../oci/types.js';
import { parsePlatform } from '../platform/platform.js';
import { isDigest } from '../oci/digest.js';
import { atomicWrite } from '../util/io.js';
import { recordFile, type Store } from './layout.js';

export interface Exported {
  /** The OCI manifest, with the platform its config declares. */
  manifest: Descriptor;
  config: ImageConfig;
  /** Download size (config + gzip layers) and unpacked size of the layers. */
  compressed: number;
  uncompressed: number;
  layers: number;
  /** Layers an earlier export had compressed, so this one only hashed them. */
  reused?: number;
}

interface SavedLayer {
  blob: Descriptor;
  diffId: string;
  size: number;
}

/**
 * Reads `docker save IMAGE` (the engine 20.10 format: <id>/layer.tar, <id>.json, manifest.json).
 * `onBlob` hears of each layer and the config as soon as it is stored (to upload it early).
 * `o.diffIds` are the image's (from an inspect the caller made; else the export asks the engine),
 * and `o.reuse: false` compresses every layer.
 */
export async function exportImage(store: Store, image: string, env?: NodeJS.ProcessEnv, onBlob?: (blob: Descriptor) => void, o: { diffIds?: string[] | undefined; reuse?: boolean } = {}): Promise<Exported> {
  const save = execa(DOCKER, ['save', image], { buffer: false, env, stdin: 'ignore', encoding: 'buffer' });
  // Looked up while the engine prepares the save stream, which takes longer. Records that cannot
  // be read mean only that every layer is compressed.
  const none = new Map<number, Map<string, SavedLayer>>();
  const earlier = o.reuse === false ? Promise.resolve(none) : (o.diffIds ? Promise.resolve(o.diffIds) : imageDiffIds(image, env)).then((ids) => earlierLayers(store, ids)).catch(() => none);
  const layers = new Map<string, SavedLayer>();
  const json = new Map<string, Buffer>();
  // Layers already streamed in and still being finished (the last pieces compressed, synced).
  const storing: Promise<unknown>[] = [];
  let reused = 0;
  // A layer read only to be hashed that turned out to be none of the layers expected.
  let missed = false;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    if (header.name.endsWith('/layer.tar')) {
      // A layer's diff_id is known only once it is read whole, so whether an earlier export
      // compressed it is decided by its size: one of this image's layers stored before with the
      // same size is only hashed, and its blob used when the hash matches.
      void earlier.then(async (bySize) => {
        const expected = bySize.get(header.size ?? -1);
        if (!expected) return compressLayer(header.name, stream as unknown as AsyncIterable<Buffer>, next);
        const diff = createHash('sha256');
        for await (const chunk of stream as AsyncIterable<Buffer>) diff.update(chunk);
        const l = expected.get(`sha256:${diff.digest('hex')}`);
        if (l) {
          await store.touch([l.blob.digest]);
          layers.set(header.name, l);
          reused++;
          onBlob?.(l.blob);
        } else missed = true;
        next();
      }).catch((e: unknown) => next(e as Error));
    } else if (header.name.endsWith('.json')) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => (json.set(header.name, Buffer.concat(chunks)), next()));
    } else {
      stream.on('end', next);
      stream.resume();
    }
  });
  // Hashed (its diff_id) and gzipped on every core as the save stream passes, straight into the
  // store: docker save gives the layers one after the other, so each gets all cores. The save
  // stream moves on once the layer is read, while its blob is finished.
  const compressLayer = (name: string, stream: AsyncIterable<Buffer>, next: (e?: Error) => void) => {
    let moved = false;
    const moveOn = (e?: unknown) => {
      if (moved) return;
      moved = true;
      next(e as Error | undefined);
    };
    const diff = createHash('sha256');
    let size = 0;
    const hashed = (async function* () {
      for await (const chunk of stream) {
        diff.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      moveOn();
    })();
    const stored = store.putStream(parallelGzip(hashed), MediaType.OciLayerGzip).then(async (blob) => {
      const l = { blob, diffId: `sha256:${diff.digest('hex')}`, size };
      layers.set(name, l);
      onBlob?.(blob);
      await atomicWrite(layerRecord(store, l.diffId), (tmp) => writeFile(tmp, JSON.stringify(l)));
    });
    stored.catch(moveOn);
    storing.push(stored);
  };
  let stderr = '';
  save.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2000);
  });
  await Promise.all([pipeline(save.stdout, extract), save]).catch((e: unknown) => {
    if (e instanceof MabError) throw e;
    throw new MabError('E_EXPORT', `docker save ${image} failed: ${stderr.trim() || (e as Error).message}`, `the engine could not give this image's layers; rebuild it (or check \`docker image inspect ${image}\`)`);
  });
  await Promise.all(storing);
  // Rare: a new layer the size of one stored before. Its bytes went by uncompressed; start again.
  if (missed) return exportImage(store, image, env, onBlob, { reuse: false });

  const saved = JSON.parse(json.get('manifest.json')?.toString() ?? 'null') as { Config: string; Layers: string[] }[] | null;
  const entry = saved?.[0];
  const configBytes = entry && json.get(entry.Config);
  if (!entry || !configBytes) throw new MabError('E_EXPORT', `docker save ${image} gave no manifest.json or config`, 'this engine writes another save format; mab reads the Docker 20.10 one');
  const config = JSON.parse(configBytes.toString()) as ImageConfig;
  const ordered = entry.Layers.map((p, i) => {
    const l = layers.get(p);
    if (!l) throw new MabError('E_EXPORT', `docker save ${image} lists ${p} but holds no such layer`);
    // The config names each layer by the digest of its uncompressed tar: a mismatch means the
    // save stream and the image disagree, and the stored image would not run.
    if (config.rootfs.diff_ids[i] !== l.diffId) throw new MabError('E_EXPORT', `layer ${i + 1} of ${image} has diff_id ${l.diffId}, its config says ${config.rootfs.diff_ids[i]}`);
    return l;
  });
  const configDesc = await store.putBytes(configBytes, MediaType.OciConfig);
  onBlob?.(configDesc);
  const manifestJson = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers: ordered.map((l) => l.blob) };
  const manifest = await store.putBytes(Buffer.from(JSON.stringify(manifestJson)), MediaType.OciManifest);
  const exported: Exported = {
    manifest: { ...manifest, platform: platformOfConfig(config) },
    config,
    compressed: configDesc.size + ordered.reduce((n, l) => n + l.blob.size, 0),
    uncompressed: ordered.reduce((n, l) => n + l.size, 0),
    layers: ordered.length,
    reused,
  };
  await atomicWrite(exportRecord(store, configDesc.digest), (tmp) => writeFile(tmp, JSON.stringify(exported)));
  return exported;
}

/**
 * Every export is remembered under its config digest, which is the engine's image ID. A rebuild
 * that gives the same image ID is the same image, so it need not be saved and compressed again:
 *   DIR/mab/exports/HEX.json
 */
const exportRecord = (store: Store, configDigest: string) => recordFile(store.dir, 'exports', configDigest);

/**
 * What an export learned of each layer it compressed, by diff_id, so a later export of an image
 * with the same layer (a rebuild that changed only what is above it) need not gzip it again:
 *   DIR/mab/layers/HEX.json   {blob, diffId, size}
 */
const layerRecord = (store: Store, diffId: string) => recordFile(store.dir, 'layers', diffId);

/** The image's diff_ids, bottom first; none when the engine cannot say (no reuse then). */
const imageDiffIds = (image: string, env?: NodeJS.ProcessEnv) => docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', image], { env }).then((out) => JSON.parse(out) as string[], () => []);

/** Those of `diffIds` that earlier exports stored and the store still holds, by tar size. */
async function earlierLayers(store: Store, diffIds: string[]): Promise<Map<number, Map<string, SavedLayer>>> {
  const bySize = new Map<number, Map<string, SavedLayer>>();
  for (const diffId of diffIds) {
    if (!isDigest(diffId)) continue;
    const l = await readFile(layerRecord(store, diffId), 'utf8').then((t) => JSON.parse(t) as SavedLayer, () => undefined);
    if (l?.diffId !== diffId || !(await store.hasBlob(l.blob))) continue;
    if (!bySize.has(l.size)) bySize.set(l.size, new Map());
    bySize.get(l.size)!.set(diffId, l);
  }
  return bySize;
}

/** The earlier export of image ID `imageId`, when the store still holds its manifest and every blob. */
export async function storedExport(store: Store, imageId: string): Promise<Exported | undefined> {
  if (!isDigest(imageId)) return undefined;
  const text = await readFile(exportRecord(store, imageId), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const e = JSON.parse(text) as Exported;
  if (!(await store.hasBlob(e.manifest))) return undefined;
  const m = JSON.parse((await store.readBlob(e.manifest.digest)).toString()) as Manifest;
  for (const d of [m.config, ...m.layers]) if (!(await store.hasBlob(d))) return undefined;
  await store.touch([e.manifest, m.config, ...m.layers].map((d) => d.digest));
  return e;
}

/** What a stored index says about the build it came from (OCI annotation keys where they exist). */
export const BUILD_ANNOTATIONS = { title: 'org.opencontainers.image.title', version: 'org.opencontainers.image.version', strategy: 'dev.mab.strategy' } as const;

/**
 * Stores an OCI index over exported platform images and points tags at it. The index is annotated
 * with the recipe, version and strategy, so a push or a report later knows what it holds.
 */
export async function storeIndex(store: Store, images: { exported: Exported; platform: string; source: string }[], tags: string[], build?: { title: string; version: string; strategy: string }): Promise<Descriptor> {
  const annotations = build ? Object.fromEntries(Object.entries(BUILD_ANNOTATIONS).map(([k, key]) => [key, build[k as keyof typeof build]])) : undefined;
  const index = assembleIndex(images.map((i) => ({ manifest: i.exported.manifest, config: i.exported.config, expected: parsePlatform(i.platform), source: i.source })), 'oci', annotations);
  const desc = await store.putBytes(Buffer.from(JSON.stringify(index)), MediaType.OciIndex);
  await store.tag(tags, desc);
  return desc;
}

