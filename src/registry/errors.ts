import { MabError } from '../errors.js';

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
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    codes = (body.errors ?? []).map((e) => e.code ?? '?');
    detail = (body.errors ?? [])
      .map((e) => e.message)
      .filter(Boolean)
      .join('; ');
  } catch {
    detail = text.slice(0, 200);
  }
  return new RegistryError(method, url, res.status, codes, detail);
}
