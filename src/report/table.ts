import { formatBytes } from '../util/io.js';
import type { BuildResult } from '../pipeline/execute.js';
import { pushSummary } from '../pipeline/push.js';
import { STORED_COMPRESSION } from './notes.js';

/** Left-aligned columns, widths from the content. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

const hasManifests = (r: BuildResult) => r.platforms.some((p) => p.manifest);

export function formatBuildReport(r: BuildResult): string {
  const rows = r.platforms.map((p) => [
    p.platform,
    p.unchanged ? 'unchanged' : `${p.buildSeconds.toFixed(1)} s`,
    p.smoke.every((s) => s.passed) ? `pass (${p.smoke.length}${p.smokeReused ? ', earlier' : ''})` : 'FAIL',
    String(p.size.layers),
    formatBytes(p.size.compressed) + (p.size.estimated ? '*' : ''),
    formatBytes(p.size.uncompressed),
    (p.manifest ?? p.imageId).slice(0, 19),
  ]);
  const lines = [
    `${r.recipe} ${r.version} (${r.strategy})`,
    table(
      ['PLATFORM', 'BUILD', 'SMOKE', 'LAYERS', 'COMPRESSED', 'UNCOMPRESSED', hasManifests(r) ? 'MANIFEST' : 'IMAGE ID'],
      rows,
    ),
  ];
  if (r.index) {
    const kind = r.index.mediaType.includes('docker') ? 'Docker manifest list v2' : 'OCI image index';
    lines.push(`index: ${r.index.reference} (${r.index.tags.join(', ')}) ${r.index.digest}, ${kind}`);
    if (r.push) lines.push(`pushed from the store: ${pushSummary(r.push)}`);
    for (const [platform, tags] of Object.entries(r.push?.platformTags ?? {}))
      lines.push(`${platform} manifest also tagged ${tags.join(', ')}`);
  } else if (r.repository && r.push) {
    lines.push(`pushed by digest to ${r.repository}, untagged (no index): ${pushSummary(r.push)}`);
    lines.push("Merge the runners' metadata files into one tagged index with: mab manifest merge FILE...");
  } else {
    lines.push('* compressed = the layer blobs mab stored, what a push sends.', ...STORED_COMPRESSION);
    if (r.store)
      lines.push(
        `store: ${r.store.dir} (${r.store.tags.join(', ')}) ${r.store.digest}, OCI image index; skopeo inspect oci:${r.store.dir}:${r.store.tags[1]}`,
      );
    lines.push(
      'Publish with: mab build ' +
        r.recipe +
        ' --arch ' +
        r.platforms.map((p) => p.platform).join(',') +
        ' --push REGISTRY/REPOSITORY',
    );
  }
  return lines.join('\n');
}
