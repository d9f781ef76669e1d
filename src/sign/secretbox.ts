/**
 * NaCl's secretbox (XSalsa20 + Poly1305), the cipher cosign's encrypted private keys use
 * (https://nacl.cr.yp.to/secretbox.html; Salsa20 and XSalsa20 as Bernstein specifies them in
 * "The Salsa20 family of stream ciphers" and "Extending the Salsa20 nonce"; Poly1305 per RFC 8439
 * section 2.5). Node's crypto has neither XSalsa20 nor a bare Poly1305, so they are written here.
 * It only ever seals or opens a key file on the signer's own machine: no secret crosses a network,
 * so the BigInt arithmetic not running in constant time matters little.
 */

import { timingSafeEqual } from 'node:crypto';

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]; // "expand 32-byte k"

const rotl = (v: number, n: number) => (v << n) | (v >>> (32 - n));

/** The 20 rounds of Salsa20 over a 16-word state, in place. */
function rounds(x: Uint32Array): void {
  const qr = (a: number, b: number, c: number, d: number) => {
    x[b]! ^= rotl((x[a]! + x[d]!) | 0, 7);
    x[c]! ^= rotl((x[b]! + x[a]!) | 0, 9);
    x[d]! ^= rotl((x[c]! + x[b]!) | 0, 13);
    x[a]! ^= rotl((x[d]! + x[c]!) | 0, 18);
  };
  for (let i = 0; i < 10; i++) {
    // A column round, then a row round.
    (qr(0, 4, 8, 12), qr(5, 9, 13, 1), qr(10, 14, 2, 6), qr(15, 3, 7, 11));
    (qr(0, 1, 2, 3), qr(5, 6, 7, 4), qr(10, 11, 8, 9), qr(15, 12, 13, 14));
  }
}

/** The Salsa20 state for a 32-byte key and 16 bytes of nonce and counter. */
function state(key: Uint8Array, input: Uint8Array): Uint32Array {
  const k = Buffer.from(key);
  const n = Buffer.from(input);
  const s = new Uint32Array(16);
  for (let i = 0; i < 4; i++) {
    s[5 * i] = SIGMA[i]!;
    s[1 + i] = k.readUInt32LE(4 * i);
    s[11 + i] = k.readUInt32LE(16 + 4 * i);
    s[6 + i] = n.readUInt32LE(4 * i);
  }
  return s;
}

/** HSalsa20: a subkey from a key and the first 16 bytes of an XSalsa20 nonce. */
export function hsalsa20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  const x = state(key, nonce16);
  rounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => out.writeUInt32LE(x[w]!, 4 * i));
  return out;
}

/** `length` bytes of XSalsa20's key stream, counting blocks from 0. */
function xsalsa20Stream(key: Uint8Array, nonce: Uint8Array, length: number): Buffer {
  const sub = hsalsa20(key, nonce.subarray(0, 16));
  const input = Buffer.alloc(16);
  Buffer.from(nonce.subarray(16, 24)).copy(input);
  const out = Buffer.alloc(Math.ceil(length / 64) * 64);
  for (let block = 0; block * 64 < length; block++) {
    input.writeUInt32LE(block, 8); // the 64-bit block counter; a key file needs far fewer than 2^32 blocks
    const s = state(sub, input);
    const x = s.slice();
    rounds(x);
    for (let i = 0; i < 16; i++) out.writeUInt32LE((x[i]! + s[i]!) >>> 0, block * 64 + 4 * i);
  }
  return out.subarray(0, length);
}

const le = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));

/** Poly1305's 16-byte tag of msg under a one-time 32-byte key. */
export function poly1305(key: Uint8Array, msg: Uint8Array): Buffer {
  const p = (1n << 130n) - 5n;
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = le(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, i + 16);
    acc = ((acc + le(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  const tag = (acc + s) & ((1n << 128n) - 1n);
  return Buffer.from(tag.toString(16).padStart(32, '0'), 'hex').reverse();
}

/** secretbox's seal: the 16-byte tag, then the ciphertext (NaCl's "box" without its zero padding). */
export function seal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer {
  const stream = xsalsa20Stream(key, nonce, 32 + message.length);
  const c = Buffer.from(message.map((b, i) => b ^ stream[32 + i]!));
  return Buffer.concat([poly1305(stream.subarray(0, 32), c), c]);
}

/** secretbox's open: the message, or undefined when the tag does not match (wrong key, or altered). */
export function open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer | undefined {
  if (box.length < 16) return undefined;
  const c = box.subarray(16);
  const stream = xsalsa20Stream(key, nonce, 32 + c.length);
  const tag = poly1305(stream.subarray(0, 32), c);
  if (!timingSafeEqual(tag, box.subarray(0, 16))) return undefined;
  return Buffer.from(c.map((b, i) => b ^ stream[32 + i]!));
}
