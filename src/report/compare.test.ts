import { describe, expect, it } from 'vitest';
import { compareMarkdown, compareReports, compareText } from './compare.js';
import { reportHtml } from './html.js';
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
    const c = compareReports('app', '1.0.0', reports, { single: false, minimal: true });
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
    const c = compareReports('app', '1.0.0', reports, { single: false, minimal: true });
    const text = compareText(c);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    await expect(text).toMatchFileSnapshot('../../test/golden/report/compare.txt');
    await expect(compareMarkdown(c)).toMatchFileSnapshot('../../test/golden/report/compare.md');
  });
});

describe('the HTML page', () => {
  const html = reportHtml({ title: 'app <1.0.0>', ...compareReports('app', '1.0.0', reports, {}), reports });

  it('is self-contained: no external script, style, image or link', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    // The one URL is the SVG namespace, an identifier that is never fetched.
    expect([...html.matchAll(/https?:\/\/[^\s'"`)]+/g)].map((m) => m[0])).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('embeds the data so that no value can close its script element, and escapes the title', () => {
    const data = /<script type="application\/json" id="mab-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toContain('</script>');
    expect(JSON.parse(data).reports.single.platforms[0].layers[0].createdBy).toBe('COPY /out/ / # </script><b>');
    expect(html).toContain('<title>app &#60;1.0.0&#62;</title>');
  });
});
