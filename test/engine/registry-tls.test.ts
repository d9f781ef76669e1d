/**
 * Transport security against real registries (Debian's docker-registry) on a non-loopback address
 * of this machine: one with TLS under a certificate from a CA made for the test, one speaking
 * plain HTTP. mab refuses both until told otherwise: the CA given (--ca-cert, or installed where
 * Docker looks), or the registry marked insecure. skopeo checks the pushed image with the CA.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTS_D } from '../../src/registry/tls.js';
import { imageEntries } from '../../src/oci/index.js';
import type { Index } from '../../src/oci/types.js';
import { openRegistry, type TestRegistry } from '../fixtures/registries.js';
import { mab, sh } from './helpers.js';

/** An IPv4 address of this machine that is not loopback (docker0 at least, where dockerd runs). */
function hostAddress(): string {
  const found = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!found) throw new Error('this test needs a non-loopback IPv4 address (docker0 has one when dockerd runs)');
  return found.address;
}

let store: string;
let secure: TestRegistry & { ca: string };
let plain: TestRegistry & { ca: string };
beforeAll(async () => {
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-tls-')), 'store');
  const r = await mab([
    'build',
    'http-endpoint-c',
    '--arch',
    'amd64,arm64',
    '--strategy',
    'minimal',
    '--store',
    store,
    '--quiet',
  ]);
  expect(r.exitCode, r.stderr).toBe(0);
  const host = hostAddress();
  [secure, plain] = await Promise.all([openRegistry(host, true), openRegistry(host, false)]);
});
afterAll(async () => {
  await secure?.stop();
  await plain?.stop();
});

const push = (registry: string, args: string[] = []) =>
  mab([
    'push',
    'http-endpoint-c:1.0.0',
    `${registry}/mabtest/tls-${randomBytes(4).toString('hex')}:1.0.0`,
    '--store',
    store,
    '--quiet',
    '--json',
    ...args,
  ]);

describe('a registry with a certificate from a CA the system does not know', () => {
  it('is refused with the fix named, and pushed to once its CA is given', async () => {
    const refused = await push(secure.address);
    expect(refused.exitCode).toBe(1);
    // The registry sends only its own certificate, so Node cannot find the issuer of that leaf.
    expect(refused.stderr).toContain(
      `mab: error [E_TLS]: the certificate of registry ${secure.address} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    );
    expect(refused.stderr).toContain(`--ca-cert FILE or install it as /etc/docker/certs.d/${secure.address}/ca.crt`);

    const ok = await push(secure.address, ['--ca-cert', secure.ca]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const { reference } = JSON.parse(ok.stdout) as { reference: string };
    // skopeo verifies the certificate too, with the same CA (its --cert-dir takes *.crt as CAs).
    const certs = await mkdtemp(path.join(os.tmpdir(), 'mab-tls-certs-'));
    await copyFile(secure.ca, path.join(certs, 'ca.crt'));
    const index = JSON.parse(
      await sh('skopeo', ['inspect', '--raw', '--cert-dir', certs, `docker://${reference}:1.0.0`]),
    ) as Index;
    // Both images, and the attestation manifest of each.
    expect(imageEntries(index)).toHaveLength(2);
    expect(index.manifests).toHaveLength(4);
  });

  it("is trusted through Docker's certs.d, as docker itself would trust it", async () => {
    const dir = path.join(CERTS_D, secure.address);
    await mkdir(dir, { recursive: true });
    await copyFile(secure.ca, path.join(dir, 'ca.crt'));
    try {
      const ok = await push(secure.address);
      expect(ok.exitCode, ok.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is pushed to unchecked only when marked insecure, with a warning', async () => {
    const r = await mab([
      'push',
      'http-endpoint-c:1.0.0',
      `${secure.address}/mabtest/tls-insecure:1.0.0`,
      '--store',
      store,
      '--insecure-registry',
      secure.address,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: registry ${secure.address} is marked insecure`);
  });

  it('a file that is not a certificate is named', async () => {
    const bad = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-tls-bad-')), 'ca.pem');
    await writeFile(bad, 'not a certificate\n');
    const r = await push(secure.address, ['--ca-cert', bad]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${bad} (--ca-cert) holds no PEM certificate`);
  });
});

describe('a registry that speaks plain HTTP on a network address', () => {
  it('is refused unless marked insecure; then mab falls back to HTTP', async () => {
    const refused = await push(plain.address);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`registry ${plain.address} does not speak HTTPS`);
    expect(refused.stderr).toContain(`--insecure-registry ${plain.address}`);
    const ok = await push(plain.address, ['--insecure-registry', plain.address]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const { reference } = JSON.parse(ok.stdout) as { reference: string };
    const index = JSON.parse(
      await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reference}:1.0.0`]),
    ) as Index;
    // Both images, and the attestation manifest of each.
    expect(imageEntries(index)).toHaveLength(2);
    expect(index.manifests).toHaveLength(4);
  });
});
