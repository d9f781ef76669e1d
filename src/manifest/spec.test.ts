import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFor, loadManifestSpec, parseManifestSpec } from './spec.js';
import { formatPlatform } from '../platform/platform.js';

const GOOD = `image: reg.example:5000/edge/app
tags: [1.0.0, latest]
manifests:
  - image: reg.example:5000/edge/app:1.0.0-amd64
    platform: amd64
  - image: reg.example:5000/boards/app@sha256:${'a'.repeat(64)}
    platform: aarch64
`;

describe('index spec files', () => {
  it('reads a spec, normalizing platforms', () => {
    const s = parseManifestSpec('s.yaml', GOOD);
    expect(s.target).toEqual({ registry: 'reg.example:5000', repository: 'edge/app' });
    expect([s.tags, s.format]).toEqual([['1.0.0', 'latest'], undefined]);
    expect(
      s.manifests.map((m) => [formatPlatform(m.platform), m.image.repository, m.image.tag ?? m.image.digest]),
    ).toEqual([
      ['linux/amd64', 'edge/app', '1.0.0-amd64'],
      ['linux/arm64', 'boards/app', `sha256:${'a'.repeat(64)}`],
    ]);
  });

  it('without format, chooses a Docker list only when every image is Docker v2 and there are no annotations', () => {
    const docker = 'application/vnd.docker.distribution.manifest.v2+json';
    const oci = 'application/vnd.oci.image.manifest.v1+json';
    expect(formatFor({}, [docker, docker])).toBe('docker');
    expect(formatFor({}, [docker, oci])).toBe('oci');
    expect(formatFor({ annotations: { 'org.example.x': 'y' } }, [docker])).toBe('oci');
    expect(formatFor({ format: 'docker' }, [oci])).toBe('docker');
  });

  it.each(readdirSync(path.resolve('manifests')).filter((f) => f.endsWith('.yaml')))(
    'the shipped example manifests/%s parses',
    async (f) => {
      const s = await loadManifestSpec(path.resolve('manifests', f));
      expect(s.manifests.length).toBeGreaterThanOrEqual(2);
    },
  );

  it.each([
    [
      'a tag on the target',
      GOOD.replace('edge/app\n', 'edge/app:1.0\n'),
      /s\.yaml:1:8: image "reg\.example:5000\/edge\/app:1\.0" names a tag or digest/,
    ],
    ['no tags', GOOD.replace('tags: [1.0.0, latest]', 'tags: []'), /s\.yaml:2:7: tags is empty/],
    [
      'an image in another registry',
      GOOD.replace('reg.example:5000/boards', 'other.example/boards'),
      /s\.yaml:6:12: other\.example\/boards\/app@sha256:a+ is in other\.example, the index goes to reg\.example:5000$/,
    ],
    [
      'a platform twice',
      GOOD.replace('aarch64', 'linux/amd64'),
      /s\.yaml:7:15: linux\/amd64 is listed twice \(manifests\[0\] and manifests\[1\]\)/,
    ],
    [
      'an unpinned image',
      GOOD.replace(':1.0.0-amd64', ''),
      /s\.yaml:4:12: reg\.example:5000\/edge\/app has no tag or digest$/,
    ],
    [
      'annotations on a Docker list',
      GOOD + 'format: docker\nannotations: { org.opencontainers.image.source: https://x }\n',
      /s\.yaml:\d+:\d+: a Docker manifest list has no annotations$/,
    ],
    ['an unknown key', GOOD.replace('tags:', 'tag:'), /s\.yaml:2:1: unknown key "tag" in the spec$/],
    ['an unknown platform', GOOD.replace('aarch64', 'mips'), /s\.yaml:7:15: unknown platform "mips"/],
    ['a bad format', GOOD + 'format: v2\n', /format: "v2" is not docker or oci/],
  ])('%s', (_n, text, want) => {
    expect(() => parseManifestSpec('s.yaml', text)).toThrow(want);
  });
});
