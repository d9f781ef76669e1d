/**
 * From the engine into the store: `docker save` streamed through the save-archive reader
 * (engine/archive.ts: every engine's format). A layer the engine holds uncompressed is
 * gzip-compressed by mab on its way into the store (blobs the size docker push makes, on every
 * core: oci/gzip.ts; no timestamp, so the same layer always gives the same blob); a layer the
 * engine already compressed (the containerd image store) is stored as it is, never compressed
 * again. Either way its uncompressed digest is checked against the config's diff_ids, and an OCI
 * manifest is written over config and layers.
 * An uncompressed layer an earlier export compressed (found by diff_id in the store's layer
 * records) is only hashed, and its blob reused: a rebuild that changed its top layer gzips only that.
 * With a SOURCE_DATE_EPOCH, the layers above the base are then stored with their file times
 * clamped to it (reproducible.ts), and the export is that image.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { docker, dockerStream } from '../engine/docker.js';
import { readSaveArchive, type ArchiveLayer } from '../engine/archive.js';
import type { Layer } from '../oci/image.js';
import { MabError } from '../errors.js';
import { parallelGzip } from '../oci/gzip.js';
import { assembleIndex, platformOfConfig } from '../oci/index.js';
import { MediaType, type Descriptor, type ImageConfig, type Manifest } from '../oci/types.js';
import type { Platform } from '../platform/platform.js';
import { isDigest } from '../oci/digest.js';
import { atomicWrite } from '../util/io.js';
import { recordFile, type Store } from '../store/layout.js';
import { clampLayers, type Clamp } from './reproducible.js';

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
  /** Layers the engine had compressed itself, stored as they were. */
  copied?: number;
  /** Layers stored with their file times clamped to SOURCE_DATE_EPOCH (compressed by mab). */
  clamped?: number;
}

/**
 * Reads `docker save IMAGE` into the store. `onBlob` hears of each layer and the config as soon
 * as it is stored (to upload it early). `o.diffIds` are the image's (from an inspect the caller
 * made; else the export asks the engine), and `o.reuse: false` compresses every layer. With
 * `o.clamp`, only the base's layers are uploaded early: the others once clamped.
 */
export async function exportImage(
  store: Store,
  image: string,
  env?: NodeJS.ProcessEnv,
  onBlob?: (blob: Descriptor) => void,
  o: { diffIds?: string[] | undefined; reuse?: boolean; clamp?: Clamp | undefined } = {},
): Promise<Exported> {
  const early = (b: Descriptor, diffId?: string) =>
    (!o.clamp || (diffId !== undefined && o.clamp.base.includes(diffId))) && onBlob?.(b);
  const save = dockerStream(['save', image], { env });
  // Its failure is awaited below on every path; this only keeps a rejection that comes while the
  // read is still failing from being reported as unhandled.
  save.catch(() => {});
  // Looked up while the engine prepares the save stream, which takes longer. Records that cannot
  // be read mean only that every layer is compressed.
  const none = new Map<string, Layer>();
  const earlier =
    o.reuse === false
      ? Promise.resolve(none)
      : (o.diffIds ? Promise.resolve(o.diffIds) : imageDiffIds(image, env))
          .then((ids) => earlierLayers(store, ids))
          .catch(() => none);
  let reused = 0;
  let copied = 0;
  // A layer read only to be hashed that turned out to be none of the layers expected.
  let missed = false;
  const stored = async (l: Layer, fresh: boolean) => {
    early(l.blob, l.diffId);
    if (fresh) await atomicWrite(layerRecord(store, l.diffId), (tmp) => writeFile(tmp, JSON.stringify(l)));
    return l;
  };
  const onLayer = async (layer: ArchiveLayer): Promise<Layer | undefined> => {
    if (layer.compression === 'gzip') {
      copied++;
      return stored(await copyCompressed(store, layer), true);
    }
    // A layer's diff_id is known only once it is read whole (unless its name says it), so whether
    // an earlier export compressed it is decided by its size: one of this image's layers stored
    // before with the same size is only hashed, and its blob used when the hash matches.
    const expected = [...(await earlier).values()].filter(
      (l) => l.size === layer.size && (!layer.named || l.diffId === layer.named),
    );
    if (!expected.length) return stored(await compressLayer(store, layer), true);
    const diff = createHash('sha256');
    for await (const chunk of layer.content) diff.update(chunk);
    const l = expected.find((e) => e.diffId === `sha256:${diff.digest('hex')}`);
    if (!l) {
      missed = true;
      return undefined;
    }
    await store.touch([l.blob.digest]);
    reused++;
    return stored(l, false);
  };
  let stderr = '';
  save.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2000);
  });
  const saveFailed = () =>
    new MabError(
      'E_EXPORT',
      `docker save ${image} failed: ${stderr.trim() || 'the archive ended early'}`,
      `the engine could not give this image's layers; rebuild it (or check \`docker image inspect ${image}\`)`,
    );
  let saved;
  try {
    saved = await readSaveArchive(save.stdout!, image, onLayer, () => save.kill());
  } catch (e) {
    // The engine failing on its own is the cause of whatever the read then found wrong, and it
    // says so on stderr. A docker save stopped because the read failed first says nothing (how it
    // exits, by the signal or with a code of its own, varies from run to run).
    const failed = await save.then(
      () => false,
      () => true,
    );
    throw (failed && stderr.trim()) || !(e instanceof MabError) ? saveFailed() : e;
  }
  await save.catch(() => {
    throw saveFailed();
  });
  // Rare: a new layer the size of one stored before. Its bytes went by uncompressed; start again.
  if (missed) return exportImage(store, image, env, onBlob, { ...o, reuse: false });

  const { config, configBytes } = saved;
  const ordered = saved.layers as Layer[];
  const configDesc = await store.putBytes(configBytes, MediaType.OciConfig);
  early(configDesc);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: configDesc,
    layers: ordered.map((l) => l.blob),
  };
  const manifest = await store.putBytes(Buffer.from(JSON.stringify(manifestJson)), MediaType.OciManifest);
  let exported: Exported = {
    manifest: { ...manifest, platform: platformOfConfig(config) },
    config,
    compressed: configDesc.size + ordered.reduce((n, l) => n + l.blob.size, 0),
    uncompressed: ordered.reduce((n, l) => n + l.size, 0),
    layers: ordered.length,
    reused,
    copied,
  };
  if (o.clamp) exported = await clampLayers(store, exported, o.clamp, onBlob);
  // Filed under every ID the engine may give this image, so a later build finds it by that ID.
  for (const id of saved.ids)
    await atomicWrite(exportRecord(store, id), (tmp) => writeFile(tmp, JSON.stringify(exported)));
  return exported;
}

/**
 * Hashed (its diff_id) and gzipped on every core as the save stream passes, straight into the
 * store: docker save gives the layers one after the other, so each gets all cores. The archive
 * moves on once the layer is read, while its blob is finished.
 */
async function compressLayer(store: Store, layer: ArchiveLayer): Promise<Layer> {
  const diff = createHash('sha256');
  let size = 0;
  const hashed = (async function* () {
    for await (const chunk of layer.content) {
      diff.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  })();
  const blob = await store.putStream(parallelGzip(hashed), MediaType.OciLayerGzip);
  return { blob, diffId: `sha256:${diff.digest('hex')}`, size };
}

/** A gzip blob the engine made, stored byte for byte; gunzipped beside it only to learn its diff_id. */
async function copyCompressed(store: Store, layer: ArchiveLayer): Promise<Layer> {
  // Output in 1 MiB pieces: with zlib's default 16 KiB an 88 MB layer made ~5,000 trips between
  // the thread pool and the main thread.
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  const diff = createHash('sha256');
  let size = 0;
  const unpacked = (async () => {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      diff.update(chunk);
      size += chunk.length;
    }
  })();
  const teed = (async function* () {
    for await (const chunk of layer.content) {
      // A gunzip that failed takes nothing more: the copy ends (its temp file removed) instead of
      // waiting for a drain that never comes.
      if (gunzip.destroyed) throw new Error('the gunzip beside the copy failed');
      // ('close': a gunzip that fails while this waits drains no more either.)
      if (!gunzip.write(chunk)) {
        await new Promise<void>((resolve) => {
          const go = () => (gunzip.off('drain', go).off('close', go), resolve());
          gunzip.on('drain', go).on('close', go);
        });
      }
      yield chunk;
    }
    gunzip.end();
  })();
  let blob: Descriptor;
  try {
    // A blob named by its digest that has another is refused before it is named in the store.
    [blob] = await Promise.all([store.putStream(teed, MediaType.OciLayerGzip, layer.named), unpacked]);
  } catch (e) {
    gunzip.destroy();
    const why = e instanceof MabError ? e.message : `it is not a whole gzip stream (${(e as Error).message})`;
    throw new MabError(
      'E_EXPORT',
      `the engine's layer ${layer.name} cannot be stored: ${why}`,
      "the engine's copy of this layer is damaged; remove the image and rebuild it",
    );
  }
  return { blob, diffId: `sha256:${diff.digest('hex')}`, size };
}

/**
 * Every export is remembered under the IDs the engine may give the image (its config digest, or
 * with the containerd image store its manifest digest). A rebuild that gives the same image ID
 * is the same image, so it need not be saved and compressed again:
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
const imageDiffIds = (image: string, env?: NodeJS.ProcessEnv) =>
  docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', image], { env }).then(
    (out) => JSON.parse(out) as string[],
    () => [],
  );

/** Those of `diffIds` that earlier exports stored and the store still holds. */
async function earlierLayers(store: Store, diffIds: string[]): Promise<Map<string, Layer>> {
  const found = new Map<string, Layer>();
  for (const diffId of diffIds) {
    if (!isDigest(diffId)) continue;
    const l = await readFile(layerRecord(store, diffId), 'utf8').then(
      (t) => JSON.parse(t) as Layer,
      () => undefined,
    );
    if (l?.diffId === diffId && (await store.hasBlob(l.blob))) found.set(diffId, l);
  }
  return found;
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
export const BUILD_ANNOTATIONS = {
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  strategy: 'dev.mab.strategy',
} as const;

/**
 * Stores an OCI index over exported platform images and points tags at it. The index is annotated
 * with the recipe, version and strategy, so a push or a report later knows what it holds.
 */
export async function storeIndex(
  store: Store,
  images: { exported: Exported; platform: Platform; source: string }[],
  tags: string[],
  build?: {
    title: string;
    version: string;
    strategy: string;
    annotations?: Record<string, string>;
    /** Attestation manifests (pipeline/attest.ts), listed after the images. */
    attestations?: Descriptor[];
  },
): Promise<Descriptor> {
  const annotations = build
    ? {
        ...build.annotations,
        ...Object.fromEntries(
          Object.entries(BUILD_ANNOTATIONS).map(([k, key]) => [key, build[k as keyof typeof BUILD_ANNOTATIONS]]),
        ),
      }
    : undefined;
  const index = assembleIndex(
    images.map((i) => ({
      manifest: i.exported.manifest,
      config: i.exported.config,
      expected: i.platform,
      source: i.source,
    })),
    'oci',
    annotations,
  );
  index.manifests.push(...(build?.attestations ?? []));
  const desc = await store.putBytes(Buffer.from(JSON.stringify(index)), MediaType.OciIndex);
  await store.tag(tags, desc);
  return desc;
}
