/**
 * The HTML pages of `mab compare --html` and `mab report --html`, opened in a real browser
 * (Debian's Chromium, driven by playwright-core) at a narrow and a wide window: nothing scrolls
 * sideways, every bar is drawn large enough to see, the axes are labelled, base layers and reused
 * builds are explained and marked. The data is a store of http-endpoint-c's single and minimal
 * builds with the real sizes (test/fixtures/strategy-images.ts), which `mab compare` reuses, so
 * no build runs; the base is found through the engine's registry mirror. Screenshots of every
 * page and width go to the test's temporary directory (MAB_KEEP_TMP=1 keeps them).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/cli/resolve.js';
import { targetDigest } from '../../src/plan/digest.js';
import { formatPlatform } from '../../src/platform/platform.js';
import { RegistryClient } from '../../src/registry/client.js';
import type { Comparison } from '../../src/report/compare.js';
import type { SizeReport } from '../../src/report/report.js';
import { Store } from '../../src/store/layout.js';
import { storeStrategyImages } from '../fixtures/strategy-images.js';
import { REGISTRY, ROOT, mab } from './helpers.js';

// Without the background-networking flags Chromium keeps calling home, which a closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WIDTHS = [640, 1280];

let dir: string;
let browser: Browser;
let comparison: Comparison;
let report: SizeReport;
const pages: Record<'compare' | 'report', string> = { compare: '', report: '' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-report-html-'));
  const store = await Store.open(path.join(dir, 'store'));
  const digests = new Map<string, string>();
  for (const strategy of ['single', 'minimal']) {
    const plan = await resolvePlan(
      'http-endpoint-c',
      { strategy, arch: 'amd64,arm64' },
      {
        cwd: ROOT,
        env: process.env,
        out: () => {},
        err: () => {},
      },
    );
    for (const t of plan.targets) digests.set(`${strategy} ${formatPlatform(t.platform)}`, await targetDigest(t));
  }
  await storeStrategyImages(store, new RegistryClient(REGISTRY, {}), (s, p) => digests.get(`${s} ${p}`)!);

  pages.compare = path.join(dir, 'compare.html');
  const c = await mab([
    ...['compare', 'http-endpoint-c', '--arch', 'amd64,arm64', '--strategy', 'single,minimal'],
    ...['--store', store.dir, '--html', pages.compare, '--json'],
  ]);
  expect(c.exitCode, c.stderr.slice(-3000)).toBe(0);
  comparison = JSON.parse(c.stdout) as Comparison;
  pages.report = path.join(dir, 'report.html');
  const r = await mab([
    'report',
    'http-endpoint-c:1.0.0-single',
    '--store',
    store.dir,
    '--html',
    pages.report,
    '--json',
  ]);
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  report = JSON.parse(r.stdout) as SizeReport;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

/** What the page shows, measured in the browser. */
interface Rendered {
  scrollWidth: number;
  innerWidth: number;
  /** Tables wider than their box (they would scroll inside it). */
  wideTables: number;
  bars: { bytes: number; width: number; height: number; fill: string }[];
  /** Per chart: the tick labels shown, and whether any two of them overlap. */
  axes: { labels: string[]; overlap: boolean }[];
  /** Per chart: the caption's bottom and the top of the highest value label. */
  captions: { bottom: number; firstValue: number }[];
  legends: string[];
  reusedRows: { reused: boolean; mark: boolean }[];
  instructionAlign: string[];
  headings: string[];
  text: string;
}

async function render(page: Page): Promise<Rendered> {
  return page.evaluate(() => {
    const box = (e: Element) => e.getBoundingClientRect();
    const shown = (e: Element) => box(e).width > 0 && getComputedStyle(e).display !== 'none';
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      wideTables: [...document.querySelectorAll('div.table')].filter((d) => d.scrollWidth > d.clientWidth).length,
      bars: [...document.querySelectorAll('svg.bar rect')].map((r) => ({
        bytes: Number(r.getAttribute('data-bytes')),
        width: box(r).width,
        height: box(r).height,
        fill: r.getAttribute('class') ?? '',
      })),
      axes: [...document.querySelectorAll('svg.axis')].map((a) => {
        const labels = [...a.querySelectorAll('text.tick')].filter(shown);
        const boxes = labels.map(box);
        return {
          labels: labels.map((l) => l.textContent ?? ''),
          overlap: boxes.some((b, i) => i > 0 && b.left < boxes[i - 1]!.right + 2),
        };
      }),
      captions: [...document.querySelectorAll('figure.chart')].map((f) => ({
        bottom: box(f.querySelector('figcaption')!).bottom,
        firstValue: box(f.querySelector('.value')!).top,
      })),
      legends: [...document.querySelectorAll('ul.legend li')].filter(shown).map((l) => l.textContent ?? ''),
      reusedRows: [...document.querySelectorAll('tr[data-reused]')].map((tr) => ({
        reused: tr.getAttribute('data-reused') === 'true',
        mark: [...tr.querySelectorAll('.mark')].some((m) => shown(m) && m.textContent === '*'),
      })),
      instructionAlign: [...document.querySelectorAll('td.code')].map((td) => getComputedStyle(td).textAlign),
      headings: [...document.querySelectorAll('h2, h3')].map((h) => h.textContent ?? ''),
      text: document.body.innerText.replace(/\u00a0/g, ' '),
    };
  });
}

async function open(name: 'compare' | 'report', width: number): Promise<Rendered> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  try {
    await page.goto(`file://${pages[name]}`);
    const shot = path.join(dir, `${name}-${width}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    return await render(page);
  } finally {
    await page.close();
  }
}

/** What both pages must do at every width. */
function checkLayout(r: Rendered, charts: number) {
  expect(r.scrollWidth).toBeLessThanOrEqual(r.innerWidth);
  expect(r.wideTables).toBe(0);
  for (const b of r.bars) {
    expect(b.width, `the bar of ${b.bytes} bytes`).toBeGreaterThanOrEqual(4);
    expect(b.height).toBeGreaterThanOrEqual(10);
  }
  expect(r.axes).toHaveLength(charts);
  for (const a of r.axes) {
    expect(a.labels.length).toBeGreaterThanOrEqual(3);
    for (const l of a.labels) expect(l).toMatch(/^(0|\d+(\.\d)? (B|KB|MB|GB))$/);
    expect(a.overlap).toBe(false);
  }
  for (const c of r.captions) expect(c.firstValue).toBeGreaterThan(c.bottom);
  expect(r.legends.some((l) => l.startsWith('base: layers of the base image (debian:bookworm)'))).toBe(true);
  expect(r.bars.filter((b) => b.fill === 'base').length).toBe(2);
  expect(new Set(r.instructionAlign)).toEqual(new Set(['left']));
  // BuildKit's noise is gone; the recipe's own words are there.
  expect(r.text).not.toMatch(/DEBIAN_FRONTEND|# buildkit|zz-mab-keep-debs|--mount=/);
  expect(r.text).toContain('RUN apt-get install gcc libc6-dev');
  expect(r.text).toContain('RUN gcc -O2 -static -s -o /usr/local/bin/http-endpoint server.c');
  expect(r.text).toContain('zlib level 5');
}

describe('mab compare --html in Chromium', () => {
  it.each(WIDTHS)('at %i px: every bar visible on a labelled log axis, reused rows marked', async (width) => {
    expect(comparison.cells.every((x) => x.reused)).toBe(true);
    const r = await open('compare', width);
    checkLayout(r, 3);
    // The matrix: 4 cells twice (download, unpacked); then every layer of every image.
    const layers = comparison.cells.reduce((n, x) => n + x.layers, 0);
    expect(r.bars).toHaveLength(8 + layers);
    const cells = comparison.cells.map((x) => x.compressed).sort();
    expect(
      r.bars
        .slice(0, 4)
        .map((b) => b.bytes)
        .sort(),
    ).toEqual(cells);
    // 127 MB beside 317 KB: the small bar is still a good part of the large one.
    const [big, small] = [Math.max(...cells), Math.min(...cells)];
    expect(big / small).toBeGreaterThan(300);
    const widthOf = (bytes: number) => r.bars.find((b) => b.bytes === bytes)!.width;
    expect(widthOf(small) / widthOf(big)).toBeGreaterThan(0.2);
    expect(r.reusedRows).toHaveLength(4);
    for (const row of r.reusedRows) expect(row.mark).toBe(row.reused);
    expect(r.text).toContain('* = reused from the store: the time is that of its build.');
    expect(r.text).toContain('COPY --from=build /usr/local/bin/http-endpoint + the shared libraries they load');
  });
});

describe('mab report --html in Chromium', () => {
  it.each(WIDTHS)(
    'at %i px: the whole text report (largest files, waste, smoke checks) with its charts',
    async (width) => {
      const r = await open('report', width);
      checkLayout(r, 2);
      expect(r.bars).toHaveLength(2 * 2 + report.platforms.reduce((n, p) => n + p.layers.length, 0));
      for (const p of report.platforms) {
        expect(r.headings).toContain(`Layers of ${p.platform}`);
        expect(r.headings).toContain(`Largest files of ${p.platform}`);
        expect(r.headings).toContain(`Wasted in ${p.platform} (files written or deleted again by later layers)`);
        expect(r.headings).toContain(`Smoke checks of ${p.platform} (build of 2026-12-04 10:00 UTC)`);
        expect(r.text).toContain(p.largest[0]!.path);
        expect(r.text).toContain(p.wasted.paths[0]!.path);
      }
      expect(report.platforms[0]!.wasted.paths.map((w) => w.path)).toContain('/var/lib/dpkg/status');
      expect(r.text).toContain('GET /\tpass\t0.6 s');
    },
  );
});
