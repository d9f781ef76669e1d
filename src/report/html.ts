/**
 * The reports as one self-contained HTML page: inline CSS and SVG, no script and no external URL,
 * so it opens from a CI artifact or an e-mail attachment offline. `mab report --html` and
 * `mab compare --html` are made by the same parts: the size report's tables (the very rows of
 * the text report, format.ts), bar charts on a log scale (chart.ts), and the footnotes
 * (notes.ts). The report's JSON is embedded too, for tools.
 *
 * The page takes the window's width: the charts are CSS grids, long instructions and paths wrap,
 * and a table that still does not fit scrolls inside its own box, never the page.
 */
import { barChart, esc, type BarGroup, type LegendItem } from './chart.js';
import { compareRows, type Comparison } from './compare.js';
import { CODE, NUMERIC, sections, sharedLine, title } from './format.js';
import { COMPARE_TERMS, REUSED, SIZE_TERMS, STORED_COMPRESSION } from './notes.js';
import type { SizeReport } from './report.js';
import { formatBytes } from '../util/io.js';

// Series colours (Tableau 10), told apart in print and by most colour-blind readers; base layers grey.
const CSS = `
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 0 auto; padding: 16px; max-width: 80rem; }
h1 { font-size: 1.5rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 32px 0 8px; padding-bottom: 2px; border-bottom: 1px solid #ddd; overflow-wrap: anywhere; }
h3 { font-size: 1rem; margin: 20px 0 6px; overflow-wrap: anywhere; }
p.sub { color: #555; margin: 0 0 16px; overflow-wrap: anywhere; }
figure.chart { margin: 16px 0 28px; }
figcaption { font-weight: 600; margin-bottom: 8px; }
figcaption .scale { font-weight: normal; color: #666; font-size: 12px; }
.bars { display: grid; grid-template-columns: minmax(0, max-content) minmax(6rem, 1fr) max-content; column-gap: 8px; align-items: center; }
.bars .group { grid-column: 1 / -1; font-weight: 600; font-size: 13px; padding-top: 8px; overflow-wrap: anywhere; }
.bars .label { font-size: 13px; max-width: min(40vw, 32rem); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.bars .value { font-size: 12px; white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
svg.bar { display: block; width: 100%; height: 22px; }
svg.axis { display: block; width: 100%; height: 22px; overflow: visible; }
svg.axis line { stroke: #888; }
svg.axis text { font: 11px system-ui, sans-serif; fill: #555; }
line.grid { stroke: #e4e4e4; }
.s0 { fill: #4e79a7; } .s1 { fill: #f28e2b; } .s2 { fill: #59a14f; } .s3 { fill: #e15759; }
.s4 { fill: #76b7b2; } .s5 { fill: #edc948; } .s6 { fill: #b07aa1; } .s7 { fill: #9c755f; }
.base { fill: #bab0ac; }
ul.legend { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
svg.swatch { width: 12px; height: 12px; vertical-align: -1px; margin-right: 6px; }
div.table { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 4px 0 12px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.num.nowrap { white-space: nowrap; }
td code { font-size: 12px; overflow-wrap: anywhere; }
.mark { color: #b35900; font-weight: 700; cursor: help; }
.notes { color: #555; font-size: 13px; }
.notes p { margin: 4px 0; }
@media (max-width: 720px) {
  body { padding: 10px; }
  table { font-size: 12px; }
  th, td { padding: 2px 4px; }
  svg.axis text.thin { display: none; }
}`;

interface Table {
  head: string[];
  rows: string[][];
  /** Attributes of each row's <tr>. */
  rowAttrs?: (i: number) => string;
}

function table(t: Table): string {
  // Sizes and counts are right-aligned and kept on one line; ratios may wrap at their space.
  const cls = (h: string) =>
    NUMERIC.has(h) ? ' class="num nowrap"' : h.startsWith('VS ') ? ' class="num"' : CODE.has(h) ? ' class="code"' : '';
  const cell = (h: string, raw: string) => {
    // A number stays with its unit when a narrow column wraps ("(-99.8 %)", "127.2 MB").
    const text = CODE.has(h) ? raw : raw.replace(/(\d) (?=(%|[KMG]?B|s)(\W|$))/g, '$1\u00a0');
    const body = CODE.has(h)
      ? `<code>${esc(text)}</code>`
      : h === 'BUILD' && text.endsWith('*')
        ? `${esc(text.slice(0, -1))}<span class="mark" title="${REUSED}">*</span>`
        : esc(text);
    return `<td${cls(h)}>${body}</td>`;
  };
  return [
    '<div class="table"><table>',
    `<thead><tr>${t.head.map((h) => `<th scope="col"${cls(h)}>${esc(h.toLowerCase())}</th>`).join('')}</tr></thead><tbody>`,
    ...t.rows.map((r, i) => `<tr${t.rowAttrs?.(i) ?? ''}>${r.map((c, k) => cell(t.head[k]!, c)).join('')}</tr>`),
    '</tbody></table></div>',
  ].join('\n');
}

/** Every table of a size report after its summary, each under a heading of `level`. */
function reportTables(r: SizeReport, level: 'h2' | 'h3'): string {
  return sections(r, Infinity)
    .slice(1)
    .map((s) => `<${level}>${esc(s.title)}</${level}>\n${table(s)}`)
    .join('\n');
}

const baseNames = (reports: SizeReport[]) => [
  ...new Set(
    reports.flatMap((r) => r.platforms.flatMap((p) => (p.base && !('unknown' in p.base) ? [p.base.name] : []))),
  ),
];

const BASE_TEXT = (names: string[]) =>
  `base: layers of the base image (${names.map(esc).join(', ')}), the same by diff_id. Every image on that base ` +
  'has them, so a host that already has one downloads them once.';

/** A bar per layer of every image, grouped by image, base layers grey; `fill` colours the others. */
function layerChart(images: { name: string; report: SizeReport; fill: string }[], legend: LegendItem[] = []): string {
  const groups: BarGroup[] = images.flatMap(({ name, report, fill }) =>
    report.platforms.map((p) => ({
      name: `${name}${name ? ' · ' : ''}${p.platform}: ${p.layers.length} layer${p.layers.length === 1 ? '' : 's'}`,
      bars: p.layers.map((l, i) => {
        const what = l.instruction ?? l.createdBy ?? '?';
        return {
          label: `#${i + 1} ${what}`,
          bytes: l.compressed,
          fill: l.fromBase ? 'base' : fill,
          title: `layer ${i + 1} of ${name ? `${name} ` : ''}${p.platform}${l.fromBase ? ' (base)' : ''}: ${what}`,
        };
      }),
    })),
  );
  const bases = baseNames(images.map((i) => i.report));
  return barChart({
    id: 'layers',
    caption: 'Layers of each image, download size (the full instruction is in the tables below)',
    groups,
    legend: [...legend, ...(bases.length ? [{ fill: 'base', text: BASE_TEXT(bases) }] : [])],
  });
}

const notes = (lines: string[]) => `<div class="notes">${lines.map((l) => `<p>${esc(l)}</p>`).join('')}</div>`;

function sizeNotes(reports: SizeReport[]): string {
  const stored = reports.some((r) => r.source === 'store');
  return notes([SIZE_TERMS, ...(stored ? [STORED_COMPRESSION.join(' ')] : [])]);
}

function page(heading: string, sub: string, body: string[], data: unknown): string {
  // JSON inside <script> must not be able to close the element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(heading)}</title>
<style>${CSS}
</style></head>
<body>
<h1>${esc(heading)}</h1>
<p class="sub">${esc(sub)}</p>
${body.join('\n')}
<script type="application/json" id="mab-data">${json}</script>
</body></html>
`;
}

/** `mab report --html`: everything the text report says, with a chart of sizes and one of layers. */
export function reportHtml(r: SizeReport): string {
  const [summary] = sections(r, Infinity);
  const sizes = barChart({
    id: 'sizes',
    caption: 'Download and unpacked size by platform',
    groups: r.platforms.map((p) => ({
      name: p.platform,
      bars: [
        { label: 'download', bytes: p.compressed, fill: 's0' },
        { label: 'unpacked', bytes: p.uncompressed, fill: 's1' },
      ].map((b) => ({ ...b, title: `${p.platform}, ${b.label}: ${formatBytes(b.bytes)}` })),
    })),
  });
  const shared = sharedLine(r);
  return page(
    `Image sizes: ${r.target}`,
    title(r),
    [
      '<h2>Platforms</h2>',
      table(summary!),
      sizes,
      layerChart([{ name: '', report: r, fill: 's0' }]),
      reportTables(r, 'h2'),
      shared ? `<p>${esc(shared)}</p>` : '',
      sizeNotes([r]),
    ],
    r,
  );
}

/** `mab compare --html`: the matrix as charts and a table, then each strategy's size report. */
export function compareHtml(c: Comparison, heading: string): string {
  const fillOf = (s: string) => `s${c.strategies.indexOf(s) % 8}`;
  const legend = c.strategies.map((s) => ({ fill: fillOf(s), text: esc(s) }));
  const matrix = (id: string, key: 'compressed' | 'uncompressed', caption: string) =>
    barChart({
      id,
      caption,
      groups: c.platforms.map((platform) => ({
        name: platform,
        bars: c.cells
          .filter((x) => x.platform === platform)
          .map((x) => ({
            label: x.strategy,
            bytes: x[key],
            fill: fillOf(x.strategy),
            title: `${x.strategy}, ${platform}: ${formatBytes(x[key])}${x.strategy === c.baseline ? ' (baseline)' : ''}`,
          })),
      })),
      legend,
    });
  const t = compareRows(c);
  const reports = c.strategies.map((s) => c.reports[s]!);
  return page(
    heading,
    `${c.strategies.length} strategies × ${c.platforms.length} platforms; ratios against ${c.baseline}`,
    [
      matrix('download', 'compressed', 'Download size (config + compressed layers) by platform and strategy'),
      matrix('unpacked', 'uncompressed', "Unpacked size (the layers' tar bytes) by platform and strategy"),
      '<h2>Sizes, build times and smoke checks</h2>',
      table({ ...t, rowAttrs: (i) => ` data-reused="${c.cells[i]!.reused}"` }),
      notes(COMPARE_TERMS),
      layerChart(
        c.strategies.map((s) => ({ name: s, report: c.reports[s]!, fill: fillOf(s) })),
        legend,
      ),
      ...c.strategies.map(
        (s) => `<h2>${esc(s)}: ${esc(c.reports[s]!.target)}</h2>\n${table(sections(c.reports[s]!, Infinity)[0]!)}
${reportTables(c.reports[s]!, 'h3')}`,
      ),
      sizeNotes(reports),
    ],
    c,
  );
}
