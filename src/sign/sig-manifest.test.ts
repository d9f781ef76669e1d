import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../oci/digest.js';
import { MediaType } from '../oci/types.js';
import { DIGEST, REPOSITORY, SIGNATURES } from '../../test/fixtures/cosign/made-by-cosign.js';
import { claimProblem, dockerReference, signingPayload } from './payload.js';
import { SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, appendSignature, signatureTag } from './sig-manifest.js';

describe('the simple-signing payload', () => {
  it('is byte for byte what cosign signs, with and without annotations', () => {
    for (const s of SIGNATURES) {
      const payload = signingPayload(REPOSITORY, DIGEST, s.optional);
      expect({ digest: sha256Digest(payload), size: payload.length }).toEqual(s.payload);
    }
  });

  it('names Docker Hub as go-containerregistry does', () => {
    expect(dockerReference('docker.io', 'library/debian')).toBe('index.docker.io/library/debian');
    expect(dockerReference('127.0.0.1:5000', 'mab/sysbench')).toBe('127.0.0.1:5000/mab/sysbench');
  });

  it('is accepted for its digest and repository, and refused for another of either', () => {
    const payload = signingPayload(REPOSITORY, DIGEST);
    expect(claimProblem(payload, DIGEST, REPOSITORY)).toBeUndefined();
    expect(claimProblem(payload, DIGEST)).toBeUndefined();
    const other = `sha256:${'0'.repeat(64)}`;
    expect(claimProblem(payload, other, REPOSITORY)).toBe(`the payload signs ${DIGEST}, not ${other}`);
    expect(claimProblem(payload, DIGEST, '127.0.0.1:5000/mabtest/elsewhere')).toMatch(
      /names repository 127.0.0.1:5000\/mabtest\/cosign-probe, not 127.0.0.1:5000\/mabtest\/elsewhere/,
    );
    expect(
      claimProblem(signingPayload('index.docker.io/library/x', DIGEST), DIGEST, 'docker.io/library/x'),
    ).toBeUndefined();
  });

  it('is refused when it is not a simple-signing payload', () => {
    expect(claimProblem(Buffer.from('{"critical":'), DIGEST)).toBe('the payload is not JSON');
    const att = Buffer.from(JSON.stringify({ critical: { type: 'something else' } }));
    expect(claimProblem(att, DIGEST)).toMatch(/type is "something else"/);
  });
});

describe('the sha256-HEX.sig manifest', () => {
  it('is tagged as cosign tags it', () => {
    expect(signatureTag(DIGEST)).toBe(`sha256-${DIGEST.slice(7)}.sig`);
  });

  it("has cosign's config after one signature and after a second one appended", () => {
    const [first, second] = SIGNATURES;
    const one = appendSignature(undefined, signingPayload(REPOSITORY, DIGEST), first!.signature);
    expect({ digest: one.manifest.config.digest, size: one.manifest.config.size }).toEqual(first!.config);
    expect(one.manifest.mediaType).toBe(MediaType.OciManifest);
    expect(one.manifest.config.mediaType).toBe(MediaType.OciConfig);
    expect(one.manifest.layers).toEqual([
      {
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        ...first!.payload,
        annotations: { [SIGNATURE_ANNOTATION]: first!.signature },
      },
    ]);
    const two = appendSignature(one, signingPayload(REPOSITORY, DIGEST, second!.optional), second!.signature);
    expect({ digest: two.manifest.config.digest, size: two.manifest.config.size }).toEqual(second!.config);
    // The first signature is kept as it was, the new one comes after it.
    expect(two.manifest.layers[0]).toEqual(one.manifest.layers[0]);
    expect(two.manifest.layers.map((l) => l.digest)).toEqual(SIGNATURES.map((s) => s.payload.digest));
    expect(two.blobs.map((b) => b.descriptor.digest)).toEqual([second!.config.digest, second!.payload.digest]);
    for (const b of two.blobs) expect(sha256Digest(b.bytes)).toBe(b.descriptor.digest);
  });

  it('keeps the media types of a set written with Docker media types', () => {
    const one = appendSignature(undefined, Buffer.from('{}'), 'sig');
    const docker = {
      manifest: {
        ...one.manifest,
        mediaType: MediaType.DockerManifest,
        config: { ...one.manifest.config, mediaType: MediaType.DockerConfig },
      },
      config: one.config,
    };
    const two = appendSignature(docker, Buffer.from('{"a":1}'), 'sig2');
    expect([two.manifest.mediaType, two.manifest.config.mediaType]).toEqual([
      MediaType.DockerManifest,
      MediaType.DockerConfig,
    ]);
    expect(two.manifest.layers).toHaveLength(2);
  });
});
