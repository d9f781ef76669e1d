import { describe, expect, it } from 'vitest';
import { assembleIndex, imageEntries, type IndexChild } from './index.js';
import { MediaType, type ImageConfig } from './types.js';
import { parsePlatform } from '../platform/platform.js';
import type { MabError } from '../errors.js';

function child(
  arch: string,
  variant?: string,
  mediaType: string = MediaType.DockerManifest,
  expected?: string,
): IndexChild {
  const config: ImageConfig = {
    os: 'linux',
    architecture: arch,
    ...(variant ? { variant } : {}),
    rootfs: { type: 'layers', diff_ids: [] },
  };
  return {
    manifest: {
      mediaType,
      digest: `sha256:${arch
        .padEnd(64, '0')
        .slice(0, 64)
        .replace(/[^a-f0-9]/g, 'f')}`,
      size: 500 + arch.length,
    },
    config,
    source: `repo:${arch}`,
    ...(expected ? { expected: parsePlatform(expected) } : {}),
  };
}

describe('assembleIndex', () => {
  it('builds a Docker manifest list v2 with platforms taken from the configs', () => {
    const idx = assembleIndex(
      [child('arm64', undefined, undefined, 'arm64'), child('amd64'), child('arm', 'v7')],
      'docker',
    );
    expect(idx.mediaType).toBe(MediaType.DockerManifestList);
    expect(idx.schemaVersion).toBe(2);
    expect(idx.manifests.map((m) => m.platform)).toEqual([
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]);
    expect(idx.manifests[0]).toMatchObject({ mediaType: MediaType.DockerManifest, size: 505 });
    expect('annotations' in idx).toBe(false);
  });

  it('builds an OCI index with annotations on request', () => {
    const idx = assembleIndex([child('amd64', undefined, MediaType.OciManifest)], 'oci', {
      'org.opencontainers.image.version': '1.0.20',
    });
    expect(idx.mediaType).toBe(MediaType.OciIndex);
    expect(idx.annotations).toEqual({ 'org.opencontainers.image.version': '1.0.20' });
  });

  it('refuses a child whose config disagrees with the platform it was built for', () => {
    expect(() => assembleIndex([child('amd64', undefined, undefined, 'arm64')], 'docker')).toThrow(
      /listed as linux\/arm64 but its config says linux\/amd64/,
    );
  });

  it('refuses two children for one platform', () => {
    expect(() => assembleIndex([child('arm64'), child('arm64')], 'docker')).toThrow(/two images for linux\/arm64/);
  });

  it('refuses an OCI child in a Docker manifest list and names the fix', () => {
    let error: unknown;
    try {
      assembleIndex([child('amd64', undefined, MediaType.OciManifest)], 'docker');
    } catch (e) {
      error = e;
    }
    expect((error as MabError).format()).toMatch(/cannot hold[\s\S]*fix: pass --index-format oci/);
  });

  it('refuses an empty index', () => {
    expect(() => assembleIndex([], 'oci')).toThrow(/no images/);
  });
});

describe('imageEntries', () => {
  const image = (arch: string) => ({
    mediaType: MediaType.OciManifest,
    digest: `sha256:${arch.padEnd(64, '0')}`,
    size: 1,
    platform: { os: 'linux', architecture: arch },
  });
  it('drops BuildKit attestations (unknown/unknown, or annotated as attestation-manifest) and keeps the images', () => {
    const attestation = {
      mediaType: MediaType.OciManifest,
      digest: `sha256:${'f'.repeat(64)}`,
      size: 1,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.type': 'attestation-manifest',
        'vnd.docker.reference.digest': image('a').digest,
      },
    };
    const annotatedOnly = { ...attestation, platform: { os: 'linux', architecture: 'amd64' } };
    const bareUnknown = { ...attestation, annotations: {} };
    expect(imageEntries({ manifests: [image('a'), attestation, image('b'), annotatedOnly, bareUnknown] })).toEqual([
      image('a'),
      image('b'),
    ]);
  });
});
