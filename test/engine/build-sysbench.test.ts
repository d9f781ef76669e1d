/**
 * The walking skeleton, end to end on the real engine: `mab build sysbench --arch arm64,amd64
 * --push` with BuildKit and QEMU, then every claim checked with tools mab did not write.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaType, type Index, type ImageConfig } from '../../src/oci/types.js';
import { REGISTRY, mab, recipeEdited, sh, skopeoJson } from './helpers.js';

const REPO = `${REGISTRY}/mabtest/sysbench`;
const UNAME: Record<string, string> = { 'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64' };

interface Report {
  schemaVersion: number;
  platforms: {
    platform: string;
    buildSeconds: number;
    manifest: string;
    smoke: { name: string; passed: boolean; seconds: number }[];
    size: { compressed: number; uncompressed: number; layers: number };
  }[];
  index: { digest: string; mediaType: string; tags: string[] };
}

let report: Report;
let stderr: string;

beforeAll(async () => {
  const run = await mab([
    'build',
    'sysbench',
    '--arch',
    'arm64,amd64',
    '--push',
    REPO,
    '--smoke',
    'all',
    '--rerun-smoke',
    '--json',
  ]);
  stderr = run.stderr;
  if (run.exitCode !== 0) throw new Error(`mab build failed (${run.exitCode}):\n${run.stderr.slice(-4000)}`);
  report = JSON.parse(run.stdout) as Report;
  // Wall times and sizes for the closing note.
  console.log(
    report.platforms
      .map(
        (p) =>
          `${p.platform}: build ${p.buildSeconds.toFixed(1)} s, ${p.size.compressed} B compressed, ${p.size.uncompressed} B uncompressed, ${p.size.layers} layers; ${p.smoke.map((s) => `${s.name} ${s.seconds.toFixed(1)} s`).join(', ')}`,
      )
      .join('\n'),
  );
});

describe('mab build sysbench --arch arm64,amd64 --push', () => {
  it('streams progress per platform and reports both platforms as smoke-tested, the seed workload included', () => {
    expect(stderr).toMatch(/strategy cross: the recipe supports it, so no build step is emulated/);
    expect(stderr).toMatch(/\[linux\/arm64\] \[\d+\/\d+\] /);
    expect(stderr).toMatch(/\[linux\/amd64\] smoke cpu: pass/);
    expect(report.platforms.map((p) => p.platform)).toEqual(['linux/arm64', 'linux/amd64']);
    for (const p of report.platforms) {
      expect(p.smoke.map((s) => s.name)).toEqual([
        'version',
        'cpu',
        ...[1, 2, 3, 4].map((n) => `seed workload ${n} thread${n > 1 ? 's' : ''}`),
      ]);
      expect(p.smoke.every((s) => s.passed)).toBe(true);
      expect(p.size.compressed).toBeGreaterThan(1_000_000);
      expect(p.size.uncompressed).toBeGreaterThan(p.size.compressed);
      expect(p.size.layers).toBeGreaterThanOrEqual(2);
    }
  });

  it('pushed an OCI index with exactly both platforms, and beside each its attestation manifest (skopeo)', async () => {
    const index = await skopeoJson<Index>(['--raw'], `${REPO}:1.0.20`);
    expect(index.mediaType).toBe(MediaType.OciIndex);
    const images = index.manifests.filter((m) => m.platform!.os !== 'unknown');
    expect(images.map((m) => `${m.platform!.os}/${m.platform!.architecture}`).sort()).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    expect(images.map((m) => m.digest).sort()).toEqual(report.platforms.map((p) => p.manifest).sort());
    const attestations = index.manifests.filter((m) => m.platform!.os === 'unknown');
    expect(attestations.map((a) => a.annotations!['vnd.docker.reference.digest']).sort()).toEqual(
      images.map((m) => m.digest).sort(),
    );
    expect(attestations.every((a) => a.annotations!['vnd.docker.reference.type'] === 'attestation-manifest')).toBe(
      true,
    );
  });

  it("buildx imagetools inspect shows each platform's SBOM (the packages dpkg lists) and provenance", async () => {
    const sboms = JSON.parse(
      await sh('docker', ['buildx', 'imagetools', 'inspect', `${REPO}:1.0.20`, '--format', '{{json .SBOM}}']),
    ) as Record<string, { SPDX: { spdxVersion: string; packages: { name: string }[] } }>;
    const provenance = JSON.parse(
      await sh('docker', ['buildx', 'imagetools', 'inspect', `${REPO}:1.0.20`, '--format', '{{json .Provenance}}']),
    ) as Record<string, { SLSA: { buildDefinition: { externalParameters: { strategy: string } } } }>;
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      expect(sboms[platform]!.SPDX.spdxVersion).toBe('SPDX-2.3');
      expect(sboms[platform]!.SPDX.packages.map((p) => p.name)).toContain('libc6');
      expect(provenance[platform]!.SLSA.buildDefinition.externalParameters.strategy).toBe('cross');
    }
  });

  it("mab verify --recipe: each platform's SBOM and provenance name its image, the recipe's bytes and sources", async () => {
    const ok = await mab(['verify', `${REPO}:1.0.20`, '--recipe', 'sysbench', '--recursive', '--json']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as {
      subjects: { checks: { check: string; ok: boolean; details: { images: { packages: number }[] } }[] }[];
    };
    // The index (both images) and each image on its own.
    expect(report.subjects.map((s) => s.checks.map((c) => [c.check, c.ok]))).toEqual([
      [['attestations', true]],
      [['attestations', true]],
      [['attestations', true]],
    ]);
    expect(report.subjects[0]!.checks[0]!.details.images.every((i) => i.packages > 50)).toBe(true);
    // Another recipe, and the same recipe with another checksum for arm64's package, are refused.
    const other = await mab(['verify', `${REPO}:1.0.20`, '--recipe', 'http-endpoint-c']);
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toContain('built from recipe sysbench, not http-endpoint-c');
    const edited = await recipeEdited('sysbench', (t) => t.replace(/(linux\/arm64: )a54969add/, '$1000000000'));
    const moved = await mab(['verify', `${REPO}:1.0.20`, '--recipes', edited, '--recipe', 'sysbench', '--json']);
    expect(moved.exitCode).toBe(1);
    expect(moved.stderr).toContain('[E_VERIFY]');
    const images = (
      JSON.parse(moved.stdout) as {
        subjects: { checks: { details: { images: { platform: string; problems: string[] }[] } }[] }[];
      }
    ).subjects[0]!.checks[0]!.details.images;
    // The recipe's bytes changed for both; the arm64 package's checksum only for arm64.
    const problems = Object.fromEntries(images.map((i) => [i.platform, i.problems]));
    expect(problems['linux/amd64']).toEqual([
      expect.stringMatching(/^recipe digest is [0-9a-f]{64}, not [0-9a-f]{64}$/),
    ]);
    expect(problems['linux/arm64']).toEqual([
      expect.stringMatching(/^recipe digest is /),
      expect.stringMatching(
        /^source http:\/\/deb\.debian\.org\/\S+_arm64\.deb: sha256 is a54969add\w+, not 000000000\w+$/,
      ),
    ]);
  });

  it('lists both platforms in buildx imagetools inspect', async () => {
    const out = await sh('docker', ['buildx', 'imagetools', 'inspect', `${REPO}:1.0.20`]);
    const platforms = [...out.matchAll(/Platform:\s+(\S+)/g)].map((m) => m[1]).sort();
    expect(platforms.filter((p) => p !== 'unknown/unknown')).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('index platform fields match each child config', async () => {
    const index = await skopeoJson<Index>(['--raw'], `${REPO}:1.0.20`);
    for (const m of index.manifests.filter((e) => e.platform!.os !== 'unknown')) {
      const config = await skopeoJson<ImageConfig>(['--config', '--raw'], `${REPO}@${m.digest}`);
      expect({ os: config.os, architecture: config.architecture, variant: config.variant }).toEqual({
        os: m.platform!.os,
        architecture: m.platform!.architecture,
        variant: m.platform!.variant,
      });
    }
  });

  it('tags latest with the same index', async () => {
    const a = await sh('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${REPO}:1.0.20`]);
    const b = await sh('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${REPO}:latest`]);
    expect(b).toBe(a);
    expect(report.index.tags).toEqual(['1.0.20', '1.0', '1', 'latest']);
  });

  it.each(['linux/arm64', 'linux/amd64'])(
    'docker pull --platform %s of the index tag runs the right arch and sysbench',
    async (platform) => {
      await sh('docker', ['pull', '--platform', platform, `${REPO}:1.0.20`]);
      const uname = await sh('docker', [
        'run',
        '--rm',
        '--platform',
        platform,
        '--entrypoint',
        'uname',
        `${REPO}:1.0.20`,
        '-m',
      ]);
      expect(uname.trim()).toBe(UNAME[platform]);
      const cpu = await sh('docker', [
        'run',
        '--rm',
        '--platform',
        platform,
        `${REPO}:1.0.20`,
        'cpu',
        '--threads=2',
        '--events=500',
        '--cpu-max-prime=5000',
        'run',
      ]);
      expect(cpu).toMatch(/total number of events:\s+500/);
    },
  );
});
