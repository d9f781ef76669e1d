/**
 * Reports as one self-contained HTML file: no external URL, so it opens from a CI artifact or an
 * e-mail attachment offline. The data is embedded as JSON and drawn as SVG bar charts by a small
 * inline script: the strategy × platform matrix (download and unpacked) and, per image, a bar of
 * its layers. The tables are written out too, so the numbers read without the script.
 */
import { formatBytes } from '../util/io.js';
import type { CompareCell } from './compare.js';
import type { SizeReport } from './report.js';

export interface HtmlInput {
  title: string;
  /** The matrix, for `mab compare`; none for a single report. */
  cells?: CompareCell[];
  baseline?: string;
  /** Size reports by strategy (or by target for a single report). */
  reports: Record<string, SizeReport>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function tables(input: HtmlInput): string {
  const out: string[] = [];
  if (input.cells) {
    out.push(
      '<table><tr><th>strategy</th><th>platform</th><th>download</th><th>unpacked</th><th>build</th><th>smoke</th></tr>',
    );
    for (const c of input.cells)
      out.push(
        `<tr><td>${esc(c.strategy)}</td><td>${esc(c.platform)}</td><td>${formatBytes(c.compressed)}</td><td>${formatBytes(c.uncompressed)}</td><td>${c.buildSeconds === undefined ? '-' : `${c.buildSeconds.toFixed(1)} s`}</td><td>${c.smoke ? `${c.smoke.passed}/${c.smoke.total}` : '-'}</td></tr>`,
      );
    out.push('</table>');
  }
  for (const [name, r] of Object.entries(input.reports)) {
    for (const p of r.platforms) {
      out.push(
        `<h3>${esc(name)} · ${esc(p.platform)}</h3><table><tr><th>#</th><th>download</th><th>unpacked</th><th>instruction</th></tr>`,
      );
      for (const [i, l] of p.layers.entries())
        out.push(
          `<tr><td>${i + 1}</td><td>${formatBytes(l.compressed)}</td><td>${formatBytes(l.uncompressed)}</td><td><code>${esc(l.createdBy ?? '?')}</code></td></tr>`,
        );
      out.push('</table>');
    }
  }
  return out.join('\n');
}

// The drawing code runs in the browser; it is plain ES2017 with no dependencies.
const SCRIPT = String.raw`
const data = JSON.parse(document.getElementById('mab-data').textContent);
const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];
const fmt = (n) => { const u = ['B', 'KB', 'MB', 'GB']; let i = 0; while (n >= 1000 && i < 3) { n /= 1000; i++; } return (i ? n.toFixed(n < 10 ? 2 : 1) : n) + ' ' + u[i]; };
function el(name, attrs, parent, text) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
// Grouped bars: one group per platform, one bar per strategy.
function matrixChart(id, key, label) {
  const groups = [...new Set(data.cells.map((c) => c.platform))];
  const series = [...new Set(data.cells.map((c) => c.strategy))];
  const max = Math.max(...data.cells.map((c) => c[key]));
  const barW = 28, gap = 36, h = 260, top = 30, left = 70;
  const w = Math.max(640, left + groups.length * (series.length * barW + gap) + 180);
  const svg = el('svg', { class: 'chart', 'data-chart': id, width: w, height: h + 70, viewBox: '0 0 ' + w + ' ' + (h + 70) });
  el('text', { x: 4, y: 18, class: 'title' }, svg, label);
  groups.forEach((g, gi) => {
    const x0 = left + gi * (series.length * barW + gap);
    series.forEach((s, si) => {
      const c = data.cells.find((x) => x.platform === g && x.strategy === s);
      if (!c) return;
      const bh = Math.max(1, (c[key] / max) * h);
      const r = el('rect', { class: 'bar', x: x0 + si * barW, y: top + h - bh, width: barW - 4, height: bh, fill: COLORS[si % COLORS.length], 'data-strategy': s, 'data-platform': g, 'data-bytes': c[key] }, svg);
      el('title', {}, r, s + ' ' + g + ': ' + fmt(c[key]));
      el('text', { x: x0 + si * barW + (barW - 4) / 2, y: top + h - bh - 4, class: 'value', 'text-anchor': 'middle' }, svg, fmt(c[key]).replace(' ', ''));
    });
    el('text', { x: x0 + (series.length * barW) / 2, y: top + h + 18, 'text-anchor': 'middle' }, svg, g);
  });
  series.forEach((s, si) => {
    el('rect', { x: w - 170, y: top + si * 20, width: 12, height: 12, fill: COLORS[si % COLORS.length] }, svg);
    el('text', { x: w - 152, y: top + si * 20 + 11 }, svg, s);
  });
  document.getElementById('charts').appendChild(svg);
}
// One horizontal bar per image, split into its layers (download size).
function layerChart() {
  const rows = [];
  for (const name in data.reports) for (const p of data.reports[name].platforms) rows.push({ name: name + ' · ' + p.platform, p });
  const max = Math.max(...rows.map((r) => r.p.compressed));
  const w = 900, left = 230, rowH = 26;
  const svg = el('svg', { class: 'chart', 'data-chart': 'layers', width: w + 120, height: rows.length * rowH + 40, viewBox: '0 0 ' + (w + 120) + ' ' + (rows.length * rowH + 40) });
  el('text', { x: 4, y: 18, class: 'title' }, svg, 'Layers of each image (download size; hover for the instruction)');
  rows.forEach((r, ri) => {
    const y = 30 + ri * rowH;
    el('text', { x: 4, y: y + 15 }, svg, r.name);
    let x = left;
    r.p.layers.forEach((l, li) => {
      const lw = Math.max(1, ((w - left) * l.compressed) / max);
      const rect = el('rect', { class: 'layer', x, y, width: lw, height: rowH - 6, fill: l.fromBase ? '#bab0ac' : COLORS[li % COLORS.length], 'data-bytes': l.compressed }, svg);
      el('title', {}, rect, '#' + (li + 1) + ' ' + fmt(l.compressed) + (l.fromBase ? ' (base)' : '') + ': ' + (l.createdBy || '?'));
      x += lw;
    });
    el('text', { x: x + 6, y: y + 15, class: 'value' }, svg, fmt(r.p.compressed));
  });
  document.getElementById('charts').appendChild(svg);
}
if (data.cells) {
  matrixChart('download', 'compressed', 'Download size (config + compressed layers) by strategy and platform');
  matrixChart('unpacked', 'uncompressed', 'Unpacked size (layer tar bytes) by strategy and platform');
}
layerChart();
document.body.setAttribute('data-charts-drawn', document.querySelectorAll('svg.chart').length);
`;

export function reportHtml(input: HtmlInput): string {
  // JSON inside <script> must not be able to close the element.
  const json = JSON.stringify({ cells: input.cells, baseline: input.baseline, reports: input.reports }).replace(
    /</g,
    '\\u003c',
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child, td code { text-align: left; } code { font-size: 12px; }
svg.chart { display: block; margin: 12px 0 28px; } svg text { font: 12px system-ui, sans-serif; } svg text.title { font-weight: 600; font-size: 14px; }
svg text.value { font-size: 11px; fill: #444; }
</style></head>
<body>
<h1>${esc(input.title)}</h1>
<div id="charts"></div>
<h2>Numbers</h2>
${tables(input)}
<script type="application/json" id="mab-data">${json}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
