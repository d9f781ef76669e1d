/**
 * Image references, parsed the way docker parses them (distribution/reference):
 *   sysbench               → docker.io/library/sysbench:latest
 *   127.0.0.1:5000/mab/sb  → registry 127.0.0.1:5000, repository mab/sb
 *   repo@sha256:…          → by digest
 * The first path component is a registry only if it has a '.' or ':' or is 'localhost'.
 */
import { MabError } from '../errors.js';
import { isDigest } from '../oci/digest.js';

export interface Reference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export function parseReference(input: string, opts: { defaultTag?: string } = {}): Reference {
  const bad = (why: string) =>
    new MabError(
      'E_REFERENCE',
      `invalid image reference "${input}": ${why}`,
      'write it as [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST], e.g. 127.0.0.1:5000/mab/sysbench:1.0.20',
    );
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw bad(`"${digest}" is not a sha256 digest`);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw bad(`tag "${tag}" may only have letters, digits, '_', '.', '-' (max 128)`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) registry = parts.shift()!;
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p)))
    throw bad('repository path components must be lowercase letters, digits and separators');
  if (!tag && !digest && opts.defaultTag) tag = opts.defaultTag;
  return { registry, repository: parts.join('/'), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function formatReference(r: Reference): string {
  return `${r.registry}/${r.repository}${r.tag ? ':' + r.tag : ''}${r.digest ? '@' + r.digest : ''}`;
}

/** `registry/repository` without tag or digest. */
export function repositoryName(r: Reference): string {
  return `${r.registry}/${r.repository}`;
}

/**
 * What a command's image argument names: with a '/', a registry reference; without one, a tag of
 * the local store (RECIPE:VERSION, as builds tag it), a bare name meaning NAME:latest. A registry
 * image always has a '/': Docker Hub's official images are docker.io/library/NAME.
 */
export type ImageLocation = { store: string } | { registry: Reference };

export function parseLocation(input: string, o: { defaultTag?: string } = {}): ImageLocation {
  if (input.includes('/')) return { registry: parseReference(input, o) };
  if (!input || input.includes('@'))
    throw new MabError(
      'E_REFERENCE',
      `"${input}" names no image`,
      'give a store tag (sysbench:1.0.20) or a registry reference (127.0.0.1:5000/mab/sysbench:1.0.20)',
    );
  return { store: input.includes(':') ? input : `${input}:latest` };
}

/** A location as the user would write it back. */
export function formatLocation(l: ImageLocation): string {
  return 'store' in l ? l.store : formatReference(l.registry);
}
