import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../oci/digest.js';
import { EMPTY_CONFIG, artifactManifest, referrersTag } from './referrers.js';

const image = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'a'.repeat(64)}`,
  size: 1234,
  platform: { os: 'linux', architecture: 'arm64' },
};

describe('OCI 1.1 referrers', () => {
  it('an artifact manifest: its type, the empty config, one layer, the image as subject', () => {
    const bytes = Buffer.from('{"spdxVersion":"SPDX-2.3"}');
    const made = artifactManifest(image, {
      artifactType: 'application/spdx+json',
      mediaType: 'application/spdx+json',
      bytes,
    });
    expect(JSON.parse(made.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/spdx+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest('{}'), size: 2 },
      layers: [{ mediaType: 'application/spdx+json', digest: sha256Digest(bytes), size: bytes.length }],
      // The subject is a plain descriptor: no platform.
      subject: { mediaType: image.mediaType, digest: image.digest, size: 1234 },
    });
    expect(made.descriptor).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256Digest(made.bytes),
      size: made.bytes.length,
      artifactType: 'application/spdx+json',
    });
    expect(EMPTY_CONFIG.digest).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('the same content gives the same manifest, so pushing again lists nothing new', () => {
    const a = { artifactType: 't', mediaType: 't', bytes: Buffer.from('x'), annotations: { k: 'v' } };
    expect(artifactManifest(image, a).descriptor).toEqual(artifactManifest(image, { ...a }).descriptor);
    expect(artifactManifest(image, a).descriptor.annotations).toEqual({ k: 'v' });
  });

  it('the fallback tag is the digest with its colon as a dash', () => {
    expect(referrersTag(image.digest)).toBe(`sha256-${'a'.repeat(64)}`);
  });
});
