import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { DEMO_IMAGE, demoProvenanceInput } from '../../test/fixtures/provenance-input.js';
import { cycloneDxOf } from './cyclonedx.js';
import { provenanceStatement } from './provenance.js';
import { spdxDocument } from './sbom.js';
import { withBuildInputs } from './sbom-inputs.js';

const IMAGE = DEMO_IMAGE;
const image = {
  name: '127.0.0.1:5000/mab/demo',
  tool: 'mab-0.1.0',
  image: {
    platform: { os: 'linux', architecture: 'arm64' },
    digest: IMAGE,
    layers: [],
    config: { created: '2026-12-04T10:00:00Z' } as never,
  },
};
const packages = [
  {
    name: 'libc6',
    version: '2.36-9+deb12u9',
    architecture: 'arm64',
    source: 'glibc',
    sourceVersion: '2.36-9+deb12u9',
    files: [{ path: 'lib/aarch64-linux-gnu/libc.so.6', md5: 'd'.repeat(32) }],
  },
  { name: 'libssl3', version: '3.0.15-1~deb12u1', architecture: 'arm64', source: 'openssl', sourceVersion: '3.0.15' },
];
const digests = new Map([
  ['usr/lib/aarch64-linux-gnu/libc.so.6', { md5: 'd'.repeat(32), sha1: '5'.repeat(40), sha256: '6'.repeat(64) }],
]);
const spdx = withBuildInputs(
  spdxDocument(image, packages, new Map([['libssl3', 'Apache-2.0']]), digests),
  provenanceStatement(
    demoProvenanceInput({
      subject: { name: 'pkg:docker/mab/demo@2.0.0-minimal?platform=linux%2Farm64', digest: IMAGE },
      strategy: 'minimal',
      sources: [
        { kind: 'url', file: 'demo.tar.gz', url: 'https://example.org/demo-2.0.0.tar.gz', sha256: 'a'.repeat(64) },
      ],
    }),
  ),
);

describe('CycloneDX 1.5 from the SPDX document', () => {
  const bom = cycloneDxOf(spdx);

  it("is valid by CycloneDX's own JSON schema (strict), which refuses a broken one", async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot5);
    expect(await validator.validate(JSON.stringify(bom))).toBeNull();
    const broken = structuredClone(bom);
    broken.components[0]!.type = 'package' as never;
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });

  it('has the image as its subject and the packages it contains as required components, with their files', () => {
    expect(bom.metadata.component).toMatchObject({
      type: 'container',
      name: '127.0.0.1:5000/mab/demo',
      version: IMAGE,
      hashes: [{ alg: 'SHA-256', content: '1'.repeat(64) }],
    });
    expect(bom.metadata).toMatchObject({
      timestamp: '2026-12-04T10:00:00Z',
      tools: { components: [{ name: 'mab', version: '0.1.0' }] },
    });
    const required = bom.components.filter((c) => c.scope === 'required');
    expect(required.map((c) => c.purl)).toEqual([
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=arm64&upstream=glibc',
      'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=arm64&upstream=openssl',
    ]);
    expect(required[0]!.components).toEqual([
      {
        type: 'file',
        'bom-ref': expect.stringMatching(/^SPDXRef-File-/),
        name: '/usr/lib/aarch64-linux-gnu/libc.so.6',
        hashes: [
          { alg: 'SHA-1', content: '5'.repeat(40) },
          { alg: 'SHA-256', content: '6'.repeat(64) },
          { alg: 'MD5', content: 'd'.repeat(32) },
        ],
      },
    ]);
    expect(required[1]!.licenses).toEqual([{ expression: 'Apache-2.0' }]);
    expect(bom.dependencies).toEqual([{ ref: 'SPDXRef-image', dependsOn: required.map((c) => c['bom-ref']) }]);
  });

  it('lists what the build took in as excluded components: the recipe, the base by digest, the sources', () => {
    const excluded = Object.fromEntries(bom.components.filter((c) => c.scope === 'excluded').map((c) => [c.name, c]));
    expect(Object.keys(excluded).sort()).toEqual(['debian:bookworm-slim', 'demo.tar.gz', 'recipes/demo.yaml']);
    expect(excluded['debian:bookworm-slim']).toMatchObject({
      type: 'container',
      purl: 'pkg:docker/debian@bookworm-slim?platform=linux%2Farm64',
      hashes: [{ alg: 'SHA-256', content: '2'.repeat(64) }],
    });
    expect(excluded['demo.tar.gz']).toMatchObject({
      type: 'file',
      externalReferences: [{ type: 'distribution', url: 'https://example.org/demo-2.0.0.tar.gz' }],
      hashes: [{ alg: 'SHA-256', content: 'a'.repeat(64) }],
    });
  });

  it('is the same for the same image, and another serial number for another', () => {
    expect(JSON.stringify(cycloneDxOf(spdx))).toBe(JSON.stringify(bom));
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const other = cycloneDxOf(
      spdxDocument({ ...image, image: { ...image.image, digest: `sha256:${'7'.repeat(64)}` } }, packages, new Map()),
    );
    expect(other.serialNumber).not.toBe(bom.serialNumber);
  });
});
