/** Shared by build and generate: options → a BuildPlan, with no engine involved. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError } from '../errors.js';
import { STRATEGIES, type Strategy } from '../dockerfile/generate.js';
import type { IndexFormat } from '../oci/types.js';
import { parsePlatformList } from '../platform/platform.js';
import { planBuild, type BuildPlan } from '../plan/plan.js';
import { findRecipe } from '../recipe/find.js';
import type { Io } from '../util/io.js';
import type { OptionSpec, Values } from './command.js';
import { PACKAGE_ROOT, recipesDir } from './context.js';

export const PLAN_OPTIONS: Record<string, OptionSpec> = {
  arch: { type: 'string', value: 'LIST', description: 'platforms, comma-separated: amd64, arm64, arm/v7, … (aliases such as aarch64, x86_64, armhf work); default: every platform the recipe supports' },
  strategy: { type: 'string', value: 'NAME', default: 'multistage', description: `build strategy: ${STRATEGIES.join(', ')}` },
  recipes: { type: 'string', value: 'DIR', description: 'directory of recipes (default: $MAB_RECIPES, else the recipes shipped with mab)' },
  templates: { type: 'string', value: 'DIR', description: 'directory of strategy templates (default: the templates shipped with mab)' },
};

export async function resolvePlan(recipeArg: string | undefined, opts: Values, io: Io, push?: string): Promise<BuildPlan> {
  if (!recipeArg) throw new MabError('E_USAGE', 'no recipe given', 'pass a recipe name (e.g. sysbench) or a path to a recipe .yaml');
  const recipe = await findRecipe(recipeArg, recipesDir(opts, io));
  const strategy = opts.strategy as Strategy;
  if (!STRATEGIES.includes(strategy)) throw new MabError('E_STRATEGY', `unknown strategy "${strategy}"`, `use one of: ${STRATEGIES.join(', ')}`);
  const templatesDir = path.resolve(io.cwd, (opts.templates as string | undefined) ?? path.join(PACKAGE_ROOT, 'templates'));
  const templates = Object.fromEntries(await Promise.all(STRATEGIES.map(async (s) => [s, await readFile(path.join(templatesDir, `${s}.Dockerfile`), 'utf8')]))) as Record<Strategy, string>;
  const format = ((opts['index-format'] as string | undefined) ?? 'docker') as IndexFormat;
  if (format !== 'docker' && format !== 'oci') throw new MabError('E_USAGE', `--index-format "${format}" is not docker or oci`, 'docker (manifest list v2, for old engines) or oci (image index)');
  const rel = path.relative(io.cwd, recipe.file);
  return planBuild({
    recipe,
    recipePath: rel.startsWith('..') ? path.basename(recipe.file) : rel,
    strategy,
    platforms: opts.arch ? parsePlatformList(opts.arch as string) : recipe.platforms,
    templates,
    ...(push ? { push } : {}),
    indexFormat: format,
  });
}
