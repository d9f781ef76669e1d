/**
 * Signatures in cosign's format, checked by cosign itself (Debian's cosign 2.5, an independent
 * implementation) against the loopback registry: a two-platform index pushed with `mab push
 * --sign`, and a build pushed with `mab build --push --sign`, verify with `cosign verify`; a signature cosign adds is accepted by `mab verify` and
 * lives beside mab's in the same sha256-HEX.sig manifest; a payload altered in the registry, or one
 * moved onto another image, is refused by both tools.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/oci/digest.js';
import type { Manifest } from '../../src/oci/types.js';
import { Store } from '../../src/store/layout.js';
import { storeKnownImage } from '../fixtures/known-image.js';
import { REGISTRY, mab } from './helpers.js';

const MAB_PASSWORD = 'mab-test-password';
const COSIGN_PASSWORD = 'cosign-test-password';
const base = '/v2';

let dir: string;
let repo: string;
let index: string;
let children: string[];

/** cosign, as a user runs it against a plain-HTTP loopback registry, with no transparency log. */
function cosign(args: string[], password?: string) {
  return execa('cosign', args, {
    reject: false,
    cwd: dir,
    stdin: 'ignore',
    env: { ...process.env, COSIGN_PASSWORD: password ?? '', COSIGN_YES: 'true' },
  });
}
const cosignVerify = (pub: string, ref: string) =>
  cosign(['verify', '--key', pub, '--insecure-ignore-tlog', '--allow-insecure-registry', ref]);

/** The registry's own answer, read with fetch rather than mab's client. */
async function registryJson<T>(p: string): Promise<T> {
  const res = await fetch(`http://${REGISTRY}${base}/${p}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}
const sigTag = (digest: string) => `${digest.replace(':', '-')}.sig`;
const sigManifest = (r: string, digest: string) =>
  registryJson<Manifest>(`${r.slice(REGISTRY.length + 1)}/manifests/${sigTag(digest)}`);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-sign-'));
  const store = await Store.open(path.join(dir, 'store'));
  await storeKnownImage(store, 'signed:1.0.0', [
    { architecture: 'amd64', fill: 0x61 },
    { architecture: 'arm64', fill: 0x62 },
  ]);
  repo = `${REGISTRY}/mabtest/sign-${randomBytes(4).toString('hex')}`;
  const keys = await mab(['key', 'generate', path.join(dir, 'mab')], { COSIGN_PASSWORD: MAB_PASSWORD });
  expect(keys.exitCode, keys.stderr).toBe(0);
  const other = await mab(['key', 'generate', path.join(dir, 'other'), '--no-password']);
  expect(other.exitCode, other.stderr).toBe(0);
  const made = await cosign(['generate-key-pair', '--output-key-prefix', 'cosign'], COSIGN_PASSWORD);
  expect(made.exitCode, made.stderr).toBe(0);
  const pushed = await mab(
    [
      'push',
      'signed:1.0.0',
      `${repo}:1.0.0`,
      '--store',
      path.join(dir, 'store'),
      '--index-format',
      'oci',
      '--sign',
      path.join(dir, 'mab.key'),
      '--json',
    ],
    { COSIGN_PASSWORD: MAB_PASSWORD },
  );
  expect(pushed.exitCode, pushed.stderr).toBe(0);
  const r = JSON.parse(pushed.stdout) as {
    digest: string;
    children: { digest: string }[];
    signed: { digest: string; added: boolean }[];
  };
  index = r.digest;
  children = r.children.map((c) => c.digest);
  expect(children).toHaveLength(2);
  expect(r.signed.map((s) => [s.digest, s.added])).toEqual([index, ...children].map((d) => [d, true]));
}, 120_000);

describe('mab push --sign, checked by cosign', () => {
  it('cosign verify accepts the index and each platform manifest with mab.pub', async () => {
    for (const ref of [`${repo}:1.0.0`, ...children.map((c) => `${repo}@${c}`)]) {
      const v = await cosignVerify('mab.pub', ref);
      console.log(`cosign verify --key mab.pub ${ref} → exit ${v.exitCode}\n${v.stderr}\n${v.stdout}`);
      expect(v.exitCode, v.stderr).toBe(0);
      expect(v.stderr).toContain('The signatures were verified against the specified public key');
      const claims = JSON.parse(v.stdout) as { critical: { image: { 'docker-manifest-digest': string } } }[];
      expect(claims.map((c) => c.critical.image['docker-manifest-digest'])).toEqual([
        ref.includes('@') ? ref.split('@')[1] : index,
      ]);
    }
  });

  it('cosign verify refuses the image with a key that did not sign it', async () => {
    const v = await cosignVerify('cosign.pub', `${repo}:1.0.0`);
    expect(v.exitCode).not.toBe(0);
    expect(v.stderr).toMatch(/no matching signatures/);
  });

  it("mab verify accepts cosign's signature, which sits beside mab's in the same .sig manifest", async () => {
    const signed = await cosign(
      ['sign', '--key', 'cosign.key', '--tlog-upload=false', '--allow-insecure-registry', `${repo}@${index}`],
      COSIGN_PASSWORD,
    );
    console.log(`cosign sign → exit ${signed.exitCode}\n${signed.stderr}`);
    expect(signed.exitCode, signed.stderr).toBe(0);
    const sig = await sigManifest(repo, index);
    expect(sig.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.dev.cosign.simplesigning.v1+json',
      'application/vnd.dev.cosign.simplesigning.v1+json',
    ]);
    for (const [pub, at] of [
      ['cosign.pub', 2],
      ['mab.pub', 1],
    ] as const) {
      const v = await mab(['verify', `${repo}:1.0.0`, '--key', path.join(dir, pub), '--json']);
      expect(v.exitCode, v.stderr).toBe(0);
      const report = JSON.parse(v.stdout) as {
        ok: boolean;
        digest: string;
        subjects: { checks: { details: { signatures: { layer: number; ok: boolean }[] } }[] }[];
      };
      expect(report.digest).toBe(index);
      expect(report.subjects[0]!.checks[0]!.details.signatures.filter((s) => s.ok).map((s) => s.layer)).toEqual([at]);
      // And cosign still accepts mab's signature after appending its own.
      expect((await cosignVerify(pub, `${repo}:1.0.0`)).exitCode).toBe(0);
    }
  });

  it('signing again with the same key adds nothing; another key appends', async () => {
    const again = await mab(['sign', `${repo}:1.0.0`, '--key', path.join(dir, 'mab.key'), '--json'], {
      COSIGN_PASSWORD: MAB_PASSWORD,
    });
    expect(again.exitCode, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { signed: { added: boolean; signatures: number }[] }).signed).toEqual([
      { digest: index, tag: sigTag(index), signatures: 2, added: false },
    ]);
    const other = await mab(['sign', `${repo}@${index}`, '--key', path.join(dir, 'other.key'), '-a', 'team=edge']);
    expect(other.exitCode, other.stderr).toBe(0);
    expect((await sigManifest(repo, index)).layers).toHaveLength(3);
    const v = await cosign([
      'verify',
      '--key',
      'other.pub',
      '--insecure-ignore-tlog',
      '--allow-insecure-registry',
      '-a',
      'team=edge',
      `${repo}:1.0.0`,
    ]);
    expect(v.exitCode, v.stderr).toBe(0);
  });

  it('mab verify --recursive names the platform manifests a key did not sign', async () => {
    const v = await mab(['verify', `${repo}:1.0.0`, '--key', path.join(dir, 'cosign.pub'), '--recursive']);
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`@${index}\\n  signature  ok `));
    expect(v.stderr).toContain('[E_VERIFY]');
    expect(v.stderr).toContain(
      `signature of linux/amd64: none of the 1 signature(s) in ${sigTag(children[0]!)} is valid for cosign.pub: layer 1: not signed by cosign.pub`,
    );
    expect(v.stderr).toContain('signature of linux/arm64:');
  });
});

describe('mab build --push --sign', () => {
  it('signs the index and the platform manifest it pushed, and its SBOM and provenance; cosign verifies all', async () => {
    const built = `${REGISTRY}/mabtest/sign-build-${randomBytes(4).toString('hex')}`;
    const r = await mab(
      [
        ...'build http-endpoint-c --arch amd64 --strategy minimal --tag {version} --json --quiet'.split(' '),
        ...['--store', path.join(dir, 'build-store'), '--push', built, '--sign', path.join(dir, 'mab.key')],
      ],
      { COSIGN_PASSWORD: MAB_PASSWORD },
    );
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as {
      index: { digest: string };
      platforms: { manifest: string }[];
      signed: { digest: string; added: boolean }[];
      attested: { digest: string; predicateType: string }[];
    };
    const digests = [report.index.digest, report.platforms[0]!.manifest];
    expect(report.signed.map((s) => s.digest)).toEqual(digests);
    for (const d of digests) expect((await cosignVerify('mab.pub', `${built}@${d}`)).exitCode).toBe(0);
    // The SBOM and provenance the index carries, signed into the image's .att: cosign reads both.
    expect(report.attested.map((a) => [a.digest, a.predicateType])).toEqual([
      [digests[1], 'https://spdx.dev/Document'],
      [digests[1], 'https://slsa.dev/provenance/v1'],
    ]);
    for (const type of ['spdxjson', 'slsaprovenance1']) {
      const v = await cosign([
        ...['verify-attestation', '--key', 'mab.pub', '--type', type, '--insecure-ignore-tlog'],
        ...['--allow-insecure-registry', `${built}@${digests[1]}`],
      ]);
      expect(v.exitCode, v.stderr).toBe(0);
      const statement = JSON.parse(
        Buffer.from((JSON.parse(v.stdout.trim().split('\n')[0]!) as { payload: string }).payload, 'base64').toString(),
      ) as { subject: { digest: { sha256: string } }[] };
      expect(`sha256:${statement.subject[0]!.digest.sha256}`).toBe(digests[1]);
    }
  });
});

describe('signatures that must be refused', () => {
  /** Replaces the .sig manifest of `digest` in repo with `layers`, their payload blobs uploaded first. */
  async function forge(digest: string, layers: { payload: Buffer; signature: string }[]): Promise<void> {
    const name = repo.slice(REGISTRY.length + 1);
    const upload = async (bytes: Buffer) => {
      const d = sha256Digest(bytes);
      const start = await fetch(`http://${REGISTRY}${base}/${name}/blobs/uploads/`, { method: 'POST' });
      const url = new URL(start.headers.get('location')!, `http://${REGISTRY}`);
      url.searchParams.set('digest', d);
      const put = await fetch(url, { method: 'PUT', body: new Uint8Array(bytes) });
      expect(put.status).toBe(201);
      return { digest: d, size: bytes.length };
    };
    const config = Buffer.from(
      JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] }, config: {} }),
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await upload(config)) },
      layers: await Promise.all(
        layers.map(async (l) => ({
          mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
          ...(await upload(l.payload)),
          annotations: { 'dev.cosignproject.cosign/signature': l.signature },
        })),
      ),
    };
    const put = await fetch(`http://${REGISTRY}${base}/${name}/manifests/${sigTag(digest)}`, {
      method: 'PUT',
      headers: { 'Content-Type': manifest.mediaType },
      body: JSON.stringify(manifest),
    });
    expect(put.status).toBe(201);
  }

  /** mab's signature of the amd64 image, its payload and signature as stored, before any forgery. */
  let amd64: { payload: Buffer; signature: string };
  beforeAll(async () => {
    const layer = (await sigManifest(repo, children[0]!)).layers[0]!;
    const res = await fetch(`http://${REGISTRY}${base}/${repo.slice(REGISTRY.length + 1)}/blobs/${layer.digest}`);
    amd64 = {
      payload: Buffer.from(await res.arrayBuffer()),
      signature: layer.annotations!['dev.cosignproject.cosign/signature']!,
    };
  });

  it('a payload altered in the registry (its signature kept) is refused by mab and cosign', async () => {
    const { payload, signature } = amd64;
    const altered = Buffer.from(payload.toString().replace('"optional":null', '"optional":{"x":"y"}'));
    expect(altered.equals(payload)).toBe(false);
    await forge(children[0]!, [{ payload: altered, signature }]);
    const v = await mab(['verify', `${repo}@${children[0]}`, '--key', path.join(dir, 'mab.pub')]);
    expect(v.exitCode).toBe(1);
    expect(v.stderr).toContain('layer 1: not signed by mab.pub (or the payload was altered)');
    expect((await cosignVerify('mab.pub', `${repo}@${children[0]}`)).exitCode).not.toBe(0);
  });

  it("a valid signature moved onto another image's .sig tag is refused by mab and cosign", async () => {
    // The arm64 image's tag holds only the amd64 image's signature: genuine, but of another digest.
    await forge(children[1]!, [amd64]);
    const v = await mab(['verify', `${repo}@${children[1]}`, '--key', path.join(dir, 'mab.pub')]);
    expect(v.exitCode).toBe(1);
    expect(v.stderr).toContain(`layer 1: the payload signs ${children[0]}, not ${children[1]}`);
    const c = await cosignVerify('mab.pub', `${repo}@${children[1]}`);
    expect(c.exitCode).not.toBe(0);
    expect(c.stderr).toMatch(/invalid or missing digest in claim/);
  });
});
