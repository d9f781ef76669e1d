/**
 * A digest of everything that decides what one platform's build produces: the generated
 * Dockerfile, the pinned sources and artifacts, the bytes of every file copied into the context,
 * the smoke checks and the SOURCE_DATE_EPOCH of the image's times. Two plans with the same digest build the same image, so `mab compare` can
 * reuse a stored build instead of running it again. Mirrors do not enter: sources are pinned by
 * checksum or commit, so where they come from cannot change them.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { formatPlatform } from '../platform/platform.js';
import type { TargetPlan } from './plan.js';

export async function targetDigest(t: TargetPlan): Promise<string> {
  const h = createHash('sha256');
  // Where a smoke check stands in the recipe changes nothing it does.
  const smoke = t.smoke.map(({ at: _, ...check }) => check);
  h.update(
    JSON.stringify({
      platform: formatPlatform(t.platform),
      dockerfile: t.dockerfile,
      sources: t.sources,
      artifacts: t.artifacts,
      smoke,
      sourceDateEpoch: t.sourceDateEpoch,
    }),
  );
  for (const f of t.files) h.update(`\0${f.to}\0`).update(await readFile(f.from));
  return `sha256:${h.digest('hex')}`;
}
