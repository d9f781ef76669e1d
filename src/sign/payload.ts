/**
 * The payload cosign signs for an image: Red Hat's "simple signing" claims
 * (https://github.com/containers/image/blob/main/docs/containers-signature.5.md), which name the
 * repository and the manifest digest, plus free-form `optional` annotations:
 *   {"critical":{"identity":{"docker-reference":REPO},"image":{"docker-manifest-digest":DIGEST},
 *    "type":"cosign container image signature"},"optional":null}
 * `cosign verify` checks the digest claim; mab's verify checks the repository too.
 */
import { DOCKER_HUB } from '../ref/reference.js';

export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

export interface SimpleSigning {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, string> | null;
}

/**
 * The repository as cosign writes it in the claim: REGISTRY/REPOSITORY, Docker Hub spelled
 * index.docker.io, as go-containerregistry names it.
 */
export function dockerReference(registry: string, repository: string): string {
  return `${registry === DOCKER_HUB ? 'index.docker.io' : registry}/${repository}`;
}

/** The payload's bytes, key order as cosign marshals it (annotations: none is null, as cosign writes). */
export function signingPayload(reference: string, digest: string, optional?: Record<string, string>): Buffer {
  const claims: SimpleSigning = {
    critical: {
      identity: { 'docker-reference': reference },
      image: { 'docker-manifest-digest': digest },
      type: SIMPLE_SIGNING_TYPE,
    },
    optional: optional && Object.keys(optional).length ? optional : null,
  };
  return Buffer.from(JSON.stringify(claims));
}

const sameRepository = (a: string, b: string) =>
  a.replace(/^(index\.)?docker\.io\//, 'docker.io/') === b.replace(/^(index\.)?docker\.io\//, 'docker.io/');

/**
 * What is wrong with a payload as a signature of `digest` in `reference` (undefined when
 * nothing); without `reference`, any repository is accepted, as cosign does.
 */
export function claimProblem(payload: Buffer, digest: string, reference?: string): string | undefined {
  let claims: SimpleSigning;
  try {
    claims = JSON.parse(payload.toString('utf8')) as SimpleSigning;
  } catch {
    return 'the payload is not JSON';
  }
  const c = claims?.critical;
  if (c?.type !== SIMPLE_SIGNING_TYPE)
    return `the payload's type is ${JSON.stringify(c?.type)}, not "${SIMPLE_SIGNING_TYPE}"`;
  const signed = c.image?.['docker-manifest-digest'];
  if (signed !== digest) return `the payload signs ${signed ?? 'no digest'}, not ${digest}`;
  const named = c.identity?.['docker-reference'];
  if (reference && !(named && sameRepository(named, reference)))
    return `the payload names repository ${named ?? '(none)'}, not ${reference}`;
  return undefined;
}
