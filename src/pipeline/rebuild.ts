/**
 * `mab verify REF --rebuild`: is this image what its recipe builds? The recipe, version, strategy
 * and platforms come from the image itself (its index's annotations, else its labels), and so does
 * its SOURCE_DATE_EPOCH (the created label, else the config's created); the recipe is built again
 * with every step run (--no-cache) into a store of its own, and each platform's manifest digest is
 * compared with the reference's. Where they differ, the files that differ are named, layer by
 * layer (report/image-diff.ts): a package whose output is not deterministic shows as the paths it
 * writes differently.
 *
 * The rebuilt images stay in the engine under their own names (`…-rebuild`), beside the ones a
 * build made, for a look with docker; their store is removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MabError } from '../errors.js';
import { formatPlatform } from '../platform/platform.js';
import type { BuildPlan } from '../plan/plan.js';
import { diffImages, type PlatformDiff } from '../report/image-diff.js';
import { storeSource, type ImageSource } from '../report/source.js';
import { Store } from '../store/layout.js';
import { executePlan, type ExecuteOptions } from './execute.js';
import { BUILD_ANNOTATIONS } from './export.js';

/** What the reference says of how it was built. */
export interface RebuildSpec {
  recipe: string;
  version: string;
  /** Undefined when the reference does not say (a Docker manifest list carries no annotations). */
  strategy?: string;
  platforms: string[];
  /** SOURCE_DATE_EPOCH, from the created label (or the config's created). */
  epoch?: number;
  /** The commit its revision label names; undefined when it has none (built with --no-git-labels or outside git). */
  revision?: string;
}

export interface RebuildResult extends RebuildSpec {
  reference: string;
  reproduced: boolean;
  /** How long the rebuild took, build and export of every platform. */
  seconds: number;
  /** Per platform of the reference, what the rebuild gave. */
  diffs: PlatformDiff[];
}

const LABEL = {
  created: 'org.opencontainers.image.created',
  revision: 'org.opencontainers.image.revision',
};

/** Whole seconds of an RFC 3339 time, or undefined. */
const seconds = (t: string | undefined) => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
};

export function rebuildSpec(source: ImageSource): RebuildSpec {
  const first = source.images[0];
  const labels = first?.config.config?.Labels ?? {};
  const said = (key: keyof typeof BUILD_ANNOTATIONS) =>
    source.annotations[BUILD_ANNOTATIONS[key]] ?? labels[BUILD_ANNOTATIONS[key]];
  const recipe = said('title');
  const version = said('version');
  if (!first || !recipe || !version)
    throw new MabError(
      'E_VERIFY_RECIPE',
      `${source.name} does not say which recipe built it (no ${BUILD_ANNOTATIONS.title} and ${BUILD_ANNOTATIONS.version} annotation or label)`,
      'verify an image mab built: a store tag (sysbench:1.0.20) or the registry image it pushed',
    );
  const strategy = said('strategy');
  const epoch = seconds(labels[LABEL.created] ?? first.config.created);
  const revision = labels[LABEL.revision];
  return {
    recipe,
    version,
    ...(strategy ? { strategy } : {}),
    platforms: source.images.map((i) => formatPlatform(i.platform)),
    ...(epoch !== undefined ? { epoch } : {}),
    ...(revision ? { revision } : {}),
  };
}

/**
 * Builds again what `reference` was built from and compares. `plan` turns what the reference says
 * into a plan (the command's options apply), `log` says what goes on.
 */
export async function verifyRebuild(
  reference: ImageSource,
  plan: (spec: RebuildSpec) => Promise<BuildPlan>,
  execute: Omit<ExecuteOptions, 'storeDir' | 'noCache' | 'keepContext'>,
): Promise<RebuildResult> {
  const spec = rebuildSpec(reference);
  const p = await plan(spec);
  if (p.recipe.version !== spec.version)
    throw new MabError(
      'E_VERIFY_VERSION',
      `${reference.name} is ${spec.recipe} ${spec.version}; the recipe ${p.recipe.file} is at ${p.recipe.version} now`,
      spec.revision
        ? `check out the commit it was built from (git checkout ${spec.revision}) and verify again`
        : 'verify with the recipe as it was when the image was built',
    );
  const now = p.annotations[LABEL.revision];
  if (spec.revision && now !== spec.revision)
    execute.log(
      `warning: ${reference.name} was built from commit ${spec.revision}; the recipe's checkout is at ${now ?? 'no commit'}: its revision label, and whatever else changed since, will differ`,
    );
  execute.log(
    `rebuilding ${spec.recipe} ${spec.version} (${p.strategy}) for ${spec.platforms.join(', ')} with every step run again${p.targets[0]?.sourceDateEpoch !== undefined ? `, SOURCE_DATE_EPOCH ${p.targets[0].sourceDateEpoch}` : ''}`,
  );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-rebuild-'));
  const started = Date.now();
  try {
    const built = await executePlan(
      { ...p, targets: p.targets.map((t) => ({ ...t, image: `${t.image}-rebuild` })) },
      { ...execute, storeDir: dir, noCache: true, keepContext: false },
    );
    const took = (Date.now() - started) / 1000;
    const rebuilt = await storeSource(await Store.open(dir), built.store!.tags[0]!);
    const diffs = await diffImages(reference, rebuilt);
    return {
      ...spec,
      strategy: p.strategy,
      reference: reference.name,
      reproduced: diffs.every((d) => d.same),
      seconds: took,
      diffs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
