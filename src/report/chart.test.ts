import { describe, expect, it } from 'vitest';
import { barChart, scaleFor, tickLabel } from './chart.js';

describe('scaleFor', () => {
  it('is a log scale over powers of ten when sizes span more than 10×, the smallest bar half a decade long or more', () => {
    const s = scaleFor([32, 672, 315_000, 77_500_000]);
    expect(s.ticks.map(tickLabel)).toEqual(['10 B', '100 B', '1 KB', '10 KB', '100 KB', '1 MB', '10 MB', '100 MB']);
    expect(s.at(10)).toBe(0);
    expect(s.at(100_000_000)).toBe(100);
    // 7 decades: one decade is 1/7 of the width; 32 B is log10(3.2) of a decade from the floor.
    expect(s.at(32)).toBeCloseTo((100 * Math.log10(3.2)) / 7, 9);
    expect(s.at(32)).toBeGreaterThan(100 / 7 / 2);
    expect(s.note).toMatch(/^Log scale/);
  });

  it('is linear from 0 when every size is within 10× of the others, in round steps', () => {
    const s = scaleFor([127_200_000, 332_600_000]);
    expect(s.ticks.map(tickLabel)).toEqual(['0', '100 MB', '200 MB', '300 MB', '400 MB']);
    expect(s.at(200_000_000)).toBe(50);
    expect(s.note).toBe('Linear scale from 0.');
    expect(scaleFor([2_500, 6_000]).ticks.map(tickLabel)).toEqual(['0', '2 KB', '4 KB', '6 KB']);
  });

  it('puts a zero on a log scale, where its bar sits at the floor', () => {
    const s = scaleFor([0, 5_000]);
    expect(s.note).toMatch(/^Log scale/);
    expect(s.at(0)).toBe(0);
  });
});

describe('barChart', () => {
  const html = barChart({
    id: 'x',
    caption: 'Sizes',
    groups: [{ name: 'linux/amd64 <a>', bars: [{ label: 'single & co', bytes: 120_000_000, fill: 's0' }] }],
    legend: [{ fill: 'base', text: 'base layers' }],
  });

  it('gives each bar a <title>, a value beside it and its size as data, escaping the text', () => {
    expect(html).toContain('<title>single &#38; co: 120.0 MB</title>');
    expect(html).toContain('<div class="value">120.0 MB</div>');
    expect(html).toContain('data-bytes="120000000"');
    expect(html).toContain('<div class="group">linux/amd64 &#60;a&#62;</div>');
    expect(html).toContain('<rect class="base" width="12" height="12"/></svg>base layers</li>');
  });

  it('labels every tick under the bars and draws a grid line at each', () => {
    const ticks = [...html.matchAll(/<text class="tick[^"]*"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(html.match(/<line class="grid"/g)).toHaveLength(ticks.length);
  });
});
