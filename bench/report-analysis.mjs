/**
 * How fast `mab report` reads an image, against the floor of plain `gzip -dc` over the same layer
 * blobs, and how its memory grows with the image. The image (over 1 GB unpacked) is built from
 * Debian packages by mab itself (bench/recipes/big-image.yaml), once; later runs reuse it.
 *
 * Goals (issue 5): analysis ÷ gzip -dc ≤ 1.3 (median of the runs); peak memory bounded, not
 * proportional to the image, shown by the same analysis of an image about 15× smaller.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, mab, runs, stats, timed } from './lib.mjs';

const STORE = process.env.MAB_BENCH_STORE || path.join(ROOT, '.mab', 'bench-store');
const BIG = 'big-image:1.0.0-single';
const SMALL = 'http-endpoint-c:1.0.0-multistage';

function layerFiles(tag) {
  const index = JSON.parse(readFileSync(path.join(STORE, 'index.json'), 'utf8'));
  const top = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  const blob = (d) => path.join(STORE, 'blobs', 'sha256', d.slice(7));
  const child = JSON.parse(readFileSync(blob(top.digest), 'utf8')).manifests[0];
  return JSON.parse(readFileSync(blob(child.digest), 'utf8')).layers.map((l) => blob(l.digest));
}

const analyze = (tag) =>
  JSON.parse(execFileSync('node', [path.join(ROOT, 'bench', 'analyze.mjs'), STORE, tag], { encoding: 'utf8' }));

export async function run() {
  mab([
    'build',
    'big-image',
    '--recipes',
    path.join(ROOT, 'bench', 'recipes'),
    '--strategy',
    'single',
    '--arch',
    'amd64',
    '--store',
    STORE,
    '--quiet',
  ]);
  mab(['build', 'http-endpoint-c', '--strategy', 'multistage', '--arch', 'amd64', '--store', STORE, '--quiet']);
  const layers = layerFiles(BIG);
  const floor = [];
  const ours = [];
  let big;
  for (let i = 0; i < runs(5); i++) {
    // Alternate which goes first, so the page cache favours neither.
    const gunzip = () =>
      floor.push(
        timed(() => execFileSync('sh', ['-c', 'for f in "$@"; do gzip -dc "$f"; done > /dev/null', 'sh', ...layers])),
      );
    const analysis = () => {
      big = analyze(BIG);
      ours.push(big.seconds);
    };
    if (i % 2) (gunzip(), analysis());
    else (analysis(), gunzip());
  }
  const small = analyze(SMALL);
  const f = stats(floor);
  const o = stats(ours);
  return {
    name: 'report analysis vs gzip -dc',
    image: {
      tag: BIG,
      compressed: big.compressed,
      uncompressed: big.uncompressed,
      files: big.files,
      layers: layers.length,
    },
    seconds: { gzipDc: f, analysis: o },
    ratio: { value: o.median / f.median, goal: 1.3, met: o.median / f.median <= 1.3 },
    throughputMBps: big.uncompressed / 1e6 / o.median,
    memory: {
      big: { uncompressed: big.uncompressed, maxRssBytes: big.maxRssBytes },
      small: { tag: SMALL, uncompressed: small.uncompressed, maxRssBytes: small.maxRssBytes },
      imageRatio: big.uncompressed / small.uncompressed,
      rssRatio: big.maxRssBytes / small.maxRssBytes,
    },
  };
}
