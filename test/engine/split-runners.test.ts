/**
 * Split CI runners, end to end: two "runners" (separate stores, as separate machines would have)
 * each build one platform and push it by digest with a metadata file; the merge step checks the
 * files and the registry, then tags one index. Bad merges fail before anything is tagged.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BuildMetadata } from '../../src/manifest/metadata.js';
import { RegistryClient } from '../../src/registry/client.js';
import { REGISTRY, mab, sh } from './helpers.js';

const name = `mabtest/split-${randomBytes(4).toString('hex')}`;
const repo = `${REGISTRY}/${name}`;
const registry = new RegistryClient(REGISTRY);
let dir: string;
const file = (n: string) => path.join(dir, n);

async function runner(arch: string): Promise<BuildMetadata> {
  const store = path.join(await mkdtemp(path.join(os.tmpdir(), `mab-runner-${arch}-`)), 'store');
  const r = await mab([
    'build',
    'http-endpoint-c',
    '--arch',
    arch,
    '--strategy',
    'minimal',
    '--store',
    store,
    '--push',
    repo,
    '--by-digest',
    '--metadata-file',
    file(`${arch}.json`),
  ]);
  expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
  expect(r.stdout).toContain(`pushed by digest to ${repo}, untagged (no index)`);
  return JSON.parse(await readFile(file(`${arch}.json`), 'utf8')) as BuildMetadata;
}

/** A metadata file like `from`, changed by `edit`, written as NAME. */
async function variant(from: BuildMetadata, n: string, edit: (m: BuildMetadata) => void): Promise<string> {
  const m = structuredClone(from);
  edit(m);
  await writeFile(file(n), JSON.stringify(m));
  return file(n);
}

let amd64: BuildMetadata;
let arm64: BuildMetadata;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-split-'));
  amd64 = await runner('amd64');
  arm64 = await runner('arm64');
});

describe('split runners', () => {
  it('push by digest only: the repository has both platform manifests and no tag', async () => {
    expect(amd64).toMatchObject({
      kind: 'mab.build-metadata',
      schemaVersion: 1,
      recipe: 'http-endpoint-c',
      version: '1.0.0',
      strategy: 'minimal',
      repository: repo,
      format: 'oci',
    });
    expect(amd64.platforms.map((p) => p.platform)).toEqual(['linux/amd64']);
    expect(arm64.platforms[0]!.smoke.every((s) => s.passed)).toBe(true);
    for (const m of [amd64, arm64]) {
      const { digest, attestation } = m.platforms[0]!;
      expect(await registry.headManifest(name, digest)).toBeDefined();
      // Its SBOM and provenance went up by digest beside it, for the merge to list.
      expect(attestation?.annotations?.['vnd.docker.reference.digest']).toBe(digest);
      expect(await registry.headManifest(name, attestation!.digest)).toBeDefined();
    }
    expect(await registry.listTags(name)).toEqual([]);
  });

  it('refuse a merge that is missing a child, lies about a platform, mixes builds or repeats a platform, tagging nothing', async () => {
    // A platform never pushed (so no attestation of it either).
    const missing = await variant(arm64, 'missing.json', (m) => {
      const { attestation: _, ...rest } = m.platforms[0]!;
      m.platforms[0] = { ...rest, platform: 'linux/arm/v7', digest: `sha256:${'0'.repeat(64)}` };
    });
    const lying = await variant(arm64, 'lying.json', (m) => void (m.platforms[0]!.platform = 'linux/arm/v7'));
    const older = await variant(arm64, 'older.json', (m) => void (m.version = '0.9.0'));
    const unattested = await variant(
      arm64,
      'unattested.json',
      (m) => void (m.platforms[0]!.attestation!.digest = `sha256:${'0'.repeat(64)}`),
    );
    const misattested = await variant(
      arm64,
      'misattested.json',
      (m) => void (m.platforms[0]!.attestation = amd64.platforms[0]!.attestation),
    );
    const cases: [string[], RegExp][] = [
      [
        [file('amd64.json'), file('arm64.json'), missing],
        /\[E_MERGE_CHILD_MISSING\]: not in .*: linux\/arm\/v7 sha256:0{64} \(.*missing\.json\); nothing was tagged/,
      ],
      [[file('amd64.json'), lying], /listed as linux\/arm\/v7 but its config says linux\/arm64/],
      [
        [file('amd64.json'), unattested],
        /not in .*: the attestations of linux\/arm64, sha256:0{64} \(.*unattested\.json\); nothing was tagged/,
      ],
      [
        [file('amd64.json'), misattested],
        /misattested\.json: platforms\[0\]\.attestation is not an attestation manifest of/,
      ],
      [[file('amd64.json'), older], /amd64\.json and .*older\.json disagree on version \(1\.0\.0 \/ 0\.9\.0\)/],
      [
        [file('amd64.json'), file('arm64.json'), file('arm64.json')],
        /linux\/arm64 is in both .*arm64\.json and .*arm64\.json/,
      ],
      [
        [await variant(arm64, 'foreign.json', (m) => void ((m as { kind: string }).kind = 'other'))],
        /foreign\.json: kind is "other", not "mab\.build-metadata"/,
      ],
    ];
    for (const [files, message] of cases) {
      const r = await mab(['manifest', 'merge', ...files]);
      expect(r.exitCode, files.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await registry.listTags(name)).toEqual([]);
  });

  it("merge into one tagged index that skopeo, buildx and mab report (with the runners' metadata) read", async () => {
    const r = await mab(['manifest', 'merge', file('amd64.json'), file('arm64.json'), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const merged = JSON.parse(r.stdout) as { digest: string; tags: string[]; mediaType: string };
    expect(merged.tags).toEqual(['1.0.0', '1.0', '1', 'latest']);
    expect(merged.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect((await registry.listTags(name)).sort()).toEqual(['1', '1.0', '1.0.0', 'latest']);
    const index = JSON.parse(
      await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${repo}:1.0.0`]),
    ) as { manifests: { digest: string; platform: { architecture: string } }[] };
    expect(index.manifests.map((m) => [m.platform.architecture, m.digest])).toEqual([
      ['amd64', amd64.platforms[0]!.digest],
      ['arm64', arm64.platforms[0]!.digest],
      ['unknown', amd64.platforms[0]!.attestation!.digest],
      ['unknown', arm64.platforms[0]!.attestation!.digest],
    ]);
    // The merged index carries each image's SBOM and provenance, as one runner's push would.
    const verified = await mab(['verify', `${repo}:1.0.0`, '--attestations', '--recipe', 'http-endpoint-c']);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    const sbom = JSON.parse(
      await sh('docker', ['buildx', 'imagetools', 'inspect', `${repo}:1.0.0`, '--format', '{{json .SBOM}}']),
    ) as Record<string, unknown>;
    expect(Object.keys(sbom).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    const buildx = await sh('docker', ['buildx', 'imagetools', 'inspect', `${repo}:1.0.0`]);
    expect(buildx).toMatch(/Platform:\s+linux\/amd64/);
    expect(buildx).toMatch(/Platform:\s+linux\/arm64/);
    // The report reads sizes from the registry and, from the runners' files, build times and smoke results.
    const report = JSON.parse(
      (
        await mab([
          'report',
          `${repo}:latest`,
          '--json',
          '--metadata',
          file('amd64.json'),
          '--metadata',
          file('arm64.json'),
        ])
      ).stdout,
    ) as { platforms: { platform: string; build?: { buildSeconds: number; smoke: unknown[] } }[] };
    expect(report.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(report.platforms.map((p) => p.build?.buildSeconds)).toEqual([
      amd64.platforms[0]!.buildSeconds,
      arm64.platforms[0]!.buildSeconds,
    ]);
    expect(report.platforms[1]!.build?.smoke).toEqual(arm64.platforms[0]!.smoke);
    // A later merge with --tag templates adds tags to the same index.
    const again = await mab([
      'manifest',
      'merge',
      file('amd64.json'),
      file('arm64.json'),
      '--tag',
      '{version}-{strategy}',
      '--json',
    ]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ digest: merged.digest, tags: ['1.0.0-minimal'] });
  });

  it('merge --sign: the index, both images and their attestations, as cosign verifies them', async () => {
    const env = { COSIGN_PASSWORD: 'split-runner-secret' };
    expect((await mab(['key', 'generate', file('release')], env)).exitCode).toBe(0);
    const files = [file('amd64.json'), file('arm64.json')];
    const bad = await mab(['manifest', 'merge', ...files, '--sign', file('release.key'), '--tag', 'x'], {
      COSIGN_PASSWORD: 'wrong',
    });
    // A wrong password fails before anything is tagged.
    expect(bad.exitCode).toBe(1);
    expect(await registry.listTags(name)).not.toContain('x');
    const r = await mab(['manifest', 'merge', ...files, '--sign', file('release.key'), '--json'], env);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { digest: string; signed: unknown[]; attested: unknown[] };
    expect([out.signed.length, out.attested.length]).toEqual([3, 4]);
    expect(JSON.stringify(out)).not.toContain(env.COSIGN_PASSWORD);
    const verified = await mab(['verify', `${repo}:1.0.0`, '--key', file('release.pub'), '--recursive']);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    for (const m of [amd64, arm64]) {
      const v = await execa(
        'cosign',
        [
          ...['verify-attestation', '--key', file('release.pub'), '--insecure-ignore-tlog'],
          ...['--allow-insecure-registry', '--type', 'spdxjson', `${repo}@${m.platforms[0]!.digest}`],
        ],
        { reject: false, stdin: 'ignore' },
      );
      expect(v.exitCode, v.stderr).toBe(0);
    }
  });
});
