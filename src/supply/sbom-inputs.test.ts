import { describe, expect, it } from 'vitest';
import { DEMO_IMAGE, demoProvenanceInput } from '../../test/fixtures/provenance-input.js';
import { provenanceStatement } from './provenance.js';
import { spdxDocument } from './sbom.js';
import { withBuildInputs } from './sbom-inputs.js';

const IMAGE = DEMO_IMAGE;
const input = demoProvenanceInput({
  sources: [
    { kind: 'url', file: 'demo.deb', url: 'https://example.org/demo_2.0.0_arm64.deb', sha256: 'a'.repeat(64) },
    { kind: 'git', file: 'app', url: 'https://git.example.org/app.git', commit: 'c'.repeat(40) },
    { kind: 'url', file: 'model.bin', url: 'https://models.example.org/model.bin.xz', md5: '9'.repeat(32) },
  ],
  checkout: { source: 'https://git.example.org/recipes.git', revision: 'b'.repeat(40) },
});

const doc = spdxDocument(
  {
    name: 'demo',
    image: { platform: { os: 'linux', architecture: 'arm64' }, digest: IMAGE, layers: [], config: {} as never },
    tool: 'mab-0.1.0',
  },
  [
    {
      name: 'libc6',
      version: '2.36-9',
      architecture: 'arm64',
      source: 'glibc',
      sourceVersion: '2.36-9',
    } as never,
  ],
  new Map(),
);

describe('withBuildInputs', () => {
  const out = withBuildInputs(doc, provenanceStatement(input));
  const byName = Object.fromEntries(out.packages.map((p) => [p.name, p]));

  it('adds the recipe, the base by digest and every source with its checksum, as the provenance names them', () => {
    expect(byName['recipes/demo.yaml']).toMatchObject({
      checksums: [{ algorithm: 'SHA256', checksumValue: 'e'.repeat(64) }],
      versionInfo: 'b'.repeat(40),
      downloadLocation: 'git+https://git.example.org/recipes.git',
    });
    expect(byName['debian:bookworm-slim']).toMatchObject({
      checksums: [{ algorithm: 'SHA256', checksumValue: '2'.repeat(64) }],
      primaryPackagePurpose: 'CONTAINER',
      externalRefs: [
        { referenceType: 'purl', referenceLocator: 'pkg:docker/debian@bookworm-slim?platform=linux%2Farm64' },
      ],
    });
    expect(byName['demo.deb']).toMatchObject({
      downloadLocation: 'https://example.org/demo_2.0.0_arm64.deb',
      checksums: [{ algorithm: 'SHA256', checksumValue: 'a'.repeat(64) }],
    });
    expect(byName['model.bin']!.checksums).toEqual([{ algorithm: 'MD5', checksumValue: '9'.repeat(32) }]);
    expect(byName.app).toMatchObject({
      versionInfo: 'c'.repeat(40),
      downloadLocation: `git+https://git.example.org/app.git@${'c'.repeat(40)}`,
    });
  });

  it('keeps what the image holds as CONTAINS and makes each input a BUILD_DEPENDENCY_OF the image', () => {
    const rel = out.relationships as { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
    const image = out.packages[0]!.SPDXID;
    expect(rel.filter((r) => r.relationshipType === 'CONTAINS').map((r) => r.relatedSpdxElement)).toEqual([
      doc.packages[1]!.SPDXID,
    ]);
    const inputs = rel.filter((r) => r.relationshipType === 'BUILD_DEPENDENCY_OF');
    expect(inputs.every((r) => r.relatedSpdxElement === image)).toBe(true);
    expect(inputs.length).toBe(out.packages.length - doc.packages.length);
    expect(new Set(out.packages.map((p) => p.SPDXID)).size).toBe(out.packages.length);
  });
});
