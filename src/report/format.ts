/**
 * The size report as text: a terminal table that fits 100 columns, and Markdown for CI job
 * summaries. Both are made from the same rows, so they always say the same thing.
 */
import { formatBytes } from '../util/io.js';
import type { PlatformReport, SizeReport } from './report.js';
import { SIZE_TERMS, STORED_COMPRESSION } from './notes.js';
import { table } from './table.js';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const smokeText = (p: PlatformReport) =>
  p.build
    ? `${p.build.smoke.every((s) => s.passed) ? 'pass' : 'FAIL'} ${p.build.smoke.filter((s) => s.passed).length}/${p.build.smoke.length}`
    : '-';
const baseText = (p: PlatformReport) =>
  !p.base
    ? '-'
    : 'unknown' in p.base
      ? 'unknown'
      : p.base.layers
        ? `${p.base.layers} (${formatBytes(p.base.compressed)})`
        : 'none';
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export interface Section {
  title: string;
  head: string[];
  rows: string[][];
}

export function title(r: SizeReport): string {
  const where = `${r.source} ${r.target}`;
  return r.recipe
    ? `${r.recipe}${r.version ? ` ${r.version}` : ''}${r.strategy ? ` (${r.strategy})` : ''}, ${where}`
    : where;
}

export const NUMERIC = new Set([
  '#',
  'DOWNLOAD',
  'UNPACKED',
  'LAYERS',
  'WASTED',
  'EFFICIENCY',
  'BUILD',
  'FILES',
  'SIZE',
  'LAYER',
  'BYTES',
  'TIME',
]);
export const CODE = new Set(['PATH', 'INSTRUCTION']);

/** Every table of the report, in order; text, Markdown and HTML are made from these rows. */
export function sections(r: SizeReport, instructionWidth: number): Section[] {
  const out: Section[] = [
    {
      title: 'Platforms',
      head: ['PLATFORM', 'DOWNLOAD', 'UNPACKED', 'LAYERS', 'FROM BASE', 'WASTED', 'EFFICIENCY', 'BUILD', 'SMOKE'],
      rows: r.platforms.map((p) => [
        p.platform,
        formatBytes(p.compressed),
        formatBytes(p.uncompressed),
        String(p.layers.length),
        baseText(p),
        formatBytes(p.wasted.bytes),
        pct(p.wasted.efficiency),
        p.build ? `${p.build.buildSeconds.toFixed(1)} s` : '-',
        smokeText(p),
      ]),
    },
  ];
  for (const p of r.platforms) {
    out.push({
      title: `Layers of ${p.platform}`,
      head: ['#', 'DOWNLOAD', 'UNPACKED', 'FILES', 'SHARED', 'INSTRUCTION'],
      rows: p.layers.map((l, i) => [
        String(i + 1),
        formatBytes(l.compressed),
        formatBytes(l.uncompressed),
        String(l.files),
        [l.fromBase ? 'base' : '', l.sharedWith.length ? `${l.sharedWith.length} other` : '']
          .filter(Boolean)
          .join(', ') || '-',
        clip(l.instruction ?? l.createdBy ?? '?', instructionWidth),
      ]),
    });
    if (p.largest.length)
      out.push({
        title: `Largest files of ${p.platform}`,
        head: ['SIZE', 'LAYER', 'PATH'],
        rows: p.largest.map((f) => [formatBytes(f.size), String(f.layer), f.path]),
      });
    if (p.wasted.paths.length)
      out.push({
        title: `Wasted in ${p.platform} (files written or deleted again by later layers)`,
        head: ['BYTES', 'LAYERS', 'PATH'],
        rows: p.wasted.paths.map((w) => [formatBytes(w.bytes), String(w.layers), w.path]),
      });
    if (p.build?.smoke.length)
      out.push({
        title: `Smoke checks of ${p.platform} (build of ${p.build.builtAt.slice(0, 16).replace('T', ' ')} UTC)`,
        head: ['CHECK', 'RESULT', 'TIME'],
        rows: p.build.smoke.map((c) => [c.name, c.passed ? 'pass' : 'FAIL', `${c.seconds.toFixed(1)} s`]),
      });
  }
  return out;
}

export function sharedLine(r: SizeReport): string {
  return r.platforms.length > 1
    ? `Shared between platforms: ${r.shared.layers} layer${r.shared.layers === 1 ? '' : 's'}, ${formatBytes(r.shared.compressed)} downloaded once per host.`
    : '';
}

export function reportText(r: SizeReport): string {
  const parts = [title(r), ''];
  for (const s of sections(r, 44)) parts.push(s.title, table(s.head, s.rows), '');
  const shared = sharedLine(r);
  if (shared) parts.push(shared);
  parts.push(SIZE_TERMS);
  if (r.source === 'store') parts.push(...STORED_COMPRESSION);
  return parts.join('\n') + '\n';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/`/g, "'");

export function reportMarkdown(r: SizeReport): string {
  const parts = [`### Image sizes: ${cell(title(r))}`, ''];
  for (const [i, s] of sections(r, 80).entries()) {
    // The platform summary stays open; the details fold away in a job summary.
    if (i > 0) parts.push(`<details><summary>${cell(s.title)}</summary>`, '');
    parts.push(`| ${s.head.join(' | ')} |`, `|${s.head.map((h) => (NUMERIC.has(h) ? '---:' : '---')).join('|')}|`);
    for (const row of s.rows)
      parts.push(`| ${row.map((c, k) => (CODE.has(s.head[k]!) ? `\`${cell(c)}\`` : cell(c))).join(' | ')} |`);
    parts.push('');
    if (i > 0) parts.push('</details>', '');
  }
  const shared = sharedLine(r);
  if (shared) parts.push(shared, '');
  return parts.join('\n');
}
