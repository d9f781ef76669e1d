/**
 * What differs between two builds of one image, per platform: the config (every field, by its
 * path: `created`, `config.Labels.org.opencontainers.image.revision`, `history[3].created`) and,
 * layer by layer, the files (content, size, mode, owner, time, link target, type, and the paths
 * only one of them has). Layers with the same diff_id are not read. A layer is read as a stream
 * (gunzip, tar-stream) and kept as one line per path with its content's digest, never on disk.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { MabError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { formatPlatform, samePlatform } from '../platform/platform.js';
import { cleanInstruction } from '../dockerfile/instruction.js';
import { layerHistory } from './layers.js';
import type { ImageSource, SourceImage } from './source.js';

/** What is known of one path in a layer. */
interface Entry {
  type: string;
  mode: number;
  owner: string;
  size: number;
  mtime: number;
  link?: string;
  sha256?: string;
  /** The content of a short text file, to show (a timestamp, a build ID). */
  text?: string;
}

export interface FileDiff {
  path: string;
  /** content, size, mode, owner, time, link, type; or only-in-reference, only-in-rebuilt. */
  what: string[];
  /** The two sides of what differs, as text ("29 bytes, sha256:ab12… → …"). */
  detail: string;
}

export interface LayerDiff {
  /** 1-based, bottom first. */
  layer: number;
  createdBy?: string;
  reference?: string;
  rebuilt?: string;
  /** The same files under another compression: only the blob differs. */
  sameFiles?: boolean;
  files: FileDiff[];
}

export interface PlatformDiff {
  platform: string;
  reference: string;
  rebuilt?: string;
  same: boolean;
  /** Config fields that differ: "PATH: A → B" (diff_ids are the layers' business). */
  config: string[];
  layers: LayerDiff[];
}

const GZIP = /\.tar\+gzip$|\.tar\.gzip$/;
/** Files up to this size whose bytes are printable text are shown, not only hashed. */
const SHORT = 80;

/** Every path of a layer with its attributes and content digest. */
async function entries(layer: Descriptor, open: (l: Descriptor) => Promise<Readable>): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const path = `/${h.name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '')}`;
    const e: Entry = {
      type: h.type ?? 'file',
      mode: h.mode ?? 0,
      owner: `${h.uid ?? 0}:${h.gid ?? 0}`,
      size: h.size ?? 0,
      mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
      ...(h.linkname ? { link: h.linkname } : {}),
    };
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    stream.on('data', (c) => {
      hash.update(c as Buffer);
      if (e.size <= SHORT) head.push(c as Buffer);
    });
    stream.on('end', () => {
      if (e.type === 'file' || e.type === 'contiguous-file') e.sha256 = `sha256:${hash.digest('hex')}`;
      const text = Buffer.concat(head).toString('utf8');
      if (e.size <= SHORT && /^[\t\n\x20-\x7e]*$/.test(text)) e.text = text;
      out.set(path, e);
      next();
    });
  });
  try {
    const source = await open(layer);
    await (GZIP.test(layer.mediaType)
      ? pipeline(source, createGunzip({ chunkSize: 256 * 1024 }), extract)
      : pipeline(source, extract));
  } catch (e) {
    throw new MabError(
      'E_LAYER_READ',
      `layer ${layer.digest} could not be read: ${(e as Error).message}`,
      'run `mab store verify`; the blob may be damaged',
    );
  }
  return out;
}

const time = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const short = (d: string | undefined) => (d ? d.slice(0, 19) + '…' : 'none');

/** How two entries of one path differ (none: the same). */
function entryDiff(path: string, a: Entry, b: Entry): FileDiff | undefined {
  const parts: [string, string, string][] = [];
  if (a.type !== b.type) parts.push(['type', a.type, b.type]);
  const content = (e: Entry) => (e.text !== undefined ? JSON.stringify(e.text) : `${e.size} bytes, ${short(e.sha256)}`);
  if (a.sha256 !== b.sha256 || a.size !== b.size) parts.push(['content', content(a), content(b)]);
  if (a.mode !== b.mode) parts.push(['mode', a.mode.toString(8), b.mode.toString(8)]);
  if (a.owner !== b.owner) parts.push(['owner', a.owner, b.owner]);
  if (a.link !== b.link) parts.push(['link', a.link ?? 'none', b.link ?? 'none']);
  if (a.mtime !== b.mtime) parts.push(['time', time(a.mtime), time(b.mtime)]);
  if (!parts.length) return undefined;
  return { path, what: parts.map((p) => p[0]), detail: parts.map(([w, x, y]) => `${w} ${x} → ${y}`).join('; ') };
}

/** The files two versions of one layer hold differently. */
async function layerFiles(
  ref: Descriptor | undefined,
  built: Descriptor | undefined,
  open: { reference: ImageSource['open']; rebuilt: ImageSource['open'] },
): Promise<FileDiff[]> {
  const a = ref ? await entries(ref, open.reference) : new Map<string, Entry>();
  const b = built ? await entries(built, open.rebuilt) : new Map<string, Entry>();
  const out: FileDiff[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (!y) out.push({ path, what: ['only-in-reference'], detail: `only in the reference (${x!.type})` });
    else if (!x) out.push({ path, what: ['only-in-rebuilt'], detail: `only in the rebuilt image (${y.type})` });
    else {
      const d = entryDiff(path, x, y);
      if (d) out.push(d);
    }
  }
  return out;
}

/** The leaves of two JSON values that differ, as "PATH: A → B". */
export function jsonDiff(a: unknown, b: unknown, at = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => jsonDiff(a[k], b[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k));
  }
  const show = (v: unknown) => (v === undefined ? 'none' : JSON.stringify(v));
  return show(a) === show(b) ? [] : [`${at}: ${show(a)} → ${show(b)}`];
}

async function platformDiff(
  ref: SourceImage,
  built: SourceImage | undefined,
  reference: ImageSource,
  rebuilt: ImageSource,
): Promise<PlatformDiff> {
  const platform = formatPlatform(ref.platform);
  if (!built)
    return {
      platform,
      reference: ref.manifest.digest,
      same: false,
      config: ['the rebuild made no image for this platform'],
      layers: [],
    };
  const same = ref.manifest.digest === built.manifest.digest;
  const base = { platform, reference: ref.manifest.digest, rebuilt: built.manifest.digest, same };
  if (same) return { ...base, config: [], layers: [] };
  const { rootfs: _a, ...refConfig } = ref.config;
  const { rootfs: _b, ...builtConfig } = built.config;
  const names = layerHistory(built.config.history, built.layers.length).map((h) => h && cleanInstruction(h));
  const layers: LayerDiff[] = [];
  const ids = [ref.config.rootfs.diff_ids, built.config.rootfs.diff_ids];
  for (let i = 0; i < Math.max(ref.layers.length, built.layers.length); i++) {
    const [x, y] = [ref.layers[i], built.layers[i]];
    if (x?.digest === y?.digest) continue;
    const row: LayerDiff = {
      layer: i + 1,
      ...(names[i] ? { createdBy: names[i] } : {}),
      ...(x ? { reference: x.digest } : {}),
      ...(y ? { rebuilt: y.digest } : {}),
      files: [],
    };
    if (x && y && ids[0]![i] === ids[1]![i]) row.sameFiles = true;
    else row.files = await layerFiles(x, y, { reference: reference.open, rebuilt: rebuilt.open });
    layers.push(row);
  }
  return { ...base, config: jsonDiff(refConfig, builtConfig), layers };
}

/** Each platform of the reference against the rebuilt image of the same platform. */
export async function diffImages(reference: ImageSource, rebuilt: ImageSource): Promise<PlatformDiff[]> {
  const out: PlatformDiff[] = [];
  for (const ref of reference.images)
    out.push(
      await platformDiff(
        ref,
        rebuilt.images.find((i) => samePlatform(i.platform, ref.platform)),
        reference,
        rebuilt,
      ),
    );
  return out;
}

/** The comparison as lines of text: one line per platform, then what differs under it. */
export function formatDiff(diffs: PlatformDiff[], o: { files?: number } = {}): string {
  const most = o.files ?? 20;
  const lines: string[] = [];
  for (const d of diffs) {
    if (d.same) {
      lines.push(`${d.platform}: reproduced, ${d.reference}`);
      continue;
    }
    lines.push(`${d.platform}: DIFFERS: ${d.reference} (reference) → ${d.rebuilt ?? 'none'} (rebuilt)`);
    for (const c of d.config) lines.push(`  config ${c}`);
    for (const l of d.layers) {
      const what = l.createdBy ? ` (${l.createdBy.length > 70 ? `${l.createdBy.slice(0, 69)}…` : l.createdBy})` : '';
      if (l.sameFiles) {
        lines.push(
          `  layer ${l.layer}${what}: the same files, compressed differently (${short(l.reference)} → ${short(l.rebuilt)})`,
        );
        continue;
      }
      lines.push(
        `  layer ${l.layer}${what}: ${l.files.length} path${l.files.length === 1 ? '' : 's'} differ${l.files.length === 1 ? 's' : ''}`,
      );
      for (const f of l.files.slice(0, most)) lines.push(`    ${f.path}: ${f.detail}`);
      if (l.files.length > most) lines.push(`    … and ${l.files.length - most} more (--json lists them all)`);
    }
  }
  return lines.join('\n');
}
