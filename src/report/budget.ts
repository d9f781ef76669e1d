/**
 * Size budgets for CI: `--max-size linux/arm64=60MB` (or `--max-size 60MB` for every platform)
 * against the download size, the figure an edge board pays over its link. A recipe may set
 * defaults (`max_size:`); the command line wins for a platform it names.
 */
import { MabError } from '../errors.js';
import { formatPlatform, parsePlatform } from '../platform/platform.js';
import { formatBytes } from '../util/io.js';
import type { SizeReport } from './report.js';

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "60MB", "1.5 GB", "512KiB", "1000" → bytes (MB = 10^6, MiB = 2^20). */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = UNITS[m?.[2]?.toLowerCase() ?? 'x'];
  if (!m || unit === undefined) throw new MabError('E_BUDGET', `${what}: "${text}" is not a size`, 'write e.g. 60MB, 1.5GB, 512KiB or a byte count');
  return Math.round(Number(m[1]) * unit);
}

/** Budgets by platform ('*' for every platform). */
export type Budgets = Record<string, number>;

export function parseBudgets(specs: string[], what = '--max-size'): Budgets {
  const out: Budgets = {};
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const platform = eq < 0 ? '*' : formatPlatform(parsePlatform(spec.slice(0, eq)));
    out[platform] = parseSize(eq < 0 ? spec : spec.slice(eq + 1), `${what} ${spec}`);
  }
  return out;
}

export interface BudgetResult {
  platform: string;
  size: number;
  budget: number;
  over: boolean;
}

export function checkBudgets(r: SizeReport, ...layers: Budgets[]): BudgetResult[] {
  const merged: Budgets = Object.assign({}, ...layers);
  return r.platforms.flatMap((p) => {
    const budget = merged[p.platform] ?? merged['*'];
    return budget === undefined ? [] : [{ platform: p.platform, size: p.compressed, budget, over: p.compressed > budget }];
  });
}

export function budgetMessage(b: BudgetResult): string {
  return `${b.platform}: ${formatBytes(b.size)} (${b.size} bytes) is ${b.over ? 'over' : 'within'} its budget of ${formatBytes(b.budget)}${b.over ? ` by ${formatBytes(b.size - b.budget)}` : ''}`;
}
