/**
 * The build plan: everything `mab build` will do, resolved up front and without Docker, so that
 * `mab build --print` can show it and the executor only consumes it (buildx bake's --print idea).
 */
import path from 'node:path';
import { MabError } from '../errors.js';
import { formatPlatform, platformInfo, platformSlug, type Platform } from '../platform/platform.js';
import { parseReference, repositoryName, type Reference } from '../ref/reference.js';
import type { IndexFormat } from '../oci/types.js';
import {
  STRATEGY_NAMES,
  type ArtifactSpec,
  type Recipe,
  type SmokeCheck,
  type SourceSpec,
  type Strategy,
  type Unpack,
} from '../recipe/types.js';
import { recipeFor } from '../recipe/for-platform.js';
import { perPlatform, platformTags, semverTags, templateTags } from './tags.js';
import { aptInstalls, generateDockerfile } from '../dockerfile/generate.js';
import { STRATEGY_PARAMS, strategySupport } from '../dockerfile/strategies.js';

/**
 * A source or artifact for one platform, with its URL expanded. `url` files are pinned by sha256
 * (or md5);
 * a git tree by its commit; a Debian source package by the sha256 of its .dsc (at `url`).
 * Artifacts are `url` files with the `path` they take in the image.
 */
export type ResolvedSource =
  | { kind: 'url'; file: string; url: string; sha256?: string; md5?: string; unpack?: Unpack; path?: string }
  | { kind: 'git'; file: string; url: string; commit: string; paths?: string[] }
  | { kind: 'debian'; file: string; url: string; sha256: string }
  | {
      kind: 'apt';
      file: string;
      repo: string;
      suite: string;
      component: string;
      package: string;
      version: string;
      arch: string;
      key: string;
      fingerprint: string;
    };

/** A file copied from the host into the build context. */
export interface ContextFile {
  from: string;
  to: string;
  /** The directory `from` must really be inside, symlinks resolved (a recipe's own directory). */
  within?: string;
}

/**
 * A Debian package the platform's build installs: for the target's architecture (arch, Debian's
 * name), or, with arch absent, the build platform's (a cross build's tools); at is where the recipe
 * names it. The Dockerfile already holds the names: these are for the package preflight.
 */
export interface PlannedPackage {
  name: string;
  arch?: string;
  at?: string;
}

export interface TargetPlan {
  platform: Platform;
  /** Image name in the local engine. */
  image: string;
  dockerfile: string;
  sources: ResolvedSource[];
  artifacts: ResolvedSource[];
  files: ContextFile[];
  smoke: SmokeCheck[];
  packages: PlannedPackage[];
  /**
   * SOURCE_DATE_EPOCH: the time BuildKit writes into the image config and its history, and the
   * one file times in the image's own layers are clamped to, so that a rebuild gives the same
   * digest (docs/supply-chain.md). Undefined: build times, and no two builds alike.
   */
  sourceDateEpoch?: number;
}

export interface BuildPlan {
  recipe: { name: string; version: string; file: string };
  /** Ids of the build secrets the recipe needs (their values are never part of a plan). */
  secrets: string[];
  strategy: Strategy;
  bases: { build: string; runtime?: string };
  /** org.opencontainers.image.* annotations of the index, beside the recipe, version and strategy. */
  annotations: Record<string, string>;
  /** The attestations stored with each image and pushed in an OCI index (--sbom, --provenance). */
  attest?: { sbom: boolean; provenance: boolean };
  targets: TargetPlan[];
  /**
   * tags: with tagRule semver, the most a push moves (VERSION, MAJOR.MINOR, MAJOR, latest; the
   * floating ones only when no higher release is in the repository: src/plan/tags.ts); with
   * explicit, exactly the --tag templates expanded; with by-digest, none: each platform's manifest
   * goes up by digest alone, for a later `mab manifest merge` (split CI runners).
   */
  publish?: {
    /** Registry and repository; never a tag or digest (publishTarget refuses them). */
    repository: Reference;
    tags: string[];
    tagRule: TagRule;
    indexFormat: IndexFormat;
    platformTags?: Record<string, string[]>;
    /** Attach each image's attestations as OCI 1.1 referrers too. */
    referrers?: boolean;
  };
}

export interface PlanInput {
  recipe: Recipe;
  /** Path shown in generated files (relative to the project when possible). */
  recipePath: string;
  /** undefined: cross when the recipe supports it (no emulated step), else multistage, else its first. */
  strategy?: string;
  platforms: Platform[];
  template: { dockerfile: string; dir: string };
  push?: string;
  /** --tag templates; without them the semver rule applies. */
  tags?: string[];
  /** Push platform manifests by digest only: no tags, no index. */
  byDigest?: boolean;
  /** Attach the attestations as OCI 1.1 referrers too. */
  referrers?: boolean;
  indexFormat: IndexFormat;
  /** quick (default): skip checks marked slow; all: run every check. */
  smoke?: 'quick' | 'all';
  /** The git checkout the recipe is in: the images' source, revision and created labels. */
  checkout?: { source?: string; revision: string; created?: string };
  /** SOURCE_DATE_EPOCH (--source-date-epoch, the environment, or the checkout's commit time). */
  sourceDateEpoch?: number;
  /** --label KEY=VALUE: over every other label. */
  labels?: Record<string, string>;
  attest?: BuildPlan['attest'];
}

export function supportedStrategies(recipe: Recipe): Strategy[] {
  return STRATEGY_NAMES.filter((s) => {
    const v = strategySupport(recipe, s);
    return v !== undefined && 'keep' in v;
  });
}

export function chooseStrategy(recipe: Recipe, requested: string | undefined): Strategy {
  const supported = supportedStrategies(recipe);
  // Cross when the recipe can: the same image as multistage without emulating a single build step.
  if (requested === undefined)
    return supported.includes('cross') ? 'cross' : supported.includes('multistage') ? 'multistage' : supported[0]!;
  if (!(STRATEGY_NAMES as readonly string[]).includes(requested)) {
    throw new MabError('E_STRATEGY', `unknown strategy "${requested}"`, `use one of: ${STRATEGY_NAMES.join(', ')}`);
  }
  const s = strategySupport(recipe, requested as Strategy);
  if (!s || !('keep' in s)) {
    const why = s && 'unsupported' in s ? `: ${s.unsupported}` : '';
    throw new MabError(
      'E_STRATEGY_UNSUPPORTED',
      `recipe ${recipe.name} does not support the ${requested} strategy${why}`,
      `use one it supports: ${supported.join(', ')}`,
    );
  }
  return requested as Strategy;
}

export function checkPlatforms(recipe: Recipe, platforms: Platform[]): void {
  const supported = recipe.platforms.map(formatPlatform);
  for (const p of platforms) {
    const key = formatPlatform(p);
    if (supported.includes(key)) continue;
    const reason = recipe.unsupported[key];
    throw new MabError(
      'E_PLATFORM_UNSUPPORTED',
      `recipe ${recipe.name} does not support ${key}${reason ? `: ${reason}` : ` (${recipe.file} lists: ${supported.join(', ')})`}`,
      `build for ${supported.join(',')}${reason ? '' : ' or add the platform to the recipe'}`,
    );
  }
}

export function planBuild(input: PlanInput): BuildPlan {
  const { recipe } = input;
  const strategy = chooseStrategy(recipe, input.strategy);
  checkPlatforms(recipe, input.platforms);
  const target = input.push ? publishTarget(input.push) : undefined;
  const params = STRATEGY_PARAMS[strategy];
  const derived = checkoutLabels(input.checkout);
  const recipeFiles = path.join(path.dirname(recipe.file), recipe.name);
  const files: ContextFile[] = [
    ...recipe.files.map((f) => ({ from: path.join(recipeFiles, f), to: `files/${f}`, within: recipeFiles })),
    ...(params.collect === 'closure'
      ? [{ from: path.join(input.template.dir, 'collect-closure.sh'), to: 'mab/collect-closure.sh' }]
      : []),
    ...(params.cross ? [{ from: path.join(input.template.dir, 'unpack-target.sh'), to: 'mab/unpack-target.sh' }] : []),
  ];
  return {
    recipe: { name: recipe.name, version: recipe.version, file: recipe.file },
    secrets: recipe.secrets,
    strategy,
    bases: { build: params.build, ...(params.runtime ? { runtime: params.runtime } : {}) },
    annotations: indexAnnotations(derived, recipe.labels, input.labels),
    ...(input.attest ? { attest: input.attest } : {}),
    targets: input.platforms.map((platform) => {
      const slug = platformSlug(platform);
      const r = recipeFor(recipe, platform);
      return {
        platform,
        image: `mab/${recipe.name}:${recipe.version}-${strategy}-${slug}`,
        dockerfile: generateDockerfile(input.template.dockerfile, strategy, recipe, platform, input.recipePath, {
          derived,
          ...(input.labels ? { given: input.labels } : {}),
        }),
        sources: r.sources.map((s) => resolveSource(s, platform, recipe.version)),
        artifacts: r.artifacts.map((a) => resolveSource({ kind: 'url', ...a }, platform, recipe.version)),
        files,
        smoke: input.smoke === 'all' ? r.smoke : r.smoke.filter((s) => !s.slow),
        packages: plannedPackages(recipe, strategy, platform),
        ...(input.sourceDateEpoch !== undefined ? { sourceDateEpoch: input.sourceDateEpoch } : {}),
      };
    }),
    ...(target
      ? {
          publish: {
            repository: target,
            ...publishTags(input, recipe.version, strategy),
            indexFormat: input.indexFormat,
            ...(input.referrers ? { referrers: true } : {}),
          },
        }
      : {}),
  };
}

/**
 * The plan as `mab build --print` shows it: platforms and the repository in their written forms
 * ("linux/arm/v7", "127.0.0.1:5000/mab/sysbench"), as a user passes them, while the plan itself
 * keeps them parsed from the command line on.
 */
export function planJson(plan: BuildPlan): unknown {
  return {
    ...plan,
    targets: plan.targets.map((t) => ({ ...t, platform: formatPlatform(t.platform) })),
    ...(plan.publish ? { publish: { ...plan.publish, repository: repositoryName(plan.publish.repository) } } : {}),
  };
}

/** As docker/metadata-action names them; the index carries the same as annotations. */
function checkoutLabels(c: PlanInput['checkout']): Record<string, string> {
  if (!c) return {};
  return {
    ...(c.source ? { 'org.opencontainers.image.source': c.source } : {}),
    'org.opencontainers.image.revision': c.revision,
    ...(c.created ? { 'org.opencontainers.image.created': c.created } : {}),
  };
}

/** The index says what its images' labels say of where they come from and when. */
function indexAnnotations(...layers: (Record<string, string> | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['source', 'revision', 'created'].map((k) => `org.opencontainers.image.${k}`))
    for (const l of layers) if (l?.[key] !== undefined) out[key] = l[key];
  return out;
}

function plannedPackages(recipe: Recipe, strategy: Strategy, platform: Platform): PlannedPackage[] {
  const seen = new Set<string>();
  return aptInstalls(recipe, strategy, platform).flatMap(({ name, arch }) => {
    const key = `${name}:${arch ?? ''}`;
    if (seen.has(key)) return [];
    seen.add(key);
    const at = recipe.packageAt?.[name]?.[0];
    return [{ name, ...(arch ? { arch } : {}), ...(at ? { at } : {}) }];
  });
}

type TagRule = 'semver' | 'explicit' | 'by-digest';

function publishTags(
  input: PlanInput,
  version: string,
  strategy: string,
): { tags: string[]; tagRule: TagRule; platformTags?: Record<string, string[]> } {
  const templates = input.tags ?? [];
  if (input.byDigest) {
    if (templates.length)
      throw new MabError(
        'E_USAGE',
        '--by-digest pushes no tags, so it takes no --tag',
        'tag when merging: mab manifest merge METADATA... --tag TEMPLATE',
      );
    return { tags: [], tagRule: 'by-digest' };
  }
  const forIndex = templates.filter((t) => !perPlatform(t));
  const tags = forIndex.length ? templateTags(forIndex, { version, strategy }) : semverTags(version, []);
  const tagRule = forIndex.length ? 'explicit' : 'semver';
  if (!templates.some(perPlatform)) return { tags, tagRule };
  return {
    tags,
    tagRule,
    platformTags: platformTags(templates, { version, strategy }, input.platforms, tags),
  };
}

function publishTarget(push: string): Reference {
  const ref = parseReference(push);
  if (ref.tag || ref.digest) {
    throw new MabError(
      'E_PUSH_TARGET',
      `--push takes a repository, not a tag or digest: "${push}"`,
      `mab tags it with the recipe's version and latest; pass e.g. ${ref.registry}/${ref.repository}`,
    );
  }
  return ref;
}

export function resolveSource(
  s: SourceSpec | (ArtifactSpec & { kind: 'url' }),
  platform: Platform,
  version: string,
): ResolvedSource {
  if (s.kind === 'git') return { ...s };
  if (s.kind === 'debian') return { kind: 'debian', file: s.file, url: dscUrl(s), sha256: s.sha256 };
  if (s.kind === 'apt') return { ...s, arch: platformInfo(platform).debian };
  const key = formatPlatform(platform);
  const algorithm = s.md5 ? 'md5' : 'sha256';
  const pins = s[algorithm];
  const digest = typeof pins === 'string' ? pins : pins?.[key];
  if (!digest)
    throw new MabError('E_SOURCE', `source ${s.file} has no ${algorithm} for ${key}`, 'add it to the recipe');
  const vars: Record<string, string> = {
    debian_arch: platformInfo(platform).debian,
    arch: platformSlug(platform),
    version,
  };
  const url = s.url.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
  return {
    kind: 'url',
    file: s.file,
    url,
    [algorithm]: digest,
    ...(s.unpack ? { unpack: s.unpack } : {}),
    ...('path' in s ? { path: s.path } : {}),
  };
}

/** Where a Debian archive keeps a source package's .dsc (Debian policy: pool/COMPONENT/PREFIX/SOURCE/). */
function dscUrl(s: Extract<SourceSpec, { kind: 'debian' }>): string {
  const prefix = s.package.startsWith('lib') ? s.package.slice(0, 4) : s.package[0];
  const version = s.version.replace(/^\d+:/, ''); // the epoch is not part of file names
  return `${s.archive.replace(/\/$/, '')}/pool/${s.component}/${prefix}/${s.package}/${s.package}_${version}.dsc`;
}
