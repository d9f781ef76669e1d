/**
 * From the engine into the store: `docker save` streamed through tar-stream; each layer is
 * gzip-compressed by mab on its way into the store (level 6, as docker push does, on every core:
 * oci/gzip.ts; no timestamp, so the same layer always gives the same blob), its uncompressed digest
 * checked against the config's diff_ids, and an OCI manifest written over config and layers.
 */
import { createHash } from 'node:crypto';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import tar from 'tar-stream';
import { DOCKER } from '../build/docker.js';
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
}

interface SavedLayer {
  blob: Descriptor;
  diffId: string;
  size: number;
}

/**
 * Reads `docker save IMAGE` (the engine 20.10 format: <id>/layer.tar, <id>.json, manifest.json).
 * `onBlob` hears of each layer and the config as soon as it is stored (to upload it early).
 */
export async function exportImage(store: Store, image: string, env?: NodeJS.ProcessEnv, onBlob?: (blob: Descriptor) => void): Promise<Exported> {
  const save = execa(DOCKER, ['save', image], { buffer: false, env, stdin: 'ignore', encoding: 'buffer' });
  const layers = new Map<string, SavedLayer>();
  const json = new Map<string, Buffer>();
  // Layers already streamed in and still being finished (the last pieces compressed, synced).
  const storing: Promise<unknown>[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    if (header.name.endsWith('/layer.tar')) {
      // Hashed (its diff_id) and gzipped on every core as the save stream passes, straight into
      // the store: docker save gives the layers one after the other, so each gets all cores. The
      // save stream moves on once the layer is read, while its blob is finished.
      let moved = false;
      const moveOn = (e?: unknown) => {
        if (moved) return;
        moved = true;
        next(e as Error | undefined);
      };
      const diff = createHash('sha256');
      let size = 0;
      const hashed = (async function* () {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          diff.update(chunk);
          size += chunk.length;
          yield chunk;
        }
        moveOn();
      })();
      const stored = store.putStream(parallelGzip(hashed), MediaType.OciLayerGzip)
        .then((blob) => {
          layers.set(header.name, { blob, diffId: `sha256:${diff.digest('hex')}`, size });
          onBlob?.(blob);
        });
      stored.catch(moveOn);
      storing.push(stored);
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
  let stderr = '';
  save.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2000);
  });
  await Promise.all([pipeline(save.stdout, extract), save]).catch((e: unknown) => {
    if (e instanceof MabError) throw e;
    throw new MabError('E_EXPORT', `docker save ${image} failed: ${stderr.trim() || (e as Error).message}`, `the engine could not give this image's layers; rebuild it (or check \`docker image inspect ${image}\`)`);
  });
  await Promise.all(storing);

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

/** The earlier export of image ID `imageId`, when the store still holds its manifest and every blob. */
export async function storedExport(store: Store, imageId: string): Promise<Exported | undefined> {
  if (!isDigest(imageId)) return undefined;
  const text = await readFile(exportRecord(store, imageId), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const e = JSON.parse(text) as Exported;
  if (!(await store.hasBlob(e.manifest))) return undefined;
  const m = JSON.parse((await store.readBlob(e.manifest.digest)).toString()) as Manifest;
  for (const d of [m.config, ...m.layers]) if (!(await store.hasBlob(d))) return undefined;
  // Fresh mtimes: `store gc` spares young blobs, and these are about to be tagged again.
  const now = new Date();
  for (const d of [e.manifest, m.config, ...m.layers]) await utimes(store.blobPath(d.digest), now, now);
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

