/**
 * Mirrors: where a source is looked for before its upstream URL. A mirror replaces a URL prefix
 * with another URL or a local directory (or, for git, a local clone).
 */
import { MabError } from '../errors.js';

export interface Mirror {
  from: string;
  to: string;
}

export function parseMirror(spec: string): Mirror {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1)
    throw new MabError(
      'E_MIRROR',
      `--mirror "${spec}" is not PREFIX=REPLACEMENT`,
      'e.g. --mirror http://deb.debian.org/debian/=http://127.0.0.1:8080/debian/ or =/srv/files/',
    );
  return { from: spec.slice(0, eq), to: spec.slice(eq + 1) };
}

/** Where a URL is tried, in order: every matching mirror, then the URL itself. */
export function candidates(url: string, mirrors: Mirror[]): string[] {
  const out = mirrors.filter((m) => url.startsWith(m.from)).map((m) => m.to + url.slice(m.from.length));
  return [...out, url];
}
