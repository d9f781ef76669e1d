import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EXPECTED, HISTORY, knownLayers } from '../../test/fixtures/known-image.js';
import { analyzeLayers, layerHistory } from './layers.js';

describe('analyzeLayers', () => {
  it('gives every figure of the known image exactly: per layer, wasted bytes as dive counts them, largest files', async () => {
    const layers = await knownLayers();
    const a = await analyzeLayers(
      layers.map((l) => l.descriptor),
      HISTORY,
      async (d) => Readable.from([layers.find((l) => l.descriptor.digest === d.digest)!.bytes]),
    );
    expect(a.layers.map((l) => [l.compressed, l.uncompressed])).toEqual(
      layers.map((l) => [l.bytes.length, l.tarBytes]),
    );
    expect(a.layers.map((l) => l.createdBy)).toEqual(EXPECTED.createdBy);
    expect(a.layers.map((l) => l.files)).toEqual(EXPECTED.files);
    expect(a.layers.map((l) => l.fileBytes)).toEqual(EXPECTED.fileBytes);
    expect(a.layers.map((l) => l.whiteouts)).toEqual(EXPECTED.whiteouts);
    expect(a.wasted.bytes).toBe(EXPECTED.wastedBytes);
    expect(a.wasted.paths.map((p) => [p.path, p.layers, p.bytes])).toEqual(EXPECTED.wastedPaths);
    expect(a.wasted.efficiency).toBeCloseTo(EXPECTED.efficiency, 12);
    expect(a.finalBytes).toBe(EXPECTED.finalBytes);
    expect(a.largest.map((f) => [f.path, f.size, f.layer])).toEqual(EXPECTED.largest);
  });

  it('reads in chunks of any size (a tar header split across chunks)', async () => {
    const layers = await knownLayers();
    const chunked = (b: Buffer) =>
      Readable.from(Array.from({ length: Math.ceil(b.length / 97) }, (_, i) => b.subarray(i * 97, (i + 1) * 97)));
    const a = await analyzeLayers(
      layers.map((l) => l.descriptor),
      HISTORY,
      async (d) => chunked(layers.find((l) => l.descriptor.digest === d.digest)!.bytes),
    );
    expect(a.wasted.bytes).toBe(EXPECTED.wastedBytes);
  });

  it('names the layer that cannot be read, and a layer type it does not know', async () => {
    const [l] = await knownLayers();
    const broken = gzipSync(
      Buffer.from('not a tar archive at all, but long enough to have a header block?'.repeat(20)),
    );
    await expect(analyzeLayers([l!.descriptor], undefined, async () => Readable.from([broken]))).rejects.toThrow(
      /layer 1 \(sha256:\w+\) could not be read/,
    );
    await expect(
      analyzeLayers(
        [{ ...l!.descriptor, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }],
        undefined,
        async () => Readable.from([]),
      ),
    ).rejects.toThrow(/is application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd, which mab cannot read/);
  });

  it('names no instruction when the history does not line up with the layers', () => {
    expect(layerHistory(HISTORY.slice(1), 3)).toEqual([undefined, undefined, undefined]);
    expect(layerHistory(undefined, 1)).toEqual([undefined]);
  });
});
