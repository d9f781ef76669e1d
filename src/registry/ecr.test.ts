/**
 * ECR through the real AWS SDK (credential chain, SigV4 signing, awsJson protocol) against a
 * loopback stand-in for the ECR API (test/fixtures/ecr-api.ts): AWS cannot be reached from CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEcrApi, type FakeEcr } from '../../test/fixtures/ecr-api.js';
import { ecrCredentials, ecrTarget, ensureEcrRepository } from './ecr.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
let api: FakeEcr;
const saved = { ...process.env };

beforeAll(async () => {
  api = await fakeEcrApi({ accessKeyId: 'AKIAMABTEST', token: { user: 'AWS', password: 'ecr-token-123' } });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAMABTEST',
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});
afterAll(() => {
  api.close();
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_EC2_METADATA_DISABLED'])
    if (saved[k] === undefined) delete process.env[k];
});

describe('ECR', () => {
  it('recognizes ECR registry hosts and their region and account', () => {
    expect(ecrTarget('123456789012.dkr.ecr.eu-west-1.amazonaws.com', {})).toEqual({
      registryId: '123456789012',
      region: 'eu-west-1',
    });
    expect(ecrTarget('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', {})?.region).toBe('us-gov-west-1');
    expect(ecrTarget('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', { MAB_ECR_ENDPOINT: 'http://x' })).toEqual({
      registryId: '123456789012',
      region: 'cn-north-1',
      endpoint: 'http://x',
    });
    expect(ecrTarget('registry.example.com', {})).toBeUndefined();
    expect(ecrTarget('public.ecr.aws', {})).toBeUndefined();
  });

  it("gets the registry password with GetAuthorizationToken, signed with the chain's credentials, and keeps it until expiry", async () => {
    const t = { region: 'eu-west-1', endpoint: api.endpoint };
    expect(await ecrCredentials(t)).toEqual({ username: 'AWS', password: 'ecr-token-123' });
    expect(await ecrCredentials(t)).toEqual({ username: 'AWS', password: 'ecr-token-123' });
    expect(api.calls.filter((c) => c === 'GetAuthorizationToken')).toHaveLength(1);
    // Past its expiry (12 h, renewed 5 min early) it asks again.
    await ecrCredentials(t, Date.now() + 12 * 3600_000);
    expect(api.calls.filter((c) => c === 'GetAuthorizationToken')).toHaveLength(2);
  });

  it('creates a missing repository once, and takes "already exists" as done', async () => {
    const t = { region: 'eu-west-1', endpoint: api.endpoint };
    expect(await ensureEcrRepository(t, 'edge/sysbench')).toBe('created');
    expect(await ensureEcrRepository(t, 'edge/sysbench')).toBe('exists');
    expect([...api.repositories]).toEqual(['edge/sysbench']);
  });

  it('names the AWS error and what to check, never the secret key', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAWRONG';
    const err = await ecrCredentials({ region: 'us-east-2', endpoint: api.endpoint }).catch(
      (e: Error & { hint?: string }) => e,
    );
    process.env.AWS_ACCESS_KEY_ID = 'AKIAMABTEST';
    expect(err.message).toBe('ecr:GetAuthorizationToken in us-east-2 failed: UnrecognizedClientException');
    expect(err.hint).toMatch(/check the AWS credentials mab finds/);
    expect(`${err.message} ${err.hint}`).not.toContain(SECRET);
  });
});
