/**
 * The signature check of `mab verify`: at least one signature in the digest's `sha256-HEX.sig`
 * manifest is the key's signature of a simple-signing payload that names this digest (and this
 * repository, unless any is allowed). Every layer is looked at and its fate reported, so a failure
 * says whether there was no signature at all, only other keys' signatures, or a payload for
 * another image.
 */
import type { KeyObject } from 'node:crypto';
import { verifyPayload } from '../sign/keys.js';
import { claimProblem, dockerReference } from '../sign/payload.js';
import { SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, signatureTag } from '../sign/sig-manifest.js';
import { readSignatureSet } from './signatures.js';
import type { Check } from './verify.js';

/** A payload is a few hundred bytes; a layer far larger is not one, and is not downloaded. */
const MAX_PAYLOAD = 1024 * 1024;

export interface SignatureOutcome {
  layer: number;
  payload: string;
  ok: boolean;
  problem?: string;
}

export function signatureCheck(key: KeyObject, keyName: string, o: { anyRepository?: boolean } = {}): Check {
  return async (s) => {
    const tag = signatureTag(s.digest);
    const set = await readSignatureSet(s.client, s.repository, s.digest);
    if (!set) return { check: 'signature', ok: false, summary: `no signatures: the repository has no tag ${tag}` };
    const reference = o.anyRepository ? undefined : dockerReference(s.registry, s.repository);
    const outcomes: SignatureOutcome[] = [];
    for (const [i, layer] of set.manifest.layers.entries()) {
      const outcome = (problem?: string): SignatureOutcome => ({
        layer: i + 1,
        payload: layer.digest,
        ok: !problem,
        ...(problem ? { problem } : {}),
      });
      const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
      if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) outcomes.push(outcome(`a ${layer.mediaType} layer`));
      else if (!signature) outcomes.push(outcome(`no ${SIGNATURE_ANNOTATION} annotation`));
      else if (layer.size > MAX_PAYLOAD) outcomes.push(outcome(`a payload of ${layer.size} bytes`));
      else {
        const payload = await s.client.getBlob(s.repository, layer.digest);
        outcomes.push(
          outcome(
            verifyPayload(key, payload, signature)
              ? claimProblem(payload, s.digest, reference)
              : `not signed by ${keyName} (or the payload was altered)`,
          ),
        );
      }
    }
    const good = outcomes.filter((x) => x.ok);
    const problems = outcomes.filter((x) => !x.ok).map((x) => `layer ${x.layer}: ${x.problem}`);
    return {
      check: 'signature',
      ok: good.length > 0,
      summary: good.length
        ? `${good.length} of ${outcomes.length} signature(s) in ${tag} verified with ${keyName}`
        : `none of the ${outcomes.length} signature(s) in ${tag} is valid for ${keyName}: ${problems.join('; ')}`,
      details: { tag, signatures: outcomes },
    };
  };
}
