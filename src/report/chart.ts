/**
 * Horizontal bar charts for the HTML reports, drawn when the page is written: no script runs in
 * the browser. Each row is a label, a bar and its value, laid out by a CSS grid, so the chart
 * takes the page's width at any size and its text keeps its size. Each bar is a small SVG whose
 * geometry is in percent of that width, with a <title> that says what it shows.
 *
 * The scale is logarithmic when the sizes span more than a factor 10. The sizes a report puts
 * side by side often span three to seven orders of magnitude (a 315 KB minimal image beside a
 * 127 MB single one; a 32 B WORKDIR layer beside a 77 MB apt layer): on a linear scale the small
 * ones are a sliver or nothing. A broken axis would show them, but hides by how much they differ,
 * which is what a strategy comparison is for; small multiples with a scale each would make every
 * bar look alike. On a log scale every bar shows, and equal lengths are equal ratios, the figure
 * the comparison table gives (N×). Its grid lines are powers of ten, labelled, so no one reads
 * the lengths as linear. Sizes within a factor 10 of each other (a platform's download beside its
 * unpacked size) stay on a linear scale from 0, where lengths compare as they look and the
 * smallest bar is still a tenth of the largest.
 */
import { formatBytes } from '../util/io.js';

export interface Bar {
  label: string;
  bytes: number;
  /** A CSS class for the bar's colour: `s0`…`s7` (a series), or `base`. */
  fill: string;
  /** What the bar's <title> says; the label and the size when not given. */
  title?: string;
}

export interface BarGroup {
  /** A heading row above the group's bars, when given. */
  name?: string;
  bars: Bar[];
}

export interface Scale {
  ticks: number[];
  /** Where a size falls, in percent of the bar's width. */
  at(bytes: number): number;
  /** How to read it, after the chart's caption. */
  note: string;
}

/** A linear scale from 0 when the values are within a factor 10, else a log scale. */
export function scaleFor(values: number[]): Scale {
  const positive = values.filter((v) => v > 0);
  const min = positive.length ? Math.min(...positive) : 1;
  const max = positive.length ? Math.max(...positive) : 10;
  return max <= 10 * min && values.every((v) => v > 0) ? linearScale(max) : logScale(min, max);
}

/**
 * Powers of ten around the values: the lowest at least 3× below the smallest value (half a
 * decade: its bar is never a sliver), the highest at or above the largest.
 */
function logScale(min: number, max: number): Scale {
  const lo = Math.floor(Math.log10(min / 3));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  return {
    ticks: Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i)),
    at: (bytes) => (100 * (Math.log10(Math.max(bytes, 10 ** lo)) - lo)) / (hi - lo),
    note: 'Log scale: each grid line is 10× the one before.',
  };
}

/** 0 to the largest value, in steps of 1, 2 or 5 × a power of ten: at most five of them. */
function linearScale(max: number): Scale {
  const magnitude = 10 ** Math.floor(Math.log10(max / 5));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => max / s <= 5)!;
  const top = Math.ceil(max / step) * step;
  return {
    ticks: Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step),
    at: (bytes) => (100 * bytes) / top,
    note: 'Linear scale from 0.',
  };
}

/** 1000 → "1 KB", 25e6 → "25 MB": ticks are round numbers, so no trailing zeros. */
export function tickLabel(bytes: number): string {
  if (bytes === 0) return '0';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) ((bytes /= 1000), i++);
  return `${Number(bytes.toFixed(1))} ${units[i]}`;
}

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Light vertical lines at the ticks, behind every bar: continuous from row to row.
const gridLines = (scale: Scale) =>
  scale.ticks
    .map((t) => `<line class="grid" x1="${scale.at(t).toFixed(2)}%" x2="${scale.at(t).toFixed(2)}%" y1="0" y2="100%"/>`)
    .join('');

function barRow(b: Bar, scale: Scale): string {
  const title = b.title ?? `${b.label}: ${formatBytes(b.bytes)}`;
  // The least a bar is drawn: 0.5 % of the width, so a value at a log scale's floor still shows.
  const width = Math.max(0.5, scale.at(b.bytes)).toFixed(2);
  return [
    `<div class="label" title="${esc(b.label)}">${esc(b.label)}</div>`,
    `<svg class="bar" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${gridLines(scale)}`,
    `<rect class="${esc(b.fill)}" x="0" y="4" height="14" width="${width}%" data-bytes="${b.bytes}"/></svg>`,
    `<div class="value">${formatBytes(b.bytes)}</div>`,
  ].join('');
}

/**
 * The axis under the bars: a tick and a label at every power of ten. When there are more than
 * five, every other label is marked `thin`, and a narrow page hides those (html.ts), so labels
 * never run into each other; the top one always shows.
 */
function axis(scale: Scale): string {
  const n = scale.ticks.length;
  const ticks = scale.ticks.map((t, i) => {
    const x = `${scale.at(t).toFixed(2)}%`;
    const thin = n > 5 && (n - 1 - i) % 2 === 1 ? ' thin' : '';
    return `<line x1="${x}" x2="${x}" y1="0" y2="5"/><text class="tick${thin}" x="${x}" y="17" text-anchor="middle">${tickLabel(t)}</text>`;
  });
  return `<div></div><svg class="axis" aria-hidden="true"><line x1="0" x2="100%" y1="0" y2="0"/>${ticks.join('')}</svg><div></div>`;
}

/** A colour and what it stands for; `text` is HTML (escape what it quotes). */
export interface LegendItem {
  fill: string;
  text: string;
}

/** A chart: a caption (HTML), the bars by group on one scale (its own), the axis, and a legend when given. */
export function barChart(o: { id: string; caption: string; groups: BarGroup[]; legend?: LegendItem[] }): string {
  const scale = scaleFor(o.groups.flatMap((g) => g.bars.map((b) => b.bytes)));
  const rows = o.groups.flatMap((g) => [
    ...(g.name ? [`<div class="group">${esc(g.name)}</div>`] : []),
    ...g.bars.map((b) => barRow(b, scale)),
  ]);
  const legend = o.legend?.length
    ? `<ul class="legend">${o.legend
        .map(
          (l) =>
            `<li><svg class="swatch" aria-hidden="true"><rect class="${esc(l.fill)}" width="12" height="12"/></svg>${l.text}</li>`,
        )
        .join('')}</ul>`
    : '';
  return `<figure class="chart" id="${esc(o.id)}" data-chart="${esc(o.id)}">
<figcaption>${o.caption} <span class="scale">${scale.note}</span></figcaption>
<div class="bars">${rows.join('\n')}
${axis(scale)}</div>
${legend}</figure>`;
}
