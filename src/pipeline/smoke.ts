/**
 * What a build's smoke checks need before and instead of running: the helper shell of each
 * platform that has `shell:` checks, and the results of an earlier run on the very same image.
 */
import { MabError } from '../errors.js';
import { formatPlatform, platformInfo } from '../platform/platform.js';
import type { BuildPlan } from '../plan/plan.js';
import { smokeShell } from '../source/smoke-shell.js';
import type { Mirror } from '../source/fetch.js';
import type { Store } from '../store/layout.js';
import { buildRecord, type BuildRecord } from '../store/builds.js';
import type { Exported } from './export.js';
import type { openSuite } from './packages.js';

/** The helper shell of each platform with `shell:` smoke checks, fetched before any build. */
export async function smokeShells(
  plan: BuildPlan,
  open: (() => ReturnType<typeof openSuite>) | undefined,
  o: { cacheDir: string; mirrors: Mirror[]; log: (msg: string) => void },
): Promise<Map<string, string>> {
  const shells = new Map<string, string>();
  const needing = plan.targets.filter((t) => t.smoke.some((c) => 'shell' in c));
  if (!needing.length) return shells;
  const index = open ? await open() : 'no Debian archive is configured';
  if (typeof index === 'string')
    throw new MabError(
      'E_SMOKE_SHELL',
      `the recipe's shell: smoke checks need mab's helper shell (Debian's busybox-static), and it cannot be fetched: ${index}`,
      "make Debian's archive reachable once (the helper is cached), give a mirror of it with --mirror http://deb.debian.org/debian/=…, or write the checks as run: commands",
    );
  for (const t of needing)
    shells.set(
      formatPlatform(t.platform),
      await smokeShell(index, platformInfo(t.platform).debian, o.cacheDir, o.mirrors, o.log),
    );
  return shells;
}

/** The build record of this very image, when an earlier build with the same plan passed its smoke checks. */
export async function earlierSmoke(
  store: Store,
  stored: Exported | undefined,
  planDigest: string,
): Promise<BuildRecord | undefined> {
  const record = stored && (await buildRecord(store.dir, stored.manifest.digest));
  return record && record.planDigest === planDigest && record.smoke.every((x) => x.passed) ? record : undefined;
}
