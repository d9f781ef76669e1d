import { describe, expect, it } from 'vitest';
import { PredicateType, attestationManifest, statementOf, type Statement } from '../oci/attestation.js';
import { MediaType, type Index } from '../oci/types.js';
import type { RegistryClient } from '../registry/client.js';
import { attestationCheck, type ExpectedBuild, type ImageAttestations } from './attestation-check.js';
import type { Subject } from './verify.js';

const ARM64 = `sha256:${'a'.repeat(64)}`;
const AMD64 = `sha256:${'b'.repeat(64)}`;
const RECIPE = 'c'.repeat(64);
const BASE = 'd'.repeat(64);
const TARBALL = 'e'.repeat(64);

/** An SPDX 2.3 document describing `image`, containing `packages` packages and one build input. */
function sbom(image: string, packages: number): Statement {
  return statementOf('r.example/demo', image, PredicateType.Spdx, {
    spdxVersion: 'SPDX-2.3',
    packages: [{ checksums: [{ algorithm: 'SHA256', checksumValue: image.slice(7) }] }],
    relationships: [
      ...Array.from({ length: packages }, () => ({ relationshipType: 'CONTAINS' })),
      { relationshipType: 'BUILD_DEPENDENCY_OF' },
    ],
  });
}

function provenance(image: string, platform: string, recipe = RECIPE): Statement {
  return statementOf('r.example/demo', image, PredicateType.SlsaProvenance1, {
    buildDefinition: {
      externalParameters: { recipe: { name: 'demo', digest: { sha256: recipe } }, strategy: 'cross', platform },
      resolvedDependencies: [
        { name: 'debian:bookworm-slim', uri: 'pkg:docker/debian@bookworm-slim', digest: { sha256: BASE } },
        { name: 'demo.tar.gz', uri: 'https://example.org/demo.tar.gz', digest: { sha256: TARBALL } },
      ],
    },
  });
}

/**
 * A registry holding an index of both images, each with the attestation manifest `statements`
 * gives for it (none when it gives none), answered from memory as the client would.
 */
function registryWith(statements: (image: string, platform: string) => Statement[]): {
  subject: Subject;
  index: Index;
} {
  const manifests = new Map<string, Buffer>();
  const blobs = new Map<string, Buffer>();
  const index: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
  const images = [
    [ARM64, 'arm64'],
    [AMD64, 'amd64'],
  ] as const;
  for (const [digest, architecture] of images)
    index.manifests.push({
      mediaType: MediaType.OciManifest,
      digest,
      size: 400,
      platform: { os: 'linux', architecture },
    });
  for (const [digest, architecture] of images) {
    const given = statements(digest, `linux/${architecture}`);
    if (!given.length) continue;
    const a = attestationManifest(digest, given);
    for (const b of a.blobs) blobs.set(b.descriptor.digest, b.bytes);
    manifests.set(a.manifest.descriptor.digest, a.manifest.bytes);
    index.manifests.push(a.entry);
  }
  const client = {
    getManifest: async (_repo: string, ref: string) => ({
      mediaType: MediaType.OciManifest,
      digest: ref,
      bytes: manifests.get(ref) ?? Buffer.from('{}'),
    }),
    getBlob: async (_repo: string, digest: string) => blobs.get(digest)!,
  } as unknown as RegistryClient;
  const subject: Subject = {
    client,
    registry: 'r.example',
    repository: 'demo',
    digest: `sha256:${'f'.repeat(64)}`,
    mediaType: MediaType.OciIndex,
  };
  return { subject, index };
}

const images = (details: unknown) => (details as { images: ImageAttestations[] }).images;

describe('the attestations check of mab verify', () => {
  it("passes an index whose images each have an SBOM and provenance about themselves, counting the SBOM's packages", async () => {
    const { subject, index } = registryWith((image, platform) => [sbom(image, 3), provenance(image, platform)]);
    const r = await attestationCheck({ index })(subject);
    expect(r.ok, r.summary).toBe(true);
    expect(r.summary).toBe(
      'SBOM and provenance of linux/arm64 (3 packages), linux/amd64 (3 packages) name their image',
    );
    expect(images(r.details).map((i) => i.builtAs)).toEqual([
      { recipe: 'demo', strategy: 'cross', platform: 'linux/arm64' },
      { recipe: 'demo', strategy: 'cross', platform: 'linux/amd64' },
    ]);
  });

  it('names the image that lacks one, and the one whose statements are about another image', async () => {
    const { subject, index } = registryWith((image, platform) =>
      image === ARM64 ? [sbom(AMD64, 3), provenance(image, platform)] : [sbom(image, 3)],
    );
    const r = await attestationCheck({ index })(subject);
    expect(r.ok).toBe(false);
    expect(images(r.details).map((i) => i.problems)).toEqual([
      ['the SBOM statement is about another image', "the SBOM's document describes another image"],
      ['no SLSA provenance statement in the index'],
    ]);
    expect(r.summary).toMatch(/^linux\/arm64: the SBOM statement is about another image; .*; linux\/amd64: no SLSA/);
  });

  it('fails an index with no attestations at all, for every image', async () => {
    const { subject, index } = registryWith(() => []);
    const r = await attestationCheck({ index })(subject);
    expect(images(r.details).map((i) => i.problems)).toEqual(
      Array(2).fill(['no SBOM (SPDX) statement in the index', 'no SLSA provenance statement in the index']),
    );
  });

  it("with the recipe: checks the recipe's digest, each source's checksum and each base image", async () => {
    const { subject, index } = registryWith((image, platform) => [
      sbom(image, 1),
      provenance(image, platform, platform === 'linux/arm64' ? RECIPE : '0'.repeat(64)),
    ]);
    const asked: string[] = [];
    const expect_ = async (built: { platform: string }): Promise<ExpectedBuild> => {
      asked.push(built.platform);
      return {
        recipeDigest: `sha256:${RECIPE}`,
        sources: [{ uri: 'https://example.org/demo.tar.gz', digest: { sha256: TARBALL } }],
        bases: built.platform === 'linux/arm64' ? ['debian:bookworm-slim'] : ['debian:trixie-slim'],
      };
    };
    const r = await attestationCheck({ index, expect: expect_ })(subject);
    expect(asked).toEqual(['linux/arm64', 'linux/amd64']);
    expect(images(r.details).map((i) => i.problems)).toEqual([
      [],
      [
        `recipe digest is ${'0'.repeat(64)}, not ${RECIPE}`,
        'base image debian:trixie-slim is not among the resolved dependencies with a digest',
      ],
    ]);
    expect(r.ok).toBe(false);
  });

  it('reports a recipe that cannot be planned for what the provenance names as a problem of that image', async () => {
    const { subject, index } = registryWith((image, platform) => [sbom(image, 1), provenance(image, platform)]);
    const r = await attestationCheck({
      index,
      expect: async () => {
        throw new Error('built from recipe demo, not other\nmore');
      },
    })(subject);
    expect(images(r.details)[0]!.problems).toEqual(['built from recipe demo, not other']);
  });
});
