import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../oci/digest.js';
import { MediaType } from '../oci/types.js';
import { ATTESTATION, PUB_FILE } from '../../test/fixtures/cosign/made-by-cosign.js';
import { envelopeBytes, parseEnvelope, pae, signEnvelope, verifyEnvelope, type Envelope } from './dsse.js';
import { readPublicKey } from './keys.js';
import { attestationLayer, appendLayer, attestationTag } from './sig-manifest.js';

/** A big decimal as the 32 bytes of a P-256 coordinate, base64url, for a JWK. */
const coordinate = (decimal: string) =>
  Buffer.from(BigInt(decimal).toString(16).padStart(64, '0'), 'hex').toString('base64url');

describe('PAE', () => {
  it("is the DSSE protocol's test vector, and its published signature verifies over it", () => {
    const encoded = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    expect(encoded.toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    // protocol.md's key and signature (raw r||s, P-256, SHA-256): the bytes signed are these.
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: coordinate('46950820868899156662930047687818585632848591499744589407958293238635476079160'),
        y: coordinate('5640078356564379163099075877009565129882514886557779369047442380624545832820'),
      },
      format: 'jwk',
    });
    const sig = Buffer.from(
      'A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==',
      'base64',
    );
    expect(verify('sha256', encoded, { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(verify('sha256', Buffer.from('hello world'), { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
  });

  it('counts bytes, not characters', () => {
    expect(pae('type/é', Buffer.from('ü')).toString()).toBe('DSSEv1 7 type/é 2 ü');
    expect(pae('t', Buffer.alloc(0)).toString()).toBe('DSSEv1 1 t 0 ');
  });
});

describe('the envelope', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const body = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}');

  it('round-trips: signed with the private key, its payload verifies with the public one', () => {
    const e = signEnvelope(privateKey, body);
    expect(e.payloadType).toBe('application/vnd.in-toto+json');
    expect(Buffer.from(e.payload, 'base64').equals(body)).toBe(true);
    expect(e.signatures).toHaveLength(1);
    expect(e.signatures[0]!.keyid).toBe('');
    const read = parseEnvelope(envelopeBytes(e))!;
    expect(Object.keys(read)).toEqual(['payloadType', 'payload', 'signatures']);
    expect(verifyEnvelope(publicKey, read)?.equals(body)).toBe(true);
    // URL-safe base64, which a verifier must accept too.
    const urlSafe = { ...e, payload: body.toString('base64url') };
    expect(verifyEnvelope(publicKey, urlSafe)?.equals(body)).toBe(true);
  });

  it('fails for a tampered payload, another payload type, or another key', () => {
    const e = signEnvelope(privateKey, body);
    const tampered: Envelope = { ...e, payload: Buffer.from(body.toString().replace('[]', '[{}]')).toString('base64') };
    expect(verifyEnvelope(publicKey, tampered)).toBeUndefined();
    expect(verifyEnvelope(publicKey, { ...e, payloadType: 'application/json' })).toBeUndefined();
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(verifyEnvelope(other, e)).toBeUndefined();
    expect(verifyEnvelope(publicKey, { ...e, signatures: [] })).toBeUndefined();
    expect(parseEnvelope(Buffer.from('{"payload":1}'))).toBeUndefined();
    expect(parseEnvelope(Buffer.from('not json'))).toBeUndefined();
  });

  it('reads and verifies the envelope cosign attest wrote, and writes it back byte for byte', async () => {
    const stored = Buffer.from(ATTESTATION.envelope);
    const e = parseEnvelope(stored)!;
    const statement = verifyEnvelope(await readPublicKey(PUB_FILE), e);
    expect(JSON.parse(statement!.toString())).toMatchObject({
      predicateType: 'https://spdx.dev/Document',
      subject: [{ digest: { sha256: ATTESTATION.digest.slice(7) } }],
    });
    expect(envelopeBytes(e).equals(stored)).toBe(true);
  });
});

describe('the sha256-HEX.att manifest', () => {
  it("is tagged, laid out and configured as cosign's", () => {
    expect(attestationTag(ATTESTATION.digest)).toBe(`sha256-${ATTESTATION.digest.slice(7)}.att`);
    const set = appendLayer(
      undefined,
      attestationLayer(Buffer.from(ATTESTATION.envelope), 'https://spdx.dev/Document'),
    );
    expect(set.manifest.mediaType).toBe(MediaType.OciManifest);
    expect(set.manifest.layers).toEqual([ATTESTATION.layer]);
    expect({ digest: set.manifest.config.digest, size: set.manifest.config.size }).toEqual(ATTESTATION.config);
    expect(set.blobs.map((b) => sha256Digest(b.bytes))).toEqual([ATTESTATION.config.digest, ATTESTATION.layer.digest]);
  });
});
