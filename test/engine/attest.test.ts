/**
 * Signed attestations checked by cosign itself (Debian's cosign 2.5), against the loopback
 * registry only: no engine is needed. A two-platform index carrying an SBOM and a provenance per
 * image in its attestation manifests (src/oci/attestation.ts) is copied from a store to the
 * registry; `mab sign --attestations` signs those statements into each image's `.att`, and
 * `cosign verify-attestation --type spdxjson` (and slsaprovenance1) accepts each platform's with
 * the signing key, and refuses them with another, or moved onto another image. Signing again adds
 * nothing; cosign's own attestation appended to the same `.att` leaves mab's verifiable. An index
 * with no attestations, or with a statement listed for an image it is not about, is refused with
 * nothing written.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredicateType, attestationManifest, statementOf, type Statement } from '../../src/oci/attestation.js';
import { MediaType, type Manifest } from '../../src/oci/types.js';
import { Store } from '../../src/store/layout.js';
import { KEY_FILE, PASSWORD } from '../fixtures/cosign/made-by-cosign.js';
import { storeKnownImage } from '../fixtures/known-image.js';
import { REGISTRY, mab } from './helpers.js';

const MAB_PASSWORD = 'mab-test-password';
const hex = randomBytes(4).toString('hex');

let dir: string;
let repo: string;
/** The platform images' digests, amd64 then arm64. */
let images: string[];

/** cosign, as a user runs it against a plain-HTTP loopback registry, with no transparency log. */
function cosign(args: string[], password = '') {
  return execa('cosign', args, {
    reject: false,
    cwd: dir,
    stdin: 'ignore',
    env: { ...process.env, COSIGN_PASSWORD: password, COSIGN_YES: 'true' },
  });
}
const verifyAttestation = (pub: string, type: string, ref: string) =>
  cosign([
    'verify-attestation',
    '--key',
    pub,
    '--insecure-ignore-tlog',
    '--allow-insecure-registry',
    '--type',
    type,
    ref,
  ]);

/** The in-toto statements of cosign's output: one DSSE envelope per line. */
function statementsOf(stdout: string): Statement[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const envelope = JSON.parse(line) as { payloadType: string; payload: string };
      expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
      return JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as Statement;
    });
}

/** The .att manifest of digest, as the registry answers it (read with fetch, not mab's client). */
async function attManifest(digest: string): Promise<Manifest> {
  const name = repo.slice(REGISTRY.length + 1);
  const res = await fetch(`http://${REGISTRY}/v2/${name}/manifests/${digest.replace(':', '-')}.att`, {
    headers: { Accept: MediaType.OciManifest },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Manifest;
}

const signAttestations = (ref: string, key: string, env: NodeJS.ProcessEnv = {}) =>
  mab(['sign', ref, '--key', path.join(dir, key), '--attestations', '--json'], env);

interface SignJson {
  signed: { digest: string; added: boolean }[];
  attested: { digest: string; predicateType: string; tag: string; attestations: number; added: boolean }[];
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-attest-'));
  const store = await Store.open(path.join(dir, 'store'));
  const made = await storeKnownImage(store, 'plain:1.0.0', [
    { architecture: 'amd64', fill: 0x61 },
    { architecture: 'arm64', fill: 0x62 },
  ]);
  images = made.map((m) => m.manifest.digest);
  repo = `${REGISTRY}/mabtest/attest-${hex}`;
  // Per image, an SBOM and a provenance, as a build with attestations on puts them in the index.
  const entries = [];
  for (const [i, digest] of images.entries()) {
    const name = `pkg:docker/mabtest/attest@1.0.0?platform=${encodeURIComponent(made[i]!.platform)}`;
    const sbom = statementOf(name, digest, PredicateType.Spdx, {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: `attest ${made[i]!.platform}`,
      documentNamespace: `https://example.com/spdx/${digest}`,
      creationInfo: { created: '2024-01-01T00:00:00Z', creators: ['Tool: mab'] },
      packages: [],
    });
    const provenance = statementOf(name, digest, PredicateType.SlsaProvenance1, {
      buildDefinition: { buildType: 'https://example.com/mab/recipe/v1', externalParameters: { recipe: 'attest' } },
      runDetails: { builder: { id: 'https://example.com/mab' } },
    });
    const a = attestationManifest(digest, [sbom, provenance]);
    for (const b of [...a.blobs, a.manifest]) await store.putBytes(b.bytes, b.descriptor.mediaType);
    entries.push(a.entry);
  }
  // And an index whose attestation for amd64 holds a statement about the arm64 image.
  const misplaced = attestationManifest(images[0]!, [
    statementOf('pkg:docker/mabtest/attest@1.0.0', images[1]!, PredicateType.Spdx, { spdxVersion: 'SPDX-2.3' }),
  ]);
  for (const b of [...misplaced.blobs, misplaced.manifest]) await store.putBytes(b.bytes, b.descriptor.mediaType);
  for (const [tag, extra] of [
    ['attested:1.0.0', entries],
    ['misplaced:1.0.0', [misplaced.entry]],
  ] as const) {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [...made.map((m) => m.manifest), ...extra],
    };
    await store.tag([tag], await store.putBytes(Buffer.from(JSON.stringify(index)), MediaType.OciIndex));
  }
  for (const [tag, to] of [
    ['attested:1.0.0', repo],
    ['plain:1.0.0', `${repo}-plain`],
    ['misplaced:1.0.0', `${repo}-misplaced`],
  ]) {
    const cp = await mab(['cp', tag!, to!, '--store', path.join(dir, 'store')]);
    expect(cp.exitCode, cp.stderr).toBe(0);
  }
  const keys = await mab(['key', 'generate', path.join(dir, 'mab')], { COSIGN_PASSWORD: MAB_PASSWORD });
  expect(keys.exitCode, keys.stderr).toBe(0);
  const other = await mab(['key', 'generate', path.join(dir, 'other'), '--no-password']);
  expect(other.exitCode, other.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  if (dir && !process.env.MAB_KEEP_TMP) await rm(dir, { recursive: true, force: true });
});

describe('mab sign --attestations, checked by cosign verify-attestation', () => {
  it("signs each platform's SBOM and provenance into its .att", async () => {
    const r = await signAttestations(`${repo}:1.0.0`, 'mab.key', { COSIGN_PASSWORD: MAB_PASSWORD });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as SignJson;
    expect(out.signed.map((s) => s.added)).toEqual([true]);
    expect(out.attested.map((a) => [a.digest, a.predicateType, a.attestations, a.added])).toEqual(
      images.flatMap((d) => [
        [d, PredicateType.Spdx, 1, true],
        [d, PredicateType.SlsaProvenance1, 2, true],
      ]),
    );
    for (const d of images)
      expect((await attManifest(d)).layers.map((l) => [l.mediaType, l.annotations])).toEqual(
        [PredicateType.Spdx, PredicateType.SlsaProvenance1].map((t) => [
          'application/vnd.dsse.envelope.v1+json',
          { 'dev.cosignproject.cosign/signature': '', predicateType: t },
        ]),
      );
  });

  it('cosign verify-attestation accepts each platform image with the key, for both predicate types', async () => {
    for (const d of images)
      for (const [type, predicateType] of [
        ['spdxjson', PredicateType.Spdx],
        ['slsaprovenance1', PredicateType.SlsaProvenance1],
      ] as const) {
        const v = await verifyAttestation('mab.pub', type, `${repo}@${d}`);
        console.log(`cosign verify-attestation --type ${type} ${repo}@${d} → exit ${v.exitCode}\n${v.stderr}`);
        expect(v.exitCode, v.stderr).toBe(0);
        expect(v.stderr).toContain('The signatures were verified against the specified public key');
        const statements = statementsOf(v.stdout).filter((s) => s.predicateType === predicateType);
        expect(statements).toHaveLength(1);
        expect(statements[0]!.subject.map((s) => `sha256:${s.digest.sha256}`)).toEqual([d]);
      }
  });

  it('cosign verify-attestation refuses them with a key that did not sign', async () => {
    const v = await verifyAttestation('other.pub', 'spdxjson', `${repo}@${images[0]}`);
    expect(v.exitCode).not.toBe(0);
    expect(v.stderr).toMatch(/no matching attestations/);
  });

  it("signing again adds nothing; cosign's own attestation sits beside mab's, and both verify", async () => {
    const again = await signAttestations(`${repo}:1.0.0`, 'mab.key', { COSIGN_PASSWORD: MAB_PASSWORD });
    expect(again.exitCode, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as SignJson).attested.map((a) => [a.attestations, a.added])).toEqual(
      images.flatMap(() => [
        [2, false],
        [2, false],
      ]),
    );
    await writeFile(path.join(dir, 'sbom.json'), JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [] }));
    const attested = await cosign(
      [
        ...['attest', '--key', KEY_FILE, '--type', 'spdxjson', '--predicate', 'sbom.json'],
        ...['--tlog-upload=false', '--allow-insecure-registry', `${repo}@${images[0]}`],
      ],
      PASSWORD,
    );
    expect(attested.exitCode, attested.stderr).toBe(0);
    expect((await attManifest(images[0]!)).layers).toHaveLength(3);
    expect((await verifyAttestation('mab.pub', 'spdxjson', `${repo}@${images[0]}`)).exitCode).toBe(0);
    // Another key appends its own envelopes after the ones there.
    const other = await signAttestations(`${repo}@${(await indexDigest())!}`, 'other.key');
    expect(other.exitCode, other.stderr).toBe(0);
    expect((await attManifest(images[0]!)).layers).toHaveLength(5);
    expect((await verifyAttestation('other.pub', 'slsaprovenance1', `${repo}@${images[1]}`)).exitCode).toBe(0);
  });

  it("a genuine attestation moved onto another image's .att is refused by cosign", async () => {
    // The arm64 image's tag now holds the amd64 image's envelopes: signed by the key, about another digest.
    const name = repo.slice(REGISTRY.length + 1);
    const put = await fetch(`http://${REGISTRY}/v2/${name}/manifests/${images[1]!.replace(':', '-')}.att`, {
      method: 'PUT',
      headers: { 'Content-Type': MediaType.OciManifest },
      body: JSON.stringify(await attManifest(images[0]!)),
    });
    expect(put.status).toBe(201);
    const v = await verifyAttestation('mab.pub', 'spdxjson', `${repo}@${images[1]}`);
    expect(v.exitCode).not.toBe(0);
    expect(v.stderr).toMatch(/no matching subject digest found/);
  });

  /** The tags of repo+suffix: only 1.0.0 when mab wrote no .sig or .att there. */
  const tagsOf = async (suffix: string) =>
    (
      (await (await fetch(`http://${REGISTRY}/v2/mabtest/attest-${hex}${suffix}/tags/list`)).json()) as {
        tags: string[];
      }
    ).tags;

  it('an index with no attestations is refused, naming it and the fix, and nothing is signed', async () => {
    const ref = `${repo}-plain:1.0.0`;
    const r = await mab(['sign', ref, '--key', path.join(dir, 'other.key'), '--attestations']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('[E_NO_ATTESTATIONS]');
    expect(r.stderr).toContain(`${ref} carries no SBOM or provenance attestations to sign`);
    expect(r.stderr).toMatch(/fix: build and push it with attestations on/);
    expect(await tagsOf('-plain')).toEqual(['1.0.0']);
  });

  it('a statement about another image than the one it is listed for is not signed, and nothing is', async () => {
    const r = await mab(['sign', `${repo}-misplaced:1.0.0`, '--key', path.join(dir, 'other.key'), '--attestations']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('[E_ATTEST]');
    expect(r.stderr).toContain(`is about ${images[1]}, not that image`);
    expect(await tagsOf('-misplaced')).toEqual(['1.0.0']);
  });
});

/** The digest the index tag names, as the registry answers it. */
async function indexDigest(): Promise<string | null> {
  const res = await fetch(`http://${REGISTRY}/v2/${repo.slice(REGISTRY.length + 1)}/manifests/1.0.0`, {
    method: 'HEAD',
    headers: { Accept: MediaType.OciIndex },
  });
  return res.headers.get('docker-content-digest');
}
