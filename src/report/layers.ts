/**
 * What an image's layers hold, read as a stream: each layer goes through gunzip and tar-stream
 * once, in order, and nothing is written to disk. Memory grows with the number of paths, not with
 * the bytes.
 *
 * Wasted bytes follow dive's definition (github.com/wagoodman/dive, filetree/efficiency.go), so the
 * figures can be checked against it:
 *  - every layer that touches a path adds to the path's cumulative size: the file's size, 0 for a
 *    directory or link, and for a whiteout the bytes it deletes (a deleted directory's files);
 *  - a path touched by two or more layers is inefficient, and all of its cumulative size is wasted
 *    (the copy that survives too: it could have been the only one);
 *  - efficiency = Σ smallest size seen per path ÷ Σ cumulative size (1 when nothing is repeated).
 * An opaque directory (.wh..wh..opq) deletes what lower layers had under it, each file counting as
 * a whiteout of that file.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { MabError } from '../errors.js';
import { checkLayerType, entryPath, joinPath, parentOf, readLayerTar } from '../oci/files.js';
import type { Descriptor, HistoryEntry } from '../oci/types.js';

export interface LayerRow {
  digest: string;
  /** Download size (the blob as stored). */
  compressed: number;
  /** Unpacked size: the bytes of the layer's tar. */
  uncompressed: number;
  /** The instruction that made it (config history), when the history says. */
  createdBy?: string;
  files: number;
  /** Bytes of regular files the layer adds. */
  fileBytes: number;
  /** Paths the layer deletes (whiteouts; an opaque directory counts once). */
  whiteouts: number;
}

export interface PathWaste {
  path: string;
  /** How many layers touched it. */
  layers: number;
  bytes: number;
}

export interface LayerAnalysis {
  layers: LayerRow[];
  /** Files in the final filesystem, largest first (at most `top`). */
  largest: { path: string; size: number; layer: number }[];
  /** Bytes of regular files in the final filesystem. */
  finalBytes: number;
  wasted: { bytes: number; efficiency: number; paths: PathWaste[] };
}

interface Seen {
  cumulative: number;
  smallest: number;
  count: number;
}

interface Present {
  size: number;
  layer: number;
  dir: boolean;
  /** A regular file (not a link or device): only these count as the image's files. */
  regular: boolean;
}

/** The history entries that made layers, in layer order (empty_layer ones made none). */
export function layerHistory(history: HistoryEntry[] | undefined, layers: number): (string | undefined)[] {
  const made = (history ?? []).filter((h) => !h.empty_layer);
  // A history that does not line up with the layers names nothing rather than the wrong thing.
  if (made.length !== layers) return Array.from({ length: layers }, () => undefined);
  return made.map((h) =>
    h.created_by
      ?.replace(/^\/bin\/sh -c #\(nop\) +/, '')
      .replace(/^\/bin\/sh -c /, 'RUN ')
      .trim(),
  );
}

export async function analyzeLayers(
  layers: Descriptor[],
  history: HistoryEntry[] | undefined,
  open: (layer: Descriptor) => Promise<Readable>,
  o: { top?: number } = {},
): Promise<LayerAnalysis> {
  const seen = new Map<string, Seen>();
  const present = new Map<string, Present>();
  const touch = (p: string, size: number) => {
    const s = seen.get(p);
    if (!s) return void seen.set(p, { cumulative: size, smallest: size, count: 1 });
    s.cumulative += size;
    s.smallest = Math.min(s.smallest, size);
    s.count++;
  };
  /** Removes p (self) and what lower layers have under it; returns the file bytes under it. */
  const remove = (p: string, below: number, self: boolean): number => {
    const it = present.get(p);
    if (self && it && !it.dir) {
      // A file: no scan needed (most whiteouts are files).
      if (it.layer < below) present.delete(p);
      return 0;
    }
    let bytes = 0;
    const prefix = p ? `${p}/` : '';
    for (const [q, v] of present) {
      if (v.layer >= below || !(q.startsWith(prefix) || (self && q === p))) continue;
      present.delete(q);
      // dive counts a deleted directory's files at the whiteout, a deleted file as 0 there.
      if (q === p) continue;
      bytes += v.size;
      if (!self) touch(q, 0);
    }
    return bytes;
  };

  const rows: LayerRow[] = [];
  const createdBy = layerHistory(history, layers.length);
  for (const [i, layer] of layers.entries()) {
    checkLayerType(layer, `layer ${i + 1} (${layer.digest})`);
    const row: LayerRow = {
      digest: layer.digest,
      compressed: layer.size,
      uncompressed: 0,
      ...(createdBy[i] ? { createdBy: createdBy[i] } : {}),
      files: 0,
      fileBytes: 0,
      whiteouts: 0,
    };
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const p = entryPath(header.name);
      const base = p.slice(p.lastIndexOf('/') + 1);
      if (base === '.wh..wh..opq') {
        row.whiteouts++;
        remove(parentOf(p), i, false);
      } else if (base.startsWith('.wh.')) {
        const target = joinPath(parentOf(p), base.slice(4));
        row.whiteouts++;
        touch(target, remove(target, i, true));
      } else if (p) {
        const regular = header.type === 'file' || header.type === 'contiguous-file';
        const size = regular ? (header.size ?? 0) : 0;
        if (regular) row.files++;
        row.fileBytes += size;
        touch(p, size);
        present.set(p, { size, layer: i, dir: header.type === 'directory', regular });
      }
      stream.on('end', next);
      stream.resume();
    });
    try {
      await readLayerTar(layer, open, extract, (n) => void (row.uncompressed += n));
    } catch (e) {
      throw new MabError(
        'E_LAYER_READ',
        `layer ${i + 1} (${layer.digest}) could not be read: ${(e as Error).message}`,
        'run `mab store verify`; the blob may be damaged',
      );
    }
    rows.push(row);
  }

  let cumulative = 0;
  let smallest = 0;
  let wastedBytes = 0;
  const paths: PathWaste[] = [];
  for (const [p, s] of seen) {
    cumulative += s.cumulative;
    smallest += s.smallest;
    if (s.count < 2) continue;
    wastedBytes += s.cumulative;
    if (s.cumulative > 0) paths.push({ path: `/${p}`, layers: s.count, bytes: s.cumulative });
  }
  const top = o.top ?? 10;
  const files = [...present].filter(([, v]) => v.regular);
  return {
    layers: rows,
    largest: files
      .sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]))
      .slice(0, top)
      .map(([p, v]) => ({ path: `/${p}`, size: v.size, layer: v.layer + 1 })),
    finalBytes: files.reduce((n, [, v]) => n + v.size, 0),
    wasted: {
      bytes: wastedBytes,
      efficiency: cumulative ? smallest / cumulative : 1,
      paths: paths.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path)).slice(0, top),
    },
  };
}
