/**
 * AWS ECR: its registries take Basic auth with user "AWS" and a password that
 * GetAuthorizationToken returns (valid 12 hours), asked for with the SDK's default credential
 * chain (environment, shared config and credentials files, SSO, container and instance roles).
 * The token is kept until shortly before its expiresAt. ECR also rejects pushes to a repository
 * that does not exist, so publishing can create it first (CreateRepository).
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import { MabError } from '../errors.js';
import type { Credentials } from './auth.js';

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

export interface EcrTarget {
  region: string;
  /** The account that owns the registry. */
  registryId?: string;
  /** API endpoint override (a VPC endpoint, or a local one in tests). */
  endpoint?: string;
}

/** The ECR region and account of a registry host, or undefined for other registries. */
export function ecrTarget(registry: string, env: NodeJS.ProcessEnv = process.env): EcrTarget | undefined {
  const m = ECR_HOST.exec(registry.replace(/:\d+$/, ''));
  if (!m) return undefined;
  return { registryId: m[1]!, region: m[2]!, ...(env.MAB_ECR_ENDPOINT ? { endpoint: env.MAB_ECR_ENDPOINT } : {}) };
}

const cache = new Map<string, { creds: Credentials; expiresAt: number }>();

// The SDK is large (~0.1 s to load): only a registry that is ECR loads it.
const sdk = () => import('@aws-sdk/client-ecr');

async function client(t: EcrTarget): Promise<ECRClient> {
  const { ECRClient } = await sdk();
  return new ECRClient({ region: t.region, ...(t.endpoint ? { endpoint: t.endpoint } : {}) });
}

/** Why an SDK call failed, without anything that could be a secret. */
function explain(e: unknown, what: string, t: EcrTarget): MabError {
  const name = (e as { name?: string }).name ?? 'Error';
  const hint = /Credential|UnrecognizedClient|InvalidSignature|ExpiredToken|AccessDenied/i.test(name)
    ? 'check the AWS credentials mab finds (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws, an instance role) and that they may call ' +
      what
    : undefined;
  return new MabError('E_ECR', `${what} in ${t.region} failed: ${name}`, hint);
}

export async function ecrCredentials(t: EcrTarget, now = Date.now()): Promise<Credentials> {
  const key = `${t.region}/${t.registryId ?? ''}/${t.endpoint ?? ''}`;
  const hit = cache.get(key);
  if (hit && hit.expiresAt > now) return hit.creds;
  let out;
  try {
    const { GetAuthorizationTokenCommand } = await sdk();
    out = await (await client(t)).send(new GetAuthorizationTokenCommand({}));
  } catch (e) {
    throw explain(e, 'ecr:GetAuthorizationToken', t);
  }
  const data = out.authorizationData?.[0];
  const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new MabError('E_ECR', `ecr:GetAuthorizationToken in ${t.region} returned no usable token`);
  const creds = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  // Renew five minutes early: a push of a large image can outlast a token asked for at its end.
  const expiresAt = (data?.expiresAt?.getTime() ?? now + 3600_000) - 300_000;
  cache.set(key, { creds, expiresAt });
  return creds;
}

/** Creates the repository unless it exists (ECR rejects pushes to a missing one). */
export async function ensureEcrRepository(t: EcrTarget, repository: string): Promise<'created' | 'exists'> {
  const { CreateRepositoryCommand } = await sdk();
  try {
    await (
      await client(t)
    ).send(
      new CreateRepositoryCommand({
        repositoryName: repository,
        ...(t.registryId ? { registryId: t.registryId } : {}),
      }),
    );
    return 'created';
  } catch (e) {
    if ((e as { name?: string }).name === 'RepositoryAlreadyExistsException') return 'exists';
    throw explain(e, 'ecr:CreateRepository', t);
  }
}
