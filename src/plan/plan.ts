/**
 * The build plan: everything `mab build` will do, resolved up front and without Docker, so that
 * `mab build --print` can show it and the executor only consumes it (buildx bake's --print idea).
 */
import { MabError } from '../errors.js';
import { formatPlatform, platformInfo, platformSlug, type Platform } from '../platform/platform.js';
import { formatReference, parseReference, type Reference } from '../ref/reference.js';
import type { IndexFormat } from '../oci/types.js';
import type { Recipe, SmokeCheck, SourceSpec } from '../recipe/types.js';
import { DEFAULT_BASES, generateDockerfile, type Bases, type Strategy } from '../dockerfile/generate.js';

export interface ResolvedSource {
  file: string;
  url: string;
  sha256: string;
}

export interface TargetPlan {
  platform: string;
  /** Image name in the local engine. */
  image: string;
  /** Per-arch tag in the registry, when publishing. */
  pushRef?: string;
  dockerfile: string;
  sources: ResolvedSource[];
  smoke: SmokeCheck[];
}

export interface BuildPlan {
  recipe: { name: string; version: string; file: string };
  strategy: Strategy;
  bases: Bases;
  targets: TargetPlan[];
  publish?: { repository: string; tags: string[]; indexFormat: IndexFormat };
}

export interface PlanInput {
  recipe: Recipe;
  /** Path shown in generated files (relative to the project when possible). */
  recipePath: string;
  strategy: Strategy;
  platforms: Platform[];
  templates: Record<Strategy, string>;
  push?: string;
  indexFormat: IndexFormat;
}

export function planBuild(input: PlanInput): BuildPlan {
  const { recipe, strategy } = input;
  const supported = recipe.platforms.map(formatPlatform);
  for (const p of input.platforms) {
    if (!supported.includes(formatPlatform(p))) {
      throw new MabError('E_PLATFORM_UNSUPPORTED', `recipe ${recipe.name} does not support ${formatPlatform(p)} (${recipe.file} lists: ${supported.join(', ')})`, `build for ${supported.join(',')} or add the platform to the recipe`);
    }
  }
  const bases = DEFAULT_BASES[strategy];
  const target = input.push ? publishTarget(input.push) : undefined;
  const tags = [recipe.version, 'latest'];
  return {
    recipe: { name: recipe.name, version: recipe.version, file: recipe.file },
    strategy,
    bases,
    targets: input.platforms.map((platform) => {
      const slug = platformSlug(platform);
      return {
        platform: formatPlatform(platform),
        image: `mab/${recipe.name}:${recipe.version}-${slug}`,
        ...(target ? { pushRef: formatReference({ ...target, tag: `${recipe.version}-${slug}` }) } : {}),
        dockerfile: generateDockerfile(input.templates[strategy], strategy, recipe, platform, bases, input.recipePath),
        sources: recipe.sources.map((s) => resolveSource(s, platform, recipe.version)),
        smoke: recipe.smoke,
      };
    }),
    ...(target ? { publish: { repository: `${target.registry}/${target.repository}`, tags, indexFormat: input.indexFormat } } : {}),
  };
}

function publishTarget(push: string): Reference {
  const ref = parseReference(push);
  if (ref.tag || ref.digest) {
    throw new MabError('E_PUSH_TARGET', `--push takes a repository, not a tag or digest: "${push}"`, `mab tags it with the recipe's version and latest; pass e.g. ${ref.registry}/${ref.repository}`);
  }
  return ref;
}

export function resolveSource(s: SourceSpec, platform: Platform, version: string): ResolvedSource {
  const key = formatPlatform(platform);
  const sha256 = typeof s.sha256 === 'string' ? s.sha256 : s.sha256[key];
  if (!sha256) throw new MabError('E_SOURCE', `source ${s.file} has no sha256 for ${key}`, 'add it to the recipe');
  const vars: Record<string, string> = { debian_arch: platformInfo(platform).debian, arch: platformSlug(platform), version };
  const url = s.url.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
  return { file: s.file, url, sha256 };
}
