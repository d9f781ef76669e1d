import { describe, expect, it } from 'vitest';
import { MabError } from '../errors.js';
import { parseReference } from '../ref/reference.js';
import { explainAccess, RegistryError, registryError } from './errors.js';

const ref = parseReference('r.example:5000/edge/sysbench:1.0');
const answer = (status: number, codes: string[]) =>
  new RegistryError('GET', 'https://r.example:5000/v2/edge/sysbench/manifests/1.0', status, codes, 'x');

describe('explainAccess', () => {
  it('names the reference and the fix for a missing repository, a missing tag and refused access', () => {
    const unknownRepo = explainAccess(answer(404, ['NAME_UNKNOWN']), ref, 'pull') as MabError;
    expect([unknownRepo.code, unknownRepo.message]).toEqual([
      'E_NOT_FOUND',
      'r.example:5000/edge/sysbench:1.0: the registry has no repository edge/sysbench (NAME_UNKNOWN)',
    ]);
    const unknownTag = explainAccess(answer(404, ['MANIFEST_UNKNOWN']), ref, 'pull') as MabError;
    expect(unknownTag.format()).toBe(
      'r.example:5000/edge/sysbench:1.0: no such tag or digest in the repository (MANIFEST_UNKNOWN)\n  fix: mab ls r.example:5000/edge/sysbench lists its tags',
    );
    for (const e of [answer(401, ['UNAUTHORIZED']), answer(403, ['DENIED']), new MabError('E_AUTH_DENIED', 'no')]) {
      const denied = explainAccess(e, ref, 'push') as MabError;
      expect(denied.code).toBe('E_AUTH_DENIED');
      expect(denied.message).toMatch(/^r\.example:5000\/edge\/sysbench:1\.0: the registry refused to let mab push \(/);
      expect(denied.hint).toMatch(/^docker login r\.example:5000 as a user that may push edge\/sysbench/);
    }
  });

  it('passes anything else through as it is', () => {
    for (const e of [answer(500, []), answer(404, ['BLOB_UNKNOWN']), new Error('bug')])
      expect(explainAccess(e, ref, 'pull')).toBe(e);
  });
});

describe('registryError', () => {
  it("tells a refused token by the challenge's error when the answer has no body (HEAD)", async () => {
    const res = new Response(null, {
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="http://t/token",service="r",error="invalid_token"' },
    });
    const e = await registryError('HEAD', 'http://r/v2/a/manifests/v1', res);
    expect(e.message).toBe('HEAD http://r/v2/a/manifests/v1 → 401: invalid_token');
  });
});
