/**
 * A docker-bake.json for teams on `docker buildx bake` (docs.docker.com/build/bake/reference):
 * one target per platform and strategy, each with its complete build context beside the file.
 *
 * The file names no path of the machine that wrote it, so it can be committed: each context is
 * `${MAB_BAKE_DIR}/STRATEGY/ARCH`. buildx resolves a bake file's relative paths against the
 * directory it runs in, not the file's (docker/buildx#1028), so MAB_BAKE_DIR, a bake variable,
 * says where the file's directory is from there. Its default is that directory seen from where
 * `mab bake` ran, the usual place to run bake; elsewhere, set it in the environment.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildPlan } from '../plan/plan.js';
import { formatPlatform, platformSlug } from '../platform/platform.js';
import type { Cached } from '../source/fetch.js';
import { makeContext } from './context.js';

export const BAKE_DIR_VARIABLE = 'MAB_BAKE_DIR';

/** One strategy's plan, with its sources fetched. */
export interface BakeStrategy {
  strategy: string;
  plan: BuildPlan;
  cached: Map<string, Cached>;
}

/** What was written: --json prints it. */
export interface BakeWritten {
  file: string;
  /** The bake variables' defaults: MAB_BAKE_DIR, the file's directory from where mab bake ran. */
  variables: Record<string, string>;
  /** Target name → its strategy, platform, tags and context (relative to the file's directory). */
  targets: Record<string, { strategy: string; platform: string; context: string; tags: string[] }>;
  groups: Record<string, string[]>;
}

/** Target names buildx accepts: RECIPE-STRATEGY-ARCH. */
const targetName = (...parts: string[]) => parts.join('-').replace(/[^A-Za-z0-9_-]/g, '-');

/** Writes every target's build context under out, then out/docker-bake.json. */
export async function writeBake(
  recipe: string,
  strategies: BakeStrategy[],
  o: { out: string; cwd: string; secrets: string[] },
): Promise<BakeWritten> {
  const written: BakeWritten = {
    file: path.join(o.out, 'docker-bake.json'),
    variables: { [BAKE_DIR_VARIABLE]: path.relative(o.cwd, o.out) || '.' },
    targets: {},
    groups: { default: [] },
  };
  const target: Record<string, object> = {};
  for (const { strategy, plan, cached } of strategies) {
    written.groups[strategy] = [];
    for (const t of plan.targets) {
      const name = targetName(recipe, strategy, platformSlug(t.platform));
      const context = `${strategy}/${platformSlug(t.platform)}`;
      await makeContext(t, cached, path.join(o.out, context));
      written.targets[name] = { strategy, platform: formatPlatform(t.platform), context, tags: [t.image] };
      target[name] = {
        context: `\${${BAKE_DIR_VARIABLE}}/${context}`,
        dockerfile: 'Dockerfile',
        platforms: [formatPlatform(t.platform)],
        tags: [t.image],
        // BuildKit's config and history times (file times are clamped by mab build's export only).
        ...(t.sourceDateEpoch !== undefined ? { args: { SOURCE_DATE_EPOCH: String(t.sourceDateEpoch) } } : {}),
        ...(plan.secrets.length ? { secret: o.secrets } : {}),
      };
      written.groups[strategy]!.push(name);
      written.groups.default!.push(name);
    }
  }
  const group = Object.fromEntries(Object.entries(written.groups).map(([g, targets]) => [g, { targets }]));
  const variable = Object.fromEntries(Object.entries(written.variables).map(([v, value]) => [v, { default: value }]));
  await mkdir(o.out, { recursive: true });
  await writeFile(written.file, JSON.stringify({ variable, group, target }, null, 2) + '\n');
  return written;
}
