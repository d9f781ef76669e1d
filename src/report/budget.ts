/**
 * Size budgets for CI: `--max-size linux/arm64=60MB` (or `--max-size 60MB` for every platform)
 * against the download size, the figure an edge board pays over its link. A recipe may set
 * defaults (`max_size:`); the command line wins for a platform it names.
 */
import { formatPlatform, parsePlatform } from '../platform/platform.js';
import { formatBytes } from '../util/io.js';
import { parseSize } from '../util/size.js';

export { parseSize };
import type { SizeReport } from './report.js';

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
    return budget === undefined
      ? []
      : [{ platform: p.platform, size: p.compressed, budget, over: p.compressed > budget }];
  });
}

export function budgetMessage(b: BudgetResult): string {
  return `${b.platform}: ${formatBytes(b.size)} (${b.size} bytes) is ${b.over ? 'over' : 'within'} its budget of ${formatBytes(b.budget)}${b.over ? ` by ${formatBytes(b.size - b.budget)}` : ''}`;
}
