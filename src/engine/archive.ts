/**
 * The engine backend of the image model: what `docker save IMAGE` writes, read as a stream, in
 * any of the formats engines write.
 *
 *  - Engine 20.10 and before: `ID/layer.tar` (uncompressed), `ID/json`, `ID/VERSION`,
 *    `CONFIGHEX.json`, `repositories`, and `manifest.json` naming the config and layer files.
 *  - Engine 25+ with overlay2: an OCI image layout (`blobs/sha256/HEX`, `index.json`,
 *    `oci-layout`) whose layers are uncompressed tars named by their diff_id, with the same
 *    `manifest.json` beside it naming blob paths.
 *  - Engine 25+ with the containerd image store: that layout again, but the layers are the gzip
 *    blobs the engine itself holds, named by their own digest.
 *
 * Entry names do not say what an entry is: each is told by its first bytes (a gzip member, a tar
 * archive, a JSON document, or something else, which is skipped), and which entry is the config
 * and which are the layers, in what order, comes from `manifest.json`. Whatever the archive claims
 * is checked: a content-addressed name against the digest of its bytes, every layer against the
 * diff_id its config gives it.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { MabError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import type { Image, Layer } from '../oci/image.js';
import type { ImageConfig, Index } from '../oci/types.js';

/** How a layer's bytes are held in the archive. */
export type Compression = 'none' | 'gzip';

export interface ArchiveLayer {
  /** Its entry name, to name it in errors. */
  name: string;
  /** Bytes in the archive (uncompressed tar size when compression is none). */
  size: number;
  compression: Compression;
  /** The digest its name gives it (`blobs/sha256/HEX`): of the tar or of the gzip blob, per compression. */
  named?: string;
  /** Its bytes; must be read to the end, as the archive goes on only then. */
  content: AsyncIterable<Buffer>;
}

export interface SavedImage extends Omit<Image, 'layers'> {
  /** Bottom first; undefined where onLayer stored nothing. */
  layers: (Layer | undefined)[];
  /**
   * Every digest the engine may call this image by: the config digest (an engine with its own
   * layer store) and what the layout's index.json points at (the containerd image store's ID is
   * the manifest digest).
   */
  ids: string[];
}

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
// Configs, manifests and index files are small; anything larger that looks like JSON is not one.
const MAX_JSON = 64 * 1024 * 1024;
const CONTENT_NAME = /(?:^|\/)blobs\/sha256\/([a-f0-9]{64})$/;
// Engine 20.10 names the config by its digest: CONFIGHEX.json.
const CONFIG_NAME = /(?:^|\/)([a-f0-9]{64})\.json$/;

type Kind = 'gzip' | 'tar' | 'json' | 'zstd' | 'other';

/** What an entry is, by its first bytes (at least 512 of them unless it is shorter). */
export function kindOf(head: Buffer, size: number): Kind {
  if (head.subarray(0, 2).equals(GZIP)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD)) return 'zstd';
  // POSIX and GNU tar headers carry "ustar" at offset 257; an empty layer is two zero blocks.
  if (
    size >= 1024 &&
    size % 512 === 0 &&
    (head.subarray(257, 262).toString('latin1') === 'ustar' || head.subarray(0, 512).every((b) => b === 0))
  )
    return 'tar';
  const first = head.toString('utf8').trimStart()[0];
  if ((first === '{' || first === '[') && size <= MAX_JSON) return 'json';
  return 'other';
}

/** The first `n` bytes of a stream (fewer if it is shorter), and the whole stream again. */
async function peek(stream: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    seen.push(r.value);
    have += r.value.length;
  }
  async function* all() {
    yield* seen;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head: Buffer.concat(seen), all: all() };
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

const digestOf = (name: string, re: RegExp) => {
  const hex = re.exec(name)?.[1];
  return hex ? `sha256:${hex}` : undefined;
};

/**
 * Reads a save archive. `onLayer` hears of every entry that is a layer, in archive order, and
 * stores it (or, returning undefined, does not); the archive moves on as soon as its content is
 * read, while what onLayer does with it may go on. `image` names the image in errors. `abort` is
 * called when the read fails before the archive ended, before the archive stream is closed (so
 * that the process writing it is stopped, rather than failing on a closed pipe).
 */
export async function readSaveArchive(
  archive: Readable,
  image: string,
  onLayer: (layer: ArchiveLayer) => Promise<Layer | undefined>,
  abort?: () => void,
): Promise<SavedImage> {
  const json = new Map<string, Buffer>();
  const layers = new Map<string, Promise<Layer | undefined>>();
  // The first layer handler that failed: what the read then reports, ahead of whatever the stream
  // does after it (a handler that stopped reading leaves the archive to end short of its bytes).
  let failed: { error: unknown } | undefined;
  // Hard links and symbolic links: a name manifest.json may use for another entry.
  const links = new Map<string, string>();
  const extract = tar.extract();
  const entries = (async () => {
    for await (const entry of extract) {
      const { name, size = 0, type, linkname } = entry.header;
      if ((type === 'symlink' || type === 'link') && linkname)
        links.set(name, type === 'symlink' ? joinLink(name, linkname) : linkname);
      if (type !== 'file') {
        entry.resume();
        continue;
      }
      const { head, all } = await peek(entry as AsyncIterable<Buffer>, 512);
      const kind = kindOf(head, size);
      if (kind === 'zstd')
        throw new MabError(
          'E_EXPORT',
          `docker save ${image}: layer ${name} is zstd-compressed; mab stores gzip layers`,
          'build with the default (gzip) layer compression',
        );
      if (kind === 'json') json.set(name, await collect(all));
      else if (kind === 'gzip' || kind === 'tar') {
        let read!: () => void;
        const finished = new Promise<void>((resolve) => (read = resolve));
        async function* content() {
          yield* all;
          read();
        }
        const named = digestOf(name, CONTENT_NAME);
        const stored = onLayer({
          name,
          size,
          compression: kind === 'gzip' ? 'gzip' : 'none',
          ...(named ? { named } : {}),
          content: content(),
        });
        layers.set(name, stored);
        stored.catch((error: unknown) => (failed ??= { error }));
        // The next entry comes once this one's bytes are read; a handler that failed first ends the read.
        await Promise.race([finished, stored.then(() => finished)]);
      } else for await (const _ of all);
    }
  })().catch((e: unknown) => {
    abort?.();
    extract.destroy(e as Error);
    throw e;
  });
  try {
    await Promise.all([pipeline(archive, extract), entries]);
  } catch (e) {
    await Promise.allSettled(layers.values());
    throw failed ? failed.error : e;
  }
  // Layers still being stored are finished (or failed) before anything is said of the image.
  await Promise.allSettled(layers.values());
  return assemble(image, json, layers, links);
}

function joinLink(from: string, target: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '..') parts.pop();
    else if (p && p !== '.') parts.push(p);
  }
  return parts.join('/');
}

async function assemble(
  image: string,
  json: Map<string, Buffer>,
  layers: Map<string, Promise<Layer | undefined>>,
  links: Map<string, string>,
): Promise<SavedImage> {
  const fail = (what: string) =>
    new MabError(
      'E_EXPORT',
      `docker save ${image}: ${what}`,
      'the engine gave an archive mab cannot trust; rebuild the image, and report the engine version (`docker version`) if it happens again',
    );
  const resolve = (p: string) => {
    for (let i = 0; i < 8 && !json.has(p) && !layers.has(p) && links.has(p); i++) p = links.get(p)!;
    return p;
  };
  const manifestJson = json.get('manifest.json');
  if (!manifestJson) throw fail('the archive has no manifest.json');
  const entries = JSON.parse(manifestJson.toString()) as { Config?: string; Layers?: string[] }[];
  if (!Array.isArray(entries) || entries.length !== 1 || !entries[0]!.Config || !Array.isArray(entries[0]!.Layers)) {
    throw fail(`manifest.json describes ${Array.isArray(entries) ? entries.length : 'no'} images; one was asked for`);
  }
  const { Config: configPath, Layers: layerPaths } = entries[0] as { Config: string; Layers: string[] };
  const configBytes = json.get(resolve(configPath));
  if (!configBytes) throw fail(`manifest.json names the config ${configPath}, which the archive does not hold as JSON`);
  const configDigest = sha256Digest(configBytes);
  const claimed = digestOf(configPath, CONTENT_NAME) ?? digestOf(configPath, CONFIG_NAME);
  if (claimed && claimed !== configDigest) throw fail(`the config ${configPath} has digest ${configDigest}`);
  const config = JSON.parse(configBytes.toString()) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layerPaths.length)
    throw fail(`manifest.json lists ${layerPaths.length} layers, the config ${diffIds.length}`);
  const stored = await Promise.all(
    layerPaths.map(async (p, i) => {
      const held = layers.get(resolve(p));
      if (!held)
        throw fail(`manifest.json lists the layer ${p}, which the archive does not hold as a tar or gzip blob`);
      const l = await held;
      if (!l) return undefined;
      // The config names each layer by the digest of its uncompressed tar: a mismatch means the
      // archive and the image disagree, and the stored image would not run.
      if (l.diffId !== diffIds[i])
        throw fail(`layer ${i + 1} (${p}) has diff_id ${l.diffId}, its config says ${diffIds[i]}`);
      const named = digestOf(resolve(p), CONTENT_NAME);
      if (named && named !== l.diffId && named !== l.blob.digest)
        throw fail(`layer ${i + 1} is named ${named} but its bytes have digest ${l.blob.digest} (diff_id ${l.diffId})`);
      return l;
    }),
  );
  const index = json.get('index.json');
  const named = index ? ((JSON.parse(index.toString()) as Partial<Index>).manifests ?? []).map((d) => d.digest) : [];
  return {
    configBytes,
    config,
    layers: stored,
    ids: [...new Set([configDigest, ...named.filter((d): d is string => typeof d === 'string')])],
  };
}
