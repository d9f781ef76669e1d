import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { Layer } from '../oci/image.js';
import { kindOf, readSaveArchive, type ArchiveLayer } from './archive.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (d: string) => d.slice('sha256:'.length);

/** A layer tar holding one file. */
function layerTar(file: string, body: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(file, 0);
  header.write('0000644\0', 100);
  header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const data = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  data.write(body);
  return Buffer.concat([header, data, Buffer.alloc(1024)]);
}

const LAYERS = [layerTar('etc/one', 'first layer'), layerTar('usr/two', 'second layer, a little longer')];
const config = (diffIds: string[]) =>
  Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
const CONFIG = config(LAYERS.map(sha));

type Entry = [name: string, body: Buffer] | [name: string, link: { symlink: string }];

async function archive(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const [name, body] of entries) {
    if (Buffer.isBuffer(body)) pack.entry({ name }, body);
    else pack.entry({ name, type: 'symlink', linkname: body.symlink });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  // Small chunks: entries cross chunk boundaries, as they do in a pipe.
  const all = Buffer.concat(chunks);
  return Readable.from(
    Array.from({ length: Math.ceil(all.length / 700) }, (_, i) => all.subarray(i * 700, (i + 1) * 700)),
  );
}

/** Engine 20.10: ID/layer.tar, ID/json, ID/VERSION, CONFIGHEX.json, manifest.json, repositories. */
function format2010(config = CONFIG, layers = LAYERS): Entry[] {
  const ids = layers.map((_, i) => `${'ab'.repeat(31)}${i}${i}`);
  return [
    ...layers.flatMap((l, i): Entry[] => [
      [`${ids[i]}/VERSION`, Buffer.from('1.0')],
      [`${ids[i]}/json`, Buffer.from('{"id":"x"}')],
      [`${ids[i]}/layer.tar`, l],
    ]),
    [`${hex(sha(config))}.json`, config],
    [
      'manifest.json',
      Buffer.from(
        JSON.stringify([
          { Config: `${hex(sha(config))}.json`, RepoTags: ['x:1'], Layers: ids.map((id) => `${id}/layer.tar`) },
        ]),
      ),
    ],
    ['repositories', Buffer.from('{"x":{"1":"aa"}}')],
  ];
}

/** Engine 25+: an OCI layout with manifest.json beside it; layers as given (tars, or gzip blobs). */
function formatOci(
  blobs: Buffer[],
  config = CONFIG,
  order: 'blobs-first' | 'manifest-first' = 'blobs-first',
): { entries: Entry[]; manifestDigest: string } {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { digest: sha(config), size: config.length },
      layers: blobs.map((b) => ({ digest: sha(b), size: b.length })),
    }),
  );
  const meta: Entry[] = [
    [
      'index.json',
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          manifests: [
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length },
          ],
        }),
      ),
    ],
    [
      'manifest.json',
      Buffer.from(
        JSON.stringify([
          {
            Config: `blobs/sha256/${hex(sha(config))}`,
            RepoTags: ['x:1'],
            Layers: blobs.map((b) => `blobs/sha256/${hex(sha(b))}`),
          },
        ]),
      ),
    ],
    ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
  ];
  const content: Entry[] = [
    ['blobs/', Buffer.alloc(0)],
    ...[...blobs, config, manifest].map((b): Entry => [`blobs/sha256/${hex(sha(b))}`, b]),
  ];
  return {
    entries: order === 'blobs-first' ? [...content, ...meta] : [...meta, ...content],
    manifestDigest: sha(manifest),
  };
}

/** What an export does with a layer, minus the store: reads it all and says its digests. */
function recorder() {
  const seen: Omit<ArchiveLayer, 'content'>[] = [];
  const onLayer = async ({ content, ...layer }: ArchiveLayer): Promise<Layer> => {
    seen.push(layer);
    const chunks: Buffer[] = [];
    for await (const c of content) chunks.push(c);
    const bytes = Buffer.concat(chunks);
    const tarBytes = layer.compression === 'gzip' ? gunzipSync(bytes) : bytes;
    return {
      blob: { mediaType: 'x', digest: sha(bytes), size: bytes.length },
      diffId: sha(tarBytes),
      size: tarBytes.length,
    };
  };
  return { seen, onLayer };
}

describe('readSaveArchive', () => {
  it('reads engine 20.10 archives: layer.tar files in manifest.json order, the config by its digest name', async () => {
    const r = recorder();
    const saved = await readSaveArchive(await archive(format2010()), 'x:1', r.onLayer);
    expect(r.seen.map((l) => [l.compression, l.size, l.named])).toEqual(
      LAYERS.map((l) => ['none', l.length, undefined]),
    );
    expect(saved.layers.map((l) => l?.diffId)).toEqual(LAYERS.map(sha));
    expect(saved.configBytes.equals(CONFIG)).toBe(true);
    expect(saved.ids).toEqual([sha(CONFIG)]);
  });

  it.each(['blobs-first', 'manifest-first'] as const)(
    'reads engine 25+ overlay2 archives (uncompressed blobs named by diff_id), %s',
    async (order) => {
      const r = recorder();
      const { entries, manifestDigest } = formatOci(LAYERS, CONFIG, order);
      const saved = await readSaveArchive(await archive(entries), 'x:1', r.onLayer);
      expect(r.seen.map((l) => [l.compression, l.named])).toEqual(LAYERS.map((l) => ['none', sha(l)]));
      expect(saved.layers.map((l) => l?.diffId)).toEqual(LAYERS.map(sha));
      // The engine may call the image by its config digest or by the manifest the layout names.
      expect(saved.ids).toEqual([sha(CONFIG), manifestDigest]);
    },
  );

  it('reads containerd image store archives: gzip blobs handed over as they are, checked against the diff_ids', async () => {
    const r = recorder();
    const gz = LAYERS.map((l) => gzipSync(l));
    const saved = await readSaveArchive(await archive(formatOci(gz).entries), 'x:1', r.onLayer);
    expect(r.seen.map((l) => [l.compression, l.named, l.size])).toEqual(gz.map((b) => ['gzip', sha(b), b.length]));
    expect(saved.layers.map((l) => [l?.blob.digest, l?.diffId])).toEqual(gz.map((b, i) => [sha(b), sha(LAYERS[i]!)]));
  });

  it('follows links to the entry they name, and gives a layer listed twice twice', async () => {
    const { entries } = formatOci(LAYERS, config([sha(LAYERS[0]!), sha(LAYERS[0]!), sha(LAYERS[1]!)]));
    const manifest = JSON.stringify([
      {
        Config: `blobs/sha256/${hex(sha(config([sha(LAYERS[0]!), sha(LAYERS[0]!), sha(LAYERS[1]!)])))}`,
        Layers: ['old/layer.tar', `blobs/sha256/${hex(sha(LAYERS[0]!))}`, `blobs/sha256/${hex(sha(LAYERS[1]!))}`],
      },
    ]);
    const withLink = entries.map((e): Entry =>
      e[0] === 'manifest.json' ? ['manifest.json', Buffer.from(manifest)] : e,
    );
    withLink.push(['old/layer.tar', { symlink: `../blobs/sha256/${hex(sha(LAYERS[0]!))}` }]);
    const saved = await readSaveArchive(await archive(withLink), 'x:1', recorder().onLayer);
    expect(saved.layers.map((l) => l?.diffId)).toEqual([sha(LAYERS[0]!), sha(LAYERS[0]!), sha(LAYERS[1]!)]);
  });

  it('refuses a layer that is not the one its config names', async () => {
    const wrong = config([sha(LAYERS[1]!), sha(LAYERS[0]!)]);
    await expect(readSaveArchive(await archive(format2010(wrong)), 'x:1', recorder().onLayer)).rejects.toThrow(
      /docker save x:1: layer 1 \(.+\/layer.tar\) has diff_id sha256:[a-f0-9]{64}, its config says/,
    );
  });

  it('refuses a blob whose bytes are not those its name says', async () => {
    const { entries } = formatOci(LAYERS);
    const swapped = entries.map((e): Entry =>
      e[0] === `blobs/sha256/${hex(sha(LAYERS[0]!))}` ? [e[0], layerTar('etc/one', 'first layeR')] : e,
    );
    await expect(readSaveArchive(await archive(swapped), 'x:1', recorder().onLayer)).rejects.toThrow(
      /layer 1 .*has diff_id/,
    );
    const cfg = entries.map((e): Entry =>
      e[0] === `blobs/sha256/${hex(sha(CONFIG))}`
        ? [e[0], Buffer.from(CONFIG.toString().replace('arm64', 'amd64'))]
        : e,
    );
    await expect(readSaveArchive(await archive(cfg), 'x:1', recorder().onLayer)).rejects.toThrow(
      /the config blobs\/sha256\/[a-f0-9]{64} has digest/,
    );
  });

  it('says what is missing: no manifest.json, a layer that is not there, zstd layers', async () => {
    const noManifest = format2010().filter(([n]) => n !== 'manifest.json');
    await expect(readSaveArchive(await archive(noManifest), 'x:1', recorder().onLayer)).rejects.toThrow(
      'docker save x:1: the archive has no manifest.json',
    );
    const noLayer = format2010().filter(([n]) => !n.endsWith('0/layer.tar'));
    await expect(readSaveArchive(await archive(noLayer), 'x:1', recorder().onLayer)).rejects.toThrow(
      /lists the layer .+0\/layer.tar, which the archive does not hold/,
    );
    const zstd = format2010().map((e): Entry =>
      e[0].endsWith('1/layer.tar') ? [e[0], Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3])] : e,
    );
    await expect(readSaveArchive(await archive(zstd), 'x:1', recorder().onLayer)).rejects.toThrow(
      /layer .+ is zstd-compressed/,
    );
  });

  it('passes a handler failure on, having stopped the writer', async () => {
    let aborted = 0;
    const failing = async () => {
      throw new Error('disk full');
    };
    await expect(readSaveArchive(await archive(format2010()), 'x:1', failing, () => aborted++)).rejects.toThrow(
      'disk full',
    );
    expect(aborted).toBe(1);
  });
});

describe('readSaveArchive, a handler failing while the archive ends short', () => {
  it("reports the handler's failure, not the short archive that follows from it", async () => {
    const whole = Buffer.concat(
      await (async () => {
        const chunks: Buffer[] = [];
        for await (const c of await archive(format2010())) chunks.push(c as Buffer);
        return chunks;
      })(),
    );
    // The writer stops partway through the first layer, once the handler has its first bytes;
    // the handler fails only after the archive has ended short (its bytes were never read).
    let reading!: () => void;
    const started = new Promise<void>((resolve) => (reading = resolve));
    const short = Readable.from(
      (async function* () {
        yield whole.subarray(0, 3300);
        await started;
      })(),
    );
    const failing = async (l: ArchiveLayer) => {
      for await (const _ of l.content) {
        reading();
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('the copy failed');
      }
      return undefined;
    };
    await expect(readSaveArchive(short, 'x:1', failing)).rejects.toThrow('the copy failed');
  });
});

describe('kindOf', () => {
  it.each([
    ['a layer tar', layerTar('a', 'b'), 'tar'],
    ['an empty layer', Buffer.alloc(1024), 'tar'],
    ['a gzip blob', gzipSync(Buffer.from('x')), 'gzip'],
    ['a config', Buffer.from(' {"a":1}'), 'json'],
    ['manifest.json', Buffer.from('[{"Config":"x"}]'), 'json'],
    ['VERSION', Buffer.from('1.0'), 'other'],
    ['a zero block too short to be a tar', Buffer.alloc(512), 'other'],
  ])('%s is %s', (_, bytes, kind) => {
    expect(kindOf(bytes.subarray(0, 512), bytes.length)).toBe(kind);
  });
});
