/** Shared by build and generate: options → a BuildPlan, with no engine involved. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError } from '../errors.js';
import { STRATEGY_NAMES } from '../recipe/types.js';
import { crossOf } from '../dockerfile/strategies.js';
import { parsePlatformList } from '../platform/platform.js';
import { planBuild, type BuildPlan } from '../plan/plan.js';
import { findRecipe } from '../recipe/find.js';
import { checkoutOf, sourceDateEpoch } from '../source/checkout.js';
import type { Io } from '../util/io.js';
import type { OptionSpec, Values } from './command.js';
import { PACKAGE_ROOT, attestKindsOf, indexFormatOf, platformsOption, recipesDir } from './context.js';

export const PLAN_OPTIONS: Record<string, OptionSpec> = {
  arch: platformsOption(
    'platforms, comma-separated: amd64, arm64, arm/v7, … (linux/ prefixes and aliases such as aarch64, x86_64, armhf work; amd64/v2, /v3, /v4 are the x86-64 levels); default: every platform the recipe supports',
  ),
  strategy: {
    type: 'string',
    value: 'NAME',
    choices: STRATEGY_NAMES,
    description: `build strategy: ${STRATEGY_NAMES.join(', ')}; default: cross when the recipe supports it (builds run on the build platform, no emulation), else multistage`,
  },
  cross: {
    type: 'boolean',
    description:
      "make the --strategy's image on the build platform, with the recipe's strategies.cross (nothing emulated): --strategy minimal --cross is minimal-cross, multistage --cross is cross",
  },
  recipes: {
    type: 'string',
    value: 'DIR',
    description: 'directory of recipes (default: $MAB_RECIPES, else the recipes shipped with mab)',
  },
  templates: {
    type: 'string',
    value: 'DIR',
    description: 'directory of strategy templates (default: the templates shipped with mab)',
  },
  label: {
    type: 'string',
    value: 'KEY=VALUE',
    multiple: true,
    description: "an image label, over the recipe's and mab's own (as docker buildx build --label)",
  },
  'no-git-labels': {
    type: 'boolean',
    description:
      "no org.opencontainers.image.source/revision/created from the git checkout the recipe is in (by default they are set, created from the commit's time or SOURCE_DATE_EPOCH)",
  },
  'source-date-epoch': {
    type: 'string',
    value: 'SECONDS',
    description:
      "the image's time: its created label, its config's and history's created, and (mab build) the latest time a file in its own layers keeps, later ones clamped to it, so that the same recipe builds to the same digest; default: $SOURCE_DATE_EPOCH, else the commit time of the git checkout the recipe is in, else none (build times: no two builds alike)",
  },
};

/** --label KEY=VALUE, in order: a later one for the same key wins, as with docker. */
export function labelsOf(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (eq < 1 || /\s/.test(key))
      throw new MabError(
        'E_USAGE',
        `--label "${v}" is not KEY=VALUE`,
        'e.g. --label org.opencontainers.image.vendor=Example',
      );
    out[key] = v.slice(eq + 1);
  }
  return out;
}

// compare and bake plan one recipe once per strategy: its checkout is asked once per command.
const checkouts = new Map<string, ReturnType<typeof checkoutOf>>();
function checkoutOnce(file: string, env: NodeJS.ProcessEnv): ReturnType<typeof checkoutOf> {
  // SOURCE_DATE_EPOCH decides `created`: an in-process caller (the tests) may change it between runs.
  const key = `${file}\0${env.SOURCE_DATE_EPOCH ?? ''}`;
  if (!checkouts.has(key)) checkouts.set(key, checkoutOf(file, env));
  return checkouts.get(key)!;
}

export async function resolvePlan(
  recipeArg: string | undefined,
  opts: Values,
  io: Io,
  push?: string,
): Promise<BuildPlan> {
  if (!recipeArg)
    throw new MabError('E_USAGE', 'no recipe given', 'pass a recipe name (e.g. sysbench) or a path to a recipe .yaml');
  const recipe = await findRecipe(recipeArg, recipesDir(opts, io));
  const templatesDir = path.resolve(
    io.cwd,
    (opts.templates as string | undefined) ?? path.join(PACKAGE_ROOT, 'templates'),
  );
  const dockerfile = await readFile(path.join(templatesDir, 'app.Dockerfile'), 'utf8').catch(() => {
    throw new MabError(
      'E_TEMPLATE',
      `no app.Dockerfile in templates directory ${templatesDir}`,
      'point --templates at a directory with app.Dockerfile and collect-closure.sh',
    );
  });
  const attest = attestKindsOf(opts);
  // Only an OCI index carries attestations: the default while there are any, as with buildx
  // (with --by-digest, the index `mab manifest merge` makes from the runners' metadata).
  const format = indexFormatOf(opts['index-format']) ?? (attest.sbom || attest.provenance ? 'oci' : 'docker');
  const smoke = (opts.smoke as string | undefined) ?? 'quick';
  if (smoke !== 'quick' && smoke !== 'all')
    throw new MabError(
      'E_USAGE',
      `--smoke "${smoke}" is not quick or all`,
      'quick skips the checks a recipe marks slow; all runs every check',
    );
  const rel = path.relative(io.cwd, recipe.file);
  const labels = labelsOf(opts.label as string[] | undefined);
  // One moment for the labels and the build: --source-date-epoch over the environment's.
  const given = opts['source-date-epoch'] as string | undefined;
  const env = given === undefined ? io.env : { ...io.env, SOURCE_DATE_EPOCH: given };
  const checkout = await checkoutOnce(recipe.file, env);
  const epoch = checkout?.epoch ?? sourceDateEpoch(env);
  return planBuild({
    recipe,
    recipePath: rel.startsWith('..') ? path.basename(recipe.file) : rel,
    strategy: opts.cross
      ? crossOf((opts.strategy as string | undefined) ?? 'multistage')
      : (opts.strategy as string | undefined),
    platforms: opts.arch ? parsePlatformList(opts.arch as string) : recipe.platforms,
    template: { dockerfile, dir: templatesDir },
    ...(push ? { push } : {}),
    ...(opts.tag ? { tags: opts.tag as string[] } : {}),
    ...(opts['by-digest'] ? { byDigest: true } : {}),
    ...(opts.referrers ? { referrers: true } : {}),
    indexFormat: format,
    smoke,
    ...(checkout && !opts['no-git-labels'] ? { checkout } : {}),
    ...(labels ? { labels } : {}),
    ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
    ...(attest.sbom || attest.provenance ? { attest } : {}),
  });
}
