/**
 * DSSE, the Dead Simple Signing Envelope (github.com/secure-systems-lab/dsse, envelope.md and
 * protocol.md), in which cosign signs in-toto statements: the signature covers PAE(payloadType,
 * payload), not the payload alone, so a statement cannot be passed off as another type of message.
 * The envelope carries the payload in base64, and one signature per signer; cosign writes one, with
 * an empty keyid (a hint only, never trusted), and so does mab. Signatures are keys.ts's: ECDSA
 * P-256 with SHA-256, ASN.1 DER.
 */
import type { KeyObject } from 'node:crypto';
import { IN_TOTO_MEDIA_TYPE } from '../oci/attestation.js';
import { signPayload, verifyPayload } from './keys.js';

export interface Signature {
  keyid: string;
  sig: string;
}

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: Signature[];
}

/** The Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in bytes. */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

/** body signed with key, in an envelope of payloadType (an in-toto statement unless told). */
export function signEnvelope(key: KeyObject, body: Buffer, payloadType = IN_TOTO_MEDIA_TYPE): Envelope {
  return {
    payloadType,
    payload: body.toString('base64'),
    signatures: [{ keyid: '', sig: signPayload(key, pae(payloadType, body)) }],
  };
}

/**
 * The payload of an envelope one of whose signatures is key's, else undefined. Node's base64
 * decoder reads the standard and the URL-safe alphabet, which the protocol says a verifier must.
 */
export function verifyEnvelope(key: KeyObject, envelope: Envelope): Buffer | undefined {
  if (typeof envelope?.payloadType !== 'string' || typeof envelope.payload !== 'string') return undefined;
  const body = Buffer.from(envelope.payload, 'base64');
  const signed = pae(envelope.payloadType, body);
  const ok = (envelope.signatures ?? []).some((s) => typeof s?.sig === 'string' && verifyPayload(key, signed, s.sig));
  return ok ? body : undefined;
}

/** The envelope in bytes, keys in the order cosign writes them. */
export function envelopeBytes(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/** An envelope read from bytes; undefined when they are not one. */
export function parseEnvelope(bytes: Buffer): Envelope | undefined {
  try {
    const e = JSON.parse(bytes.toString('utf8')) as Envelope;
    return typeof e?.payloadType === 'string' && typeof e.payload === 'string' && Array.isArray(e.signatures)
      ? e
      : undefined;
  } catch {
    return undefined;
  }
}
