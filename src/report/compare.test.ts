import { describe, expect, it } from 'vitest';
import { compareMarkdown, compareReports, compareText } from './compare.js';
import { compareHtml } from './html.js';
import type { PlatformReport, SizeReport } from './report.js';

const platform = (name: string, compressed: number, uncompressed: number, seconds: number): PlatformReport => ({
  platform: name,
  manifest: `sha256:${'0'.repeat(64)}`,
  compressed,
  uncompressed,
  finalBytes: uncompressed,
  largest: [],
  wasted: { bytes: 0, efficiency: 1, paths: [] },
  layers: [
    {
      digest: `sha256:${'1'.repeat(64)}`,
      compressed: compressed - 500,
      uncompressed,
      createdBy: 'COPY /out/ / # </script><b>',
      files: 3,
      fileBytes: uncompressed,
      whiteouts: 0,
      sharedWith: [],
      fromBase: false,
    },
  ],
  build: {
    buildSeconds: seconds,
    smoke: [{ name: 'runs', passed: true, seconds: 0.5 }],
    builtAt: '2026-11-23T00:00:00Z',
  },
});
const report = (strategy: string, ...platforms: PlatformReport[]): SizeReport => ({
  kind: 'mab/size-report',
  schemaVersion: 1,
  target: `app:1.0.0-${strategy}`,
  source: 'store',
  recipe: 'app',
  version: '1.0.0',
  strategy,
  platforms,
  shared: { layers: 0, compressed: 0 },
});

const reports = {
  single: report(
    'single',
    platform('linux/amd64', 120_000_000, 330_000_000, 40),
    platform('linux/arm64', 100_000_000, 300_000_000, 200),
  ),
  minimal: report(
    'minimal',
    platform('linux/amd64', 300_000, 600_000, 35),
    platform('linux/arm64', 250_000, 500_000, 180),
  ),
};

describe('compareReports', () => {
  it('gives each cell its ratio to single and the share saved', () => {
    const c = compareReports('app', '1.0.0', reports, { single: [], minimal: ['linux/amd64', 'linux/arm64'] });
    expect(c.baseline).toBe('single');
    expect(c.cells.map((x) => [x.strategy, x.platform, x.vsBaseline?.compressed, x.reused])).toEqual([
      ['single', 'linux/amd64', 1, false],
      ['single', 'linux/arm64', 1, false],
      ['minimal', 'linux/amd64', 400, true],
      ['minimal', 'linux/arm64', 400, true],
    ]);
    expect(c.cells[3]!.vsBaseline!.savedUncompressed).toBeCloseTo(1 - 500_000 / 300_000_000, 12);
  });

  it('takes the first strategy as the baseline when single is not compared', () => {
    expect(compareReports('app', '1.0.0', { minimal: reports.minimal }, {}).baseline).toBe('minimal');
  });

  it('prints the matrix as text within 100 columns and as Markdown', async () => {
    const c = compareReports('app', '1.0.0', reports, { single: [], minimal: ['linux/amd64', 'linux/arm64'] });
    const text = compareText(c);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    await expect(text).toMatchFileSnapshot('../../test/golden/report/compare.txt');
    await expect(compareMarkdown(c)).toMatchFileSnapshot('../../test/golden/report/compare.md');
  });
});

describe('the HTML page', () => {
  // minimal on arm64 was not built again (the build found it unchanged); amd64 was.
  const c = compareReports('app', '1.0.0', reports, { minimal: ['linux/arm64'] });
  const html = compareHtml(c, 'app <1.0.0>');

  it('is self-contained: no script to run, no external script, style, image or link', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="application/json" id="mab-data">']);
  });

  it('embeds the data so that no value can close its script element, and escapes the title', () => {
    const data = /<script type="application\/json" id="mab-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toContain('</script>');
    expect(JSON.parse(data).reports.single.platforms[0].layers[0].createdBy).toBe('COPY /out/ / # </script><b>');
    expect(html).toContain('<title>app &#60;1.0.0&#62;</title>');
    expect(html).not.toContain('<b>');
  });

  it('marks the reused cell, and only it, with the * its note explains', () => {
    const rows = [...html.matchAll(/<tr data-reused="(\w+)">(.*?)<\/tr>/g)].map((m) => [m[1], m[2]!]);
    expect(rows.map(([reused]) => reused)).toEqual(['false', 'false', 'false', 'true']);
    for (const [reused, row] of rows) expect(row!.includes('<span class="mark"')).toBe(reused === 'true');
    expect(html).toContain('* = reused from the store: the time is that of its build.');
  });

  it('draws every cell of the matrix as a bar on a log scale, where 300 KB is a tenth of the width or more', () => {
    const download = html.slice(html.indexOf('data-chart="download"'), html.indexOf('data-chart="unpacked"'));
    const bars = [...download.matchAll(/width="([\d.]+)%" data-bytes="(\d+)"/g)].map((m) => [
      Number(m[2]),
      Number(m[1]),
    ]);
    expect(bars.map(([bytes]) => bytes)).toEqual([120_000_000, 300_000, 100_000_000, 250_000]);
    for (const [, width] of bars) expect(width).toBeGreaterThan(10);
    expect(download).toContain('Log scale');
    expect([...download.matchAll(/<text class="tick[^"]*"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual([
      '10 KB',
      '100 KB',
      '1 MB',
      '10 MB',
      '100 MB',
      '1 GB',
    ]);
  });
});
