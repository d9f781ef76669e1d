/**
 * The same recipe, built twice, gives the same image digest: the steps toward it that happen
 * after the build. BuildKit already writes SOURCE_DATE_EPOCH into the config (engine/buildx.ts)
 * and the template removes what records the time of an install (templates/app.Dockerfile); what
 * is left are the file times in the layers the build made: every file a step writes carries the
 * time it ran. Those layers are stored with their times clamped to SOURCE_DATE_EPOCH
 * (oci/clamp.ts), gzip-compressed by mab (oci/gzip.ts: the same tar always gives the same blob),
 * and the config names their new diff_ids.
 *
 * The base image's layers are never touched: they are shared with every image on that base, and a
 * registry that has them is sent none of them. Which of the image's layers are the base's is read
 * from the base itself, as the engine resolved it (report/base.ts): the digest of its tag when the
 * build started, its layers from its registry. A base that cannot be read means no clamping, and
 * an image that will not reproduce, said in the build's log.
 */
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { MabError } from '../errors.js';
import { clampTarTimes } from '../oci/clamp.js';
import { parallelGzip } from '../oci/gzip.js';
import { MediaType, type Descriptor, type ImageConfig, type Manifest } from '../oci/types.js';
import type { TargetPlan } from '../plan/plan.js';
import type { BaseLookup } from '../report/base.js';
import type { Store } from '../store/layout.js';

export interface Clamp {
  /** SOURCE_DATE_EPOCH, in seconds. */
  epoch: number;
  /** The base image's layers (diff_ids), the bottom of the image: kept as they are. None for scratch. */
  base: string[];
}

/**
 * How to clamp a platform's image: undefined when it has no SOURCE_DATE_EPOCH; `why` not, when
 * its base's layers cannot be read. `base` is its last stage's base image, `resolved` what the
 * engine resolved each base's tag to before the build.
 */
export async function clampOf(
  t: TargetPlan,
  base: string,
  resolved: Record<string, string> | undefined,
  lookup: BaseLookup,
): Promise<{ clamp?: Clamp; why?: string } | undefined> {
  const epoch = t.sourceDateEpoch;
  if (epoch === undefined) return undefined;
  if (base === 'scratch') return { clamp: { epoch, base: [] } };
  const digest = resolved?.[base];
  const layers = await lookup(digest ? `${base}@${digest}` : base, t.platform);
  return layers
    ? { clamp: { epoch, base: layers } }
    : { why: `the layers of its base image ${base} could not be read from its registry` };
}

/** What clampLayers reads and gives of an export (export.ts's Exported, which imports this module). */
interface Stored {
  manifest: Descriptor;
  config: ImageConfig;
  compressed: number;
  uncompressed: number;
  copied?: number;
  clamped?: number;
}

/**
 * The stored image with its layers above the base clamped: a new config and manifest, in the
 * store beside the old ones. `onBlob` hears of each new blob once it is stored (to upload it).
 */
export async function clampLayers<E extends Stored>(
  store: Store,
  e: E,
  c: Clamp,
  onBlob?: (blob: Descriptor) => void,
): Promise<E> {
  const manifest = JSON.parse((await store.readBlob(e.manifest.digest)).toString()) as Manifest;
  const diffIds = e.config.rootfs.diff_ids;
  if (c.base.some((d, i) => diffIds[i] !== d))
    throw new MabError(
      'E_CLAMP',
      `the image does not start with the ${c.base.length} layers of its base image as its registry gives them now (${c.base.map((d) => d.slice(7, 19)).join(', ')}): the base's tag moved during the build`,
      'build again: the next build resolves the base once more',
    );
  const layers: Descriptor[] = [...manifest.layers];
  const ids = [...diffIds];
  let grown = 0;
  let rewritten = 0;
  for (let i = c.base.length; i < layers.length; i++) {
    const l = await clampLayer(store, layers[i]!, c.epoch);
    // The same bytes as before (nothing was later than the epoch): the engine's blob stays.
    if (l.diffId === ids[i]) continue;
    [layers[i], ids[i]] = [l.blob, l.diffId];
    grown += l.size - l.before;
    rewritten++;
  }
  // The engine's config bytes with only the list of diff_ids changed (it is one array of digests).
  const config = (await store.readBlob(manifest.config.digest))
    .toString()
    .replace(/"diff_ids"\s*:\s*\[[^\]]*\]/, `"diff_ids":${JSON.stringify(ids)}`);
  const configDesc = await store.putBytes(Buffer.from(config), manifest.config.mediaType);
  const manifestDesc = await store.putBytes(
    Buffer.from(JSON.stringify({ ...manifest, config: configDesc, layers })),
    e.manifest.mediaType,
  );
  for (const b of [...layers.slice(c.base.length), configDesc]) onBlob?.(b);
  return {
    ...e,
    manifest: { ...e.manifest, digest: manifestDesc.digest, size: manifestDesc.size },
    config: JSON.parse(config) as ImageConfig,
    compressed: configDesc.size + layers.reduce((n, l) => n + l.size, 0),
    uncompressed: e.uncompressed + grown,
    // Those stored as the engine compressed them are fewer now.
    copied: Math.max(0, (e.copied ?? 0) - rewritten),
    clamped: rewritten,
  };
}

/**
 * A stored layer gunzipped, clamped and gzipped again into the store: its new blob, diff_id and
 * tar size, and the size of the tar before (PAX records of clamped times are shorter).
 */
async function clampLayer(
  store: Store,
  layer: Descriptor,
  epoch: number,
): Promise<{ blob: Descriptor; diffId: string; size: number; before: number }> {
  const diff = createHash('sha256');
  let size = 0;
  let before = 0;
  const gunzip = (await store.repository().open(layer.digest)).pipe(createGunzip({ chunkSize: 1024 * 1024 }));
  const counted = (async function* () {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      before += chunk.length;
      yield chunk;
    }
  })();
  const hashed = (async function* () {
    for await (const chunk of clampTarTimes(counted, epoch)) {
      diff.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  })();
  const blob = await store.putStream(parallelGzip(hashed), MediaType.OciLayerGzip);
  return { blob: { ...blob, mediaType: layer.mediaType }, diffId: `sha256:${diff.digest('hex')}`, size, before };
}
