import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MabError } from '../errors.js';
import {
  DIGEST,
  KEY_FILE,
  PASSWORD,
  PUB_FILE,
  REPOSITORY,
  SIGNATURES,
} from '../../test/fixtures/cosign/made-by-cosign.js';
import { generateKeyFiles, publicKeyPem, readPrivateKey, readPublicKey, signPayload, verifyPayload } from './keys.js';
import { signingPayload } from './payload.js';

const env = (password?: string) => (password === undefined ? {} : { COSIGN_PASSWORD: password });
const tmp = () => mkdtemp(path.join(os.tmpdir(), 'mab-keys-'));

async function refusal(p: Promise<unknown>): Promise<MabError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MabError);
  return e as MabError;
}

describe("cosign's own key files", () => {
  it("opens cosign's encrypted private key with its password: its public half is cosign.pub", async () => {
    const key = await readPrivateKey(KEY_FILE, env(PASSWORD));
    expect(publicKeyPem(key)).toBe(await readFile(PUB_FILE, 'utf8'));
  });

  it('verifies signatures cosign made, over the payload cosign signed; refuses them over another', async () => {
    const pub = await readPublicKey(PUB_FILE);
    const [first, second] = SIGNATURES;
    expect(verifyPayload(pub, signingPayload(REPOSITORY, DIGEST), first!.signature)).toBe(true);
    expect(verifyPayload(pub, signingPayload(REPOSITORY, DIGEST, second!.optional), second!.signature)).toBe(true);
    expect(verifyPayload(pub, signingPayload(REPOSITORY, DIGEST), second!.signature)).toBe(false);
  });

  it('refuses a wrong or missing password without printing either', async () => {
    const wrong = await refusal(readPrivateKey(KEY_FILE, env('not-it')));
    expect([wrong.code, wrong.message]).toEqual([
      'E_KEY_PASSWORD',
      `the password in COSIGN_PASSWORD does not open ${KEY_FILE}`,
    ]);
    expect(wrong.format()).not.toContain('not-it');
    const missing = await refusal(readPrivateKey(KEY_FILE, env()));
    expect(missing.message).toBe(`${KEY_FILE} is encrypted and COSIGN_PASSWORD is not set`);
  });

  it('refuses an envelope whose sealed bytes were altered', async () => {
    const text = await readFile(KEY_FILE, 'utf8');
    const body = text.split('\n').slice(1, -2).join('');
    const envelope = JSON.parse(Buffer.from(body, 'base64').toString()) as { ciphertext: string };
    const c = Buffer.from(envelope.ciphertext, 'base64');
    c[40]! ^= 1;
    envelope.ciphertext = c.toString('base64');
    const file = path.join(await tmp(), 'altered.key');
    await writeFile(
      file,
      `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(envelope)).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`,
    );
    expect((await refusal(readPrivateKey(file, env(PASSWORD)))).code).toBe('E_KEY_PASSWORD');
  });
});

describe('mab key pairs', () => {
  it('sign and verify a payload; a changed payload or another key is refused', async () => {
    const prefix = path.join(await tmp(), 'signer');
    const files = await generateKeyFiles(prefix, 'correct horse');
    expect(files).toEqual({ privateFile: `${prefix}.key`, publicFile: `${prefix}.pub` });
    expect((await stat(files.privateFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(files.privateFile, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const key = await readPrivateKey(files.privateFile, env('correct horse'));
    const pub = await readPublicKey(files.publicFile);
    const payload = signingPayload(REPOSITORY, DIGEST);
    const signature = signPayload(key, payload);
    expect(verifyPayload(pub, payload, signature)).toBe(true);
    const tampered = Buffer.from(payload.toString().replace(DIGEST.slice(-4), 'ffff'));
    expect(verifyPayload(pub, tampered, signature)).toBe(false);
    expect(verifyPayload(await readPublicKey(PUB_FILE), payload, signature)).toBe(false);
    expect(verifyPayload(pub, payload, 'not base64 DER')).toBe(false);
  });

  it('are written unencrypted only when asked (no password), as plain PKCS#8', async () => {
    const prefix = path.join(await tmp(), 'plain');
    await generateKeyFiles(prefix, undefined);
    expect(await readFile(`${prefix}.key`, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = await readPrivateKey(`${prefix}.key`, env());
    expect(publicKeyPem(key)).toBe(await readFile(`${prefix}.pub`, 'utf8'));
  });

  it('never overwrite a key, unless forced', async () => {
    const prefix = path.join(await tmp(), 'k');
    await generateKeyFiles(prefix, 'pw');
    const before = await readFile(`${prefix}.pub`, 'utf8');
    const e = await refusal(generateKeyFiles(prefix, 'pw'));
    expect(e.message).toBe(`${prefix}.key exists; mab does not overwrite a key`);
    expect(await readFile(`${prefix}.pub`, 'utf8')).toBe(before);
    await generateKeyFiles(prefix, 'pw', true);
    expect(await readFile(`${prefix}.pub`, 'utf8')).not.toBe(before);
  });
});

describe('other key files', () => {
  it('reads encrypted PKCS#8 and SEC1 keys; refuses a P-384 key and a public key given as private', async () => {
    const dir = await tmp();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const enc = path.join(dir, 'enc.pem');
    await writeFile(
      enc,
      privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString(),
    );
    expect(publicKeyPem(await readPrivateKey(enc, env('pw')))).toBe(publicKeyPem(publicKey));
    expect((await refusal(readPrivateKey(enc, env('nope')))).code).toBe('E_KEY_PASSWORD');
    const sec1 = path.join(dir, 'sec1.pem');
    await writeFile(sec1, privateKey.export({ type: 'sec1', format: 'pem' }).toString());
    expect(publicKeyPem(await readPrivateKey(sec1, env()))).toBe(publicKeyPem(publicKey));
    const p384 = path.join(dir, 'p384.pem');
    const big = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    await writeFile(p384, big.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect((await refusal(readPrivateKey(p384, env()))).message).toBe(
      `${p384} is a ec secp384r1 key; mab signs with ECDSA P-256 keys only`,
    );
    expect((await refusal(readPrivateKey(PUB_FILE, env()))).message).toBe(
      `${PUB_FILE} holds a "PUBLIC KEY", not a private key`,
    );
    expect((await refusal(readPublicKey(KEY_FILE))).code).toBe('E_KEY');
    expect((await refusal(readPublicKey(path.join(dir, 'missing.pub')))).message).toMatch(/ENOENT/);
  });
});
