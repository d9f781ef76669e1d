/**
 * Registry authentication, as docker does it: a request answered 401 carries a WWW-Authenticate
 * challenge; `Basic` wants the credentials on every request, `Bearer` wants a token from the
 * challenge's realm (asked for with the credentials, or anonymously) for the challenge's scope.
 * Credentials come from the caller, else from docker's config (~/.docker/config.json:
 * credHelpers, credsStore, auths). Nothing here logs or returns a secret in an error message.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import { isLoopback } from './tls.js';
import type { Challenge } from './challenge.js';
import { redactUrl } from './errors.js';

export interface Credentials {
  username: string;
  password: string;
}

/** The keys docker's config may file a registry under. */
function configKeys(registry: string): string[] {
  if (registry === 'docker.io' || registry === 'registry-1.docker.io' || registry === 'index.docker.io') {
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  }
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`];
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Asks docker-credential-HELPER for the registry's credentials (undefined when it has none). */
async function fromHelper(helper: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper))
    throw new MabError(
      'E_AUTH_CONFIG',
      `docker config names credential helper "${helper}", which is not a plain program name`,
    );
  const r = await execa(`docker-credential-${helper}`, ['get'], { input: registry, env, reject: false }).catch(
    (e: Error) => ({ exitCode: 127, stdout: '', stderr: e.message }),
  );
  if (r.exitCode !== 0) {
    // Helpers say "credentials not found in native keychain" for an unknown registry.
    if (/not found/i.test(String(r.stdout) + String(r.stderr))) return undefined;
    throw new MabError(
      'E_AUTH_HELPER',
      `docker-credential-${helper} failed for ${registry} (exit ${r.exitCode})`,
      `check that docker-credential-${helper} is installed and works: echo ${registry} | docker-credential-${helper} get`,
    );
  }
  const out = JSON.parse(String(r.stdout)) as { Username?: string; Secret?: string };
  return out.Secret ? { username: out.Username ?? '', password: out.Secret } : undefined;
}

/** Credentials docker would use for the registry, from its config file and helpers. */
export async function dockerCredentials(registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  const file = path.join(dir, 'config.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch {
    throw new MabError('E_AUTH_CONFIG', `${file} is not valid JSON`, 'fix it, or log in again with docker login');
  }
  const keys = configKeys(registry);
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean);
  if (helper) return fromHelper(helper, registry, env);
  for (const k of keys) {
    const a = config.auths?.[k];
    if (!a) continue;
    if (a.auth) {
      const decoded = Buffer.from(a.auth, 'base64').toString();
      const colon = decoded.indexOf(':');
      if (colon < 0)
        throw new MabError(
          'E_AUTH_CONFIG',
          `${file}: the "auth" entry for ${k} is not base64 of USER:PASSWORD`,
          'log in again with docker login',
        );
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (a.identitytoken) return { username: '<token>', password: a.identitytoken };
    if (a.username && a.password) return { username: a.username, password: a.password };
  }
  if (config.credsStore) return fromHelper(config.credsStore, registry, env);
  return undefined;
}

export const basicHeader = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/** A bearer token for the challenge's realm, service and scope. */
export async function fetchToken(
  ch: Challenge,
  creds: Credentials | undefined,
  registry: string,
  dispatcher?: object,
): Promise<{ token: string; expiresAt: number }> {
  const realm = ch.params.realm;
  if (!realm)
    throw new MabError(
      'E_AUTH',
      `registry ${registry} asked for a bearer token without saying where to get it (no realm)`,
    );
  const url = new URL(realm);
  if (url.protocol !== 'https:' && !isLoopback(url.hostname)) {
    throw new MabError(
      'E_AUTH',
      `registry ${registry} sends credentials to a token server over plain HTTP (${redactUrl(realm)})`,
      'refused: the password would cross the network unencrypted',
    );
  }
  if (ch.params.service) url.searchParams.set('service', ch.params.service);
  for (const s of (ch.params.scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', s);
  let res: Response;
  try {
    // The registry's own trust settings (a token server on the registry's host has its certificate).
    res = await fetch(url, {
      headers: creds ? { Authorization: basicHeader(creds) } : {},
      ...({ dispatcher } as object),
    });
  } catch (e) {
    throw new MabError(
      'E_AUTH',
      `cannot reach the token server of ${registry} (${redactUrl(realm)}): ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`,
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new MabError(
      'E_AUTH_DENIED',
      `the token server of ${registry} refused ${creds ? `user "${creds.username}"` : 'anonymous access'} (${res.status})`,
      creds
        ? 'check the user name and password (docker login, or --username with --password-stdin)'
        : 'this registry needs credentials: docker login, or --username with --password-stdin',
    );
  }
  if (!res.ok)
    throw new MabError('E_AUTH', `the token server of ${registry} answered ${res.status} (${redactUrl(realm)})`);
  const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
  const token = body.token ?? body.access_token;
  if (!token) throw new MabError('E_AUTH', `the token server of ${registry} returned no token`);
  // The spec's default lifetime is 60 s; renew a little early.
  return { token, expiresAt: Date.now() + Math.max((body.expires_in ?? 60) - 10, 5) * 1000 };
}
