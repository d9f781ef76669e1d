/**
 * How mab reaches a registry: HTTPS, verified against the system's CAs plus any CA given with
 * --ca-cert or installed where Docker looks for one (/etc/docker/certs.d/HOST:PORT/*.crt, so a
 * registry docker trusts, mab trusts). Plain HTTP only for a loopback registry with no such CA,
 * or for one named with --insecure-registry: that one gets HTTPS without verification, and plain
 * HTTP when it does not speak TLS at all (Docker's rule for insecure registries).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { MabError } from '../errors.js';

export interface RegistryTls {
  /** Extra CAs (PEM) to trust for this registry, beside the system's. */
  ca?: string[];
  /** Named with --insecure-registry: no certificate check, plain HTTP allowed. */
  insecure?: boolean;
}

export const CERTS_D = '/etc/docker/certs.d';

export const isLoopback = (registry: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(registry);

/** The trust settings for one registry, from --ca-cert files, Docker's certs.d and --insecure-registry. */
export async function registryTls(
  registry: string,
  o: { caFiles?: string[]; insecure?: string[]; certsDir?: string },
): Promise<RegistryTls> {
  const host = registry.replace(/:\d+$/, '');
  const insecure = (o.insecure ?? []).some((r) => r === registry || r === host);
  const ca: string[] = [];
  for (const file of o.caFiles ?? []) ca.push(await pem(file, '--ca-cert'));
  const dir = path.join(o.certsDir ?? CERTS_D, registry);
  const installed = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.crt')).sort();
  for (const f of installed) ca.push(await pem(path.join(dir, f), dir));
  return { ...(ca.length ? { ca } : {}), ...(insecure ? { insecure } : {}) };
}

async function pem(file: string, from: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new MabError(
      'E_USAGE',
      `cannot read the CA certificate ${file} (${from}): ${e.code ?? e.message}`,
      "give a PEM file holding the registry's CA certificate",
    );
  });
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new MabError(
      'E_USAGE',
      `${file} (${from}) holds no PEM certificate`,
      'give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)',
    );
  return text;
}

/** The scheme a registry is first tried with. */
export function schemeFor(registry: string, tls: RegistryTls): 'http' | 'https' {
  return isLoopback(registry) && !tls.ca && !tls.insecure ? 'http' : 'https';
}

/**
 * A connection pool that trusts the given CAs, or checks nothing; none for the defaults. undici
 * (~0.1 s to load) is loaded only then.
 */
export async function dispatcherFor(tls: RegistryTls): Promise<Dispatcher | undefined> {
  if (!tls.insecure && !tls.ca) return undefined;
  const { Agent } = await import('undici');
  if (tls.insecure) return new Agent({ connect: { rejectUnauthorized: false } });
  return new Agent({ connect: { ca: [...rootCertificates, ...tls.ca!] } });
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/** What a failed connection says about TLS: a certificate mab may not trust, a server that speaks plain HTTP, or nothing. */
export function tlsFailure(e: unknown): { kind: 'untrusted' | 'plain-http'; code: string } | undefined {
  const code = (e as { cause?: { code?: string } }).cause?.code ?? '';
  if (UNTRUSTED.has(code)) return { kind: 'untrusted', code };
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG')
    return { kind: 'plain-http', code };
  return undefined;
}

/** The error for a TLS failure mab will not work around. */
export function tlsError(registry: string, f: { kind: 'untrusted' | 'plain-http'; code: string }): MabError {
  return f.kind === 'untrusted'
    ? new MabError(
        'E_TLS',
        `the certificate of registry ${registry} is not trusted (${f.code})`,
        `give its CA with --ca-cert FILE or install it as ${CERTS_D}/${registry}/ca.crt; only for a registry you control, --insecure-registry ${registry} skips the check`,
      )
    : new MabError(
        'E_TLS',
        `registry ${registry} does not speak HTTPS (it answered in plain HTTP)`,
        `mab sends plain HTTP only to loopback registries; to allow it for this one, --insecure-registry ${registry}`,
      );
}
