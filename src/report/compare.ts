/**
 * The strategy × platform matrix of `mab compare`: each cell's sizes, build time and smoke
 * result, with ratios against a baseline strategy (single, the "standard" column of seed 003's
 * Table 3, when it is among those compared; otherwise the first one).
 */
import { formatBytes } from '../util/io.js';
import type { SizeReport } from './report.js';
import { COMPARE_TERMS } from './notes.js';
import { table } from './table.js';

export const COMPARE_KIND = 'mab/compare';

export interface CompareCell {
  strategy: string;
  platform: string;
  compressed: number;
  uncompressed: number;
  layers: number;
  buildSeconds?: number;
  smoke?: { passed: number; total: number };
  /**
   * Not built by this run: the store's build of the same plan (checked by compare), or the
   * engine's image of the same plan and bases (the build's own check: execute.ts, "unchanged").
   */
  reused: boolean;
  /** Baseline size ÷ this size (2 = half the size), and the share saved, for download and unpacked. */
  vsBaseline?: { compressed: number; uncompressed: number; savedCompressed: number; savedUncompressed: number };
}

export interface Comparison {
  kind: typeof COMPARE_KIND;
  schemaVersion: 1;
  recipe: string;
  version: string;
  baseline: string;
  strategies: string[];
  platforms: string[];
  cells: CompareCell[];
  /** The size report of each strategy's build, for the per-layer breakdown. */
  reports: Record<string, SizeReport>;
}

export function compareReports(
  recipe: string,
  version: string,
  reports: Record<string, SizeReport>,
  /** By strategy, the platforms that were not built again. */
  reused: Record<string, string[]>,
): Comparison {
  const strategies = Object.keys(reports);
  const baseline = strategies.includes('single') ? 'single' : strategies[0]!;
  const platforms = [...new Set(strategies.flatMap((s) => reports[s]!.platforms.map((p) => p.platform)))];
  const cells: CompareCell[] = [];
  for (const strategy of strategies) {
    for (const p of reports[strategy]!.platforms) {
      const base = reports[baseline]!.platforms.find((b) => b.platform === p.platform);
      cells.push({
        strategy,
        platform: p.platform,
        compressed: p.compressed,
        uncompressed: p.uncompressed,
        layers: p.layers.length,
        ...(p.build
          ? {
              buildSeconds: p.build.buildSeconds,
              smoke: { passed: p.build.smoke.filter((s) => s.passed).length, total: p.build.smoke.length },
            }
          : {}),
        reused: reused[strategy]?.includes(p.platform) ?? false,
        ...(base
          ? {
              vsBaseline: {
                compressed: base.compressed / p.compressed,
                uncompressed: base.uncompressed / p.uncompressed,
                savedCompressed: 1 - p.compressed / base.compressed,
                savedUncompressed: 1 - p.uncompressed / base.uncompressed,
              },
            }
          : {}),
      });
    }
  }
  return { kind: COMPARE_KIND, schemaVersion: 1, recipe, version, baseline, strategies, platforms, cells, reports };
}

const ratio = (c: CompareCell, k: 'compressed' | 'uncompressed') => {
  const v = c.vsBaseline;
  if (!v) return '-';
  const saved = k === 'compressed' ? v.savedCompressed : v.savedUncompressed;
  return `${v[k].toFixed(v[k] < 10 ? 2 : 1)}× (${saved >= 0 ? '-' : '+'}${Math.abs(100 * saved).toFixed(1)} %)`;
};

/** The matrix, a row per cell (in `c.cells` order); text, Markdown and HTML are made from these rows. */
export function compareRows(c: Comparison): { head: string[]; rows: string[][] } {
  return {
    head: [
      'STRATEGY',
      'PLATFORM',
      'DOWNLOAD',
      `VS ${c.baseline.toUpperCase()}`,
      'UNPACKED',
      `VS ${c.baseline.toUpperCase()}`,
      'BUILD',
      'SMOKE',
    ],
    rows: c.cells.map((x) => [
      x.strategy,
      x.platform,
      formatBytes(x.compressed),
      x.strategy === c.baseline ? 'baseline' : ratio(x, 'compressed'),
      formatBytes(x.uncompressed),
      x.strategy === c.baseline ? 'baseline' : ratio(x, 'uncompressed'),
      x.buildSeconds === undefined ? '-' : `${x.buildSeconds.toFixed(1)} s${x.reused ? '*' : ''}`,
      x.smoke ? `${x.smoke.passed === x.smoke.total ? 'pass' : 'FAIL'} ${x.smoke.passed}/${x.smoke.total}` : '-',
    ]),
  };
}

const FOOT = COMPARE_TERMS.join('\n');

export function compareText(c: Comparison): string {
  const t = compareRows(c);
  return `${c.recipe} ${c.version}: ${c.strategies.length} strategies × ${c.platforms.length} platforms\n\n${table(t.head, t.rows)}\n\n${FOOT}\n`;
}

export function compareMarkdown(c: Comparison): string {
  const t = compareRows(c);
  const align = t.head.map((h) => (['STRATEGY', 'PLATFORM', 'SMOKE'].includes(h) ? '---' : '---:'));
  return [
    `### Strategies compared: ${c.recipe} ${c.version}`,
    '',
    `| ${t.head.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...t.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    FOOT,
    '',
  ].join('\n');
}
