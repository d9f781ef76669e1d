import { createHash } from 'node:crypto';
import { MabError } from '../errors.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(data: string | Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function assertDigest(d: string, what: string): string {
  if (!DIGEST_RE.test(d))
    throw new MabError('E_DIGEST', `${what}: "${d}" is not a sha256 digest`, 'expected sha256:<64 hex digits>');
  return d;
}

/** The hex part of sha256:HEX, as in-toto subjects and SPDX checksums write a digest. */
export function digestHex(d: string): string {
  return d.replace(/^sha256:/, '');
}

export function isDigest(d: string): boolean {
  return DIGEST_RE.test(d);
}

/** Canonical JSON bytes for a manifest we create: stable key order as written, no spaces. */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
