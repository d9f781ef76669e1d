import { MabError } from '../errors.js';
import { parseChallenge } from './challenge.js';
import { formatReference, repositoryName, type Reference } from '../ref/reference.js';

/** Userinfo and query strings can carry credentials (e.g. pre-signed upload URLs): never print them. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    if (u.search) u.search = '?…';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/**
 * A registry answered with an unexpected status. The message has method, redacted URL, status and
 * the registry's own error codes (distribution spec "Error Codes"), which is what a user needs to
 * tell an auth problem from a missing repository from a server fault.
 */
export class RegistryError extends MabError {
  constructor(
    readonly method: string,
    url: string,
    readonly status: number,
    readonly codes: string[],
    detail: string,
  ) {
    const hint =
      status === 401 || status === 403
        ? 'check the credentials for this registry'
        : status === 404
          ? 'check the repository name and that the image was pushed'
          : undefined;
    super(
      'E_REGISTRY',
      `${method} ${redactUrl(url)} → ${status}${codes.length ? ` [${codes.join(', ')}]` : ''}${detail ? `: ${detail}` : ''}`,
      hint,
    );
  }
}

export async function registryError(method: string, url: string, res: Response): Promise<RegistryError> {
  let codes: string[] = [];
  let detail = '';
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    codes = (body.errors ?? []).map((e) => e.code ?? '?');
    // The detail says what was wrong with the request (a manifest's parse error, the blob missing).
    const said = (d: unknown) => (typeof d === 'string' ? d : d === undefined ? '' : JSON.stringify(d)).slice(0, 200);
    detail = (body.errors ?? [])
      .map((e) => [e.message, said(e.detail)].filter(Boolean).join(': '))
      .filter(Boolean)
      .join('; ');
  } catch {
    detail = text.slice(0, 200);
  }
  // A HEAD has no body: a refused token or password is told only in the challenge (error="invalid_token").
  const challenge = res.status === 401 ? parseChallenge(res.headers.get('www-authenticate') ?? '') : undefined;
  const refused = [challenge?.params.error, challenge?.params.error_description].filter(Boolean).join(': ');
  if (refused && !detail.includes(refused)) detail = detail ? `${detail} (${refused})` : refused;
  return new RegistryError(method, url, res.status, codes, detail);
}

/**
 * A registry failure told in the terms of what the user named: a repository or manifest the
 * registry does not know, or access refused, each with its fix. Anything else passes through.
 */
export function explainAccess(e: unknown, ref: Reference, want: 'pull' | 'push'): unknown {
  const reference = formatReference(ref);
  const { registry } = ref;
  const repository = repositoryName(ref);
  if (e instanceof RegistryError && e.status === 404 && e.codes.includes('NAME_UNKNOWN'))
    return new MabError(
      'E_NOT_FOUND',
      `${reference}: the registry has no repository ${ref.repository} (NAME_UNKNOWN)`,
      'check the name; a repository exists once an image is pushed to it',
    );
  if (e instanceof RegistryError && e.status === 404 && e.codes.includes('MANIFEST_UNKNOWN'))
    return new MabError(
      'E_NOT_FOUND',
      `${reference}: no such tag or digest in the repository (MANIFEST_UNKNOWN)`,
      `mab ls ${repository} lists its tags`,
    );
  const denied =
    (e instanceof RegistryError && (e.status === 401 || e.status === 403)) ||
    (e instanceof MabError && e.code === 'E_AUTH_DENIED');
  if (denied)
    return new MabError(
      'E_AUTH_DENIED',
      `${reference}: the registry refused to let mab ${want} (${(e as MabError).message})`,
      `docker login ${registry} as a user that may ${want} ${ref.repository} (mab reads docker's credentials and credential helpers); a registry that hides private repositories also answers so for one that does not exist`,
    );
  return e;
}
