/**
 * cosign's encrypted private key: a PEM block "ENCRYPTED SIGSTORE PRIVATE KEY" (older cosign:
 * "ENCRYPTED COSIGN PRIVATE KEY") around a JSON envelope whose key is derived from the password
 * with scrypt and whose PKCS#8 private key is sealed with NaCl's secretbox:
 *   {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":B64},
 *    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
 * (the envelope of secure-systems-lab/go-securesystemslib's `encrypted` package, which cosign uses).
 * Reading and writing it lets one key pair serve `cosign sign --key` and `mab sign --key` alike.
 */
import { randomBytes, scrypt } from 'node:crypto';
import { open, seal } from './secretbox.js';

export const COSIGN_KEY_TYPES = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'];

/** The scrypt costs go-securesystemslib accepts (legacy, standard, OWASP); cosign 2.5 writes standard. */
const SCRYPT_N = [32768, 65536, 131072];
const WRITE_N = 65536;

interface Envelope {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

function deriveKey(password: string, salt: Buffer, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    // scrypt needs 128·N·r bytes: 64 MiB at N=2^16, more than Node's 32 MiB default allows.
    scrypt(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 }, (e, k) =>
      e ? reject(e) : resolve(k),
    ),
  );
}

/** The envelope's bytes (the PEM body) sealing a PKCS#8 DER private key under password. */
export async function encryptCosignKey(pkcs8: Buffer, password: string): Promise<Buffer> {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const envelope: Envelope = {
    kdf: { name: 'scrypt', params: { N: WRITE_N, r: 8, p: 1 }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: seal(pkcs8, nonce, await deriveKey(password, salt, WRITE_N)).toString('base64'),
  };
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * The PKCS#8 DER key an envelope seals; 'password' when the password does not open it, or a
 * sentence saying what in the envelope mab cannot read.
 */
export async function decryptCosignKey(body: Buffer, password: string): Promise<Buffer | 'password' | string> {
  let e: Envelope;
  try {
    e = JSON.parse(body.toString('utf8')) as Envelope;
  } catch {
    return 'its body is not the JSON envelope cosign writes';
  }
  const { N, r, p } = e.kdf?.params ?? {};
  if (e.kdf?.name !== 'scrypt' || e.cipher?.name !== 'nacl/secretbox')
    return `it is sealed with ${e.kdf?.name}/${e.cipher?.name}, not scrypt/nacl/secretbox`;
  if (!SCRYPT_N.includes(N) || r !== 8 || p !== 1) return `its scrypt parameters N=${N} r=${r} p=${p} are not cosign's`;
  const nonce = Buffer.from(e.cipher.nonce ?? '', 'base64');
  if (nonce.length !== 24) return `its nonce has ${nonce.length} bytes, not 24`;
  const key = await deriveKey(password, Buffer.from(e.kdf.salt ?? '', 'base64'), N);
  return open(Buffer.from(e.ciphertext ?? '', 'base64'), nonce, key) ?? 'password';
}
