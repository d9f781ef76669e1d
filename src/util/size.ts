import { MabError } from '../errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * A size as parseSize reads it, the unit in any letter case. Spelled without flags ([mM][bB]),
 * so the recipe schema can carry it as a JSON Schema pattern, which has none.
 */
export const SIZE_RE = new RegExp(
  `^\\s*(\\d+(?:\\.\\d+)?)\\s*(${Object.keys(UNITS)
    .map((u) => u.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`))
    .join('|')})\\s*$`,
);

/** "60MB", "1.5 GB", "512KiB", "1000" → bytes (MB = 10^6, MiB = 2^20). */
export function parseSize(text: string, what: string): number {
  const m = SIZE_RE.exec(text);
  const unit = UNITS[m?.[2]?.toLowerCase() ?? 'x'];
  if (!m || unit === undefined)
    throw new MabError(
      'E_BUDGET',
      `${what}: "${text}" is not a size`,
      'write e.g. 60MB, 1.5GB, 512KiB or a byte count',
    );
  return Math.round(Number(m[1]) * unit);
}
