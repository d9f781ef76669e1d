import { describe, expect, it } from 'vitest';
import type { ImageConfig } from '../oci/types.js';
import type { ImageSource } from '../report/source.js';
import { rebuildSpec } from './rebuild.js';

function source(annotations: Record<string, string>, labels: Record<string, string>, created?: string): ImageSource {
  const image = (architecture: string) => ({
    platform: { os: 'linux', architecture },
    manifest: { digest: `sha256:${'0'.repeat(64)}`, size: 1, mediaType: '' },
    config: {
      architecture,
      os: 'linux',
      ...(created ? { created } : {}),
      config: { Labels: labels },
      rootfs: { type: 'layers', diff_ids: [] },
    } as ImageConfig,
    configSize: 1,
    layers: [],
  });
  return {
    name: 'ref',
    kind: 'store',
    annotations,
    images: [image('amd64'), image('arm64')],
    open: () => Promise.reject(new Error('no layers')),
  };
}

describe('rebuildSpec', () => {
  it("reads recipe, version and strategy from the store index's annotations, time and commit from the labels", () => {
    const s = source(
      {
        'org.opencontainers.image.title': 'sysbench',
        'org.opencontainers.image.version': '1.0.20',
        'dev.mab.strategy': 'cross',
      },
      { 'org.opencontainers.image.created': '2026-12-04T12:51:29Z', 'org.opencontainers.image.revision': 'c9512eb' },
      '2026-12-04T12:51:29Z',
    );
    expect(rebuildSpec(s)).toEqual({
      recipe: 'sysbench',
      version: '1.0.20',
      strategy: 'cross',
      platforms: ['linux/amd64', 'linux/arm64'],
      epoch: 1796388689,
      revision: 'c9512eb',
    });
  });

  it('falls back on the labels (a manifest list has no annotations) and on the config created', () => {
    const s = source(
      {},
      { 'org.opencontainers.image.title': 'demo', 'org.opencontainers.image.version': '2' },
      '2023-11-14T22:13:20Z',
    );
    expect(rebuildSpec(s)).toEqual({
      recipe: 'demo',
      version: '2',
      platforms: ['linux/amd64', 'linux/arm64'],
      epoch: 1700000000,
    });
  });

  it('refuses an image that does not say which recipe made it', () => {
    expect(() => rebuildSpec(source({}, {}))).toThrow(/ref does not say which recipe built it/);
  });
});
