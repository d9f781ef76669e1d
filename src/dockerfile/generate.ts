/**
 * Recipe × strategy × platform → Dockerfile text. Pure: reads the template text it is given and
 * touches nothing else. One template per strategy; the recipe supplies parameters.
 */
import { formatPlatform, platformInfo, type Platform } from '../platform/platform.js';
import type { Recipe } from '../recipe/types.js';
import { dockerQuote, execForm } from './quote.js';
import { renderTemplate, type TemplateVars } from './template.js';
import { validateDockerfile } from './validate.js';

export const STRATEGIES = ['multistage'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface Bases {
  build: string;
  runtime: string;
}

export const DEFAULT_BASES: Record<Strategy, Bases> = {
  multistage: { build: 'debian:bookworm', runtime: 'debian:bookworm-slim' },
};

export function dockerfileVars(recipe: Recipe, platform: Platform, bases: Bases, recipePath: string): TemplateVars {
  const labels: Record<string, string | undefined> = {
    'org.opencontainers.image.title': recipe.name,
    'org.opencontainers.image.version': recipe.version,
    'org.opencontainers.image.description': recipe.description,
    'org.opencontainers.image.url': recipe.homepage,
    'org.opencontainers.image.licenses': recipe.license,
  };
  return {
    recipe_file: recipePath,
    platform: formatPlatform(platform),
    debian_arch: platformInfo(platform).debian,
    build_base: bases.build,
    runtime_base: bases.runtime,
    build_packages: recipe.build.packages.join(' '),
    runtime_packages: recipe.runtime.packages.join(' '),
    has_sources: recipe.sources.length > 0,
    build_steps: recipe.build.steps,
    // Relative to /, which is where the template runs cp --parents.
    keep: recipe.runtime.keep.map((p) => p.slice(1)).join(' '),
    env: Object.entries(recipe.env).map(([k, v]) => `${k}=${dockerQuote(v, `env ${k}`)}`),
    labels: Object.entries(labels)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${dockerQuote(v, `label ${k}`)}`),
    workdir: recipe.workdir,
    entrypoint: execForm(recipe.entrypoint),
    cmd: recipe.cmd.length ? execForm(recipe.cmd) : undefined,
  };
}

export function generateDockerfile(template: string, strategy: Strategy, recipe: Recipe, platform: Platform, bases: Bases, recipePath: string): string {
  const where = `${recipe.name} (${strategy}, ${formatPlatform(platform)})`;
  const text = renderTemplate(template, dockerfileVars(recipe, platform, bases, recipePath), `templates/${strategy}.Dockerfile`);
  validateDockerfile(text, where);
  return text;
}
