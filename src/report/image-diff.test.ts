import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../oci/digest.js';
import { MediaType, type Descriptor, type ImageConfig } from '../oci/types.js';
import { diffImages, formatDiff, jsonDiff } from './image-diff.js';
import type { ImageSource } from './source.js';

interface File {
  name: string;
  content?: string;
  mode?: number;
  mtime?: number;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

async function tarOf(files: File[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) => pack.on('end', resolve));
  pack.on('data', (c: Buffer) => chunks.push(c));
  for (const f of files)
    pack.entry(
      {
        name: f.name,
        type: f.type ?? 'file',
        mode: f.mode ?? 0o644,
        mtime: new Date((f.mtime ?? 1_700_000_000) * 1000),
        ...(f.linkname ? { linkname: f.linkname } : {}),
      },
      f.content ?? '',
    );
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An image source of one amd64 image whose layers hold `layers`, with `labels`. */
async function source(name: string, layers: File[][], labels: Record<string, string> = {}): Promise<ImageSource> {
  const blobs = new Map<string, Buffer>();
  const tars = await Promise.all(layers.map(tarOf));
  const descs: Descriptor[] = tars.map((t) => {
    const blob = gzipSync(t);
    const d = { mediaType: MediaType.OciLayerGzip, digest: sha256Digest(blob), size: blob.length };
    blobs.set(d.digest, blob);
    return d;
  });
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: '2023-11-14T22:13:20Z',
    config: { Labels: labels },
    rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256Digest(t)) },
    history: layers.map((_, i) => ({ created_by: `RUN step ${i + 1} # buildkit` })),
  };
  const manifest = JSON.stringify({ config, layers: descs });
  return {
    name,
    kind: 'store',
    annotations: {},
    images: [
      {
        platform: { os: 'linux', architecture: 'amd64' },
        manifest: { digest: sha256Digest(manifest), size: manifest.length, mediaType: MediaType.OciManifest },
        config,
        configSize: 0,
        layers: descs,
      },
    ],
    open: async (l) => Readable.from([blobs.get(l.digest)!]),
  };
}

const BASE: File[] = [
  { name: 'etc/', type: 'directory', mode: 0o755 },
  { name: 'etc/os-release', content: 'ID=debian\n' },
];

describe('diffImages', () => {
  it('says reproduced for the same image, and reads no layer to say so', async () => {
    const a = await source('a', [BASE, [{ name: 'app', content: 'v1' }]]);
    const b = await source('b', [BASE, [{ name: 'app', content: 'v1' }]]);
    const [d] = await diffImages(a, { ...b, open: () => Promise.reject(new Error('read')) });
    expect(d).toMatchObject({ platform: 'linux/amd64', same: true, config: [], layers: [] });
    expect(formatDiff([d!])).toBe(`linux/amd64: reproduced, ${d!.reference}`);
  });

  it('names each path that differs in the layers that differ, and how, and the config fields', async () => {
    const top = (stamp: string, extra: File[]): File[] => [
      { name: 'usr/', type: 'directory', mode: 0o755 },
      { name: 'usr/bin/app', content: 'the same', mode: 0o755 },
      { name: 'usr/share/built-at', content: stamp },
      ...extra,
    ];
    const a = await source('a', [BASE, top('1700000001.1\n', [{ name: 'usr/lib/a.so', content: 'x'.repeat(500) }])], {
      'org.opencontainers.image.revision': 'abc',
    });
    const b = await source(
      'b',
      [
        BASE,
        top('1700000002.2\n', [
          { name: 'usr/lib/a.so', content: 'y'.repeat(500), mtime: 1_800_000_000 },
          { name: 'usr/lib/b.so', type: 'symlink', linkname: 'a.so' },
        ]),
      ],
      { 'org.opencontainers.image.revision': 'def' },
    );
    const [d] = await diffImages(a, b);
    expect(d!.same).toBe(false);
    expect(d!.config).toEqual(['config.Labels.org.opencontainers.image.revision: "abc" → "def"']);
    // Layer 1 (the base) is the same blob and is not listed.
    expect(d!.layers.map((l) => l.layer)).toEqual([2]);
    expect(d!.layers[0]!.createdBy).toBe('RUN step 2');
    const files = Object.fromEntries(d!.layers[0]!.files.map((f) => [f.path, f]));
    expect(Object.keys(files)).toEqual(['/usr/lib/a.so', '/usr/lib/b.so', '/usr/share/built-at']);
    expect(files['/usr/lib/a.so']!.what).toEqual(['content', 'time']);
    expect(files['/usr/lib/a.so']!.detail).toMatch(
      /^content 500 bytes, sha256:\w+… → 500 bytes, sha256:\w+…; time 2023-11-14T22:13:20Z → 2027-01-15T08:00:00Z$/,
    );
    expect(files['/usr/lib/b.so']!.what).toEqual(['only-in-rebuilt']);
    // A short text file is shown: the reader sees it is a time.
    expect(files['/usr/share/built-at']!.detail).toBe('content "1700000001.1\\n" → "1700000002.2\\n"');
    const text = formatDiff([d!]);
    expect(text).toContain('layer 2 (RUN step 2): 3 paths differ');
    expect(text).toContain('    /usr/share/built-at: content "1700000001.1\\n" → "1700000002.2\\n"');
  });

  it('tells a layer with the same files under another compression from one whose files differ', async () => {
    const a = await source('a', [BASE]);
    const b = await source('b', [BASE]);
    // The same tar (same diff_id), another blob: what gzip at another level would give.
    const other = gzipSync(await tarOf(BASE), { level: 1 });
    const layer = { ...b.images[0]!.layers[0]!, digest: sha256Digest(other), size: other.length };
    const img = { ...b.images[0]!, layers: [layer], manifest: { ...b.images[0]!.manifest, digest: sha256Digest('x') } };
    const [d] = await diffImages(a, { ...b, images: [img], open: async () => Readable.from([other]) });
    expect(d!.layers).toEqual([expect.objectContaining({ layer: 1, sameFiles: true, files: [] })]);
  });
});

describe('jsonDiff', () => {
  it('gives the paths of the leaves that differ, arrays by index', () => {
    expect(
      jsonDiff(
        { created: 'a', history: [{ created: 'x' }, { created: 'y' }], config: { Env: ['A=1'] } },
        { created: 'b', history: [{ created: 'x' }, { created: 'z' }], config: { Env: ['A=1'], User: '65534' } },
      ),
    ).toEqual(['created: "a" → "b"', 'history[1].created: "y" → "z"', 'config.User: none → "65534"']);
  });
});
