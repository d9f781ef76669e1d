import { formatBytes } from '../util/io.js';
import type { BuildResult } from '../build/execute.js';

/** Left-aligned columns, widths from the content. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function formatBuildReport(r: BuildResult): string {
  const rows = r.platforms.map((p) => [
    p.platform,
    `${p.buildSeconds.toFixed(1)} s`,
    p.smoke.every((s) => s.passed) ? `pass (${p.smoke.length})` : 'FAIL',
    String(p.size.layers),
    formatBytes(p.size.compressed) + (p.size.estimated ? '*' : ''),
    formatBytes(p.size.uncompressed),
    (p.manifest ?? p.imageId).slice(0, 19),
  ]);
  const lines = [`${r.recipe} ${r.version} (${r.strategy})`, table(['PLATFORM', 'BUILD', 'SMOKE', 'LAYERS', 'COMPRESSED', 'UNCOMPRESSED', r.index ? 'MANIFEST' : 'IMAGE ID'], rows)];
  if (r.index) {
    const kind = r.index.mediaType.includes('docker') ? 'Docker manifest list v2' : 'OCI image index';
    lines.push(`index: ${r.index.reference} (${r.index.tags.join(', ')}) ${r.index.digest}, ${kind}`);
  } else {
    lines.push('* compressed = gzip -6 of the local layers, what a push would send.');
    lines.push('Images are in the local engine only. Publish with: mab build ' + r.recipe + ' --arch ' + r.platforms.map((p) => p.platform).join(',') + ' --push REGISTRY/REPOSITORY');
  }
  return lines.join('\n');
}
