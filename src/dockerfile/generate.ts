/**
 * Recipe × strategy × platform → Dockerfile text. Pure: renders the template text it is given
 * with parameters from the recipe and the strategy (strategies.ts), then validates the result.
 */
import { formatPlatform, platformInfo, type Platform } from '../platform/platform.js';
import { recipeFor } from '../recipe/for-platform.js';
import type { CrossBuild, Recipe, Strategy } from '../recipe/types.js';
import { dockerQuote, execForm } from './quote.js';
import { STRATEGY_PARAMS, strategySupport } from './strategies.js';
import { renderTemplate, type TemplateVars } from './template.js';
import { validateDockerfile } from './validate.js';

/** Paths the runtime image keeps under a strategy: the recipe's, plus the strategy's extras. */
export function keptPaths(recipe: Recipe, strategy: Strategy): string[] {
  const s = strategySupport(recipe, strategy);
  return [...recipe.runtime.keep, ...(s && 'keep' in s ? s.keep : [])];
}

/** The template step a package is installed by (unpack: cross's target runtime packages, unpacked not installed). */
export type InstallStep = 'build' | 'cross' | 'inline' | 'runtime' | 'unpack';

/**
 * A Debian package the image's build installs, as the recipe names it (a `:arch` suffix removed
 * into arch), with the architecture it is installed for: the target's, or, with arch undefined,
 * the build platform's (a cross build's tools).
 */
export interface AptInstall {
  name: string;
  arch?: string;
  step: InstallStep;
  /** As apt-get is given it in that step. */
  spelled: string;
}

/** How the recipe builds on the build platform, for a strategy that does (cross, minimal-cross). */
function crossBuild(recipe: Recipe, strategy: Strategy): CrossBuild | undefined {
  const support = strategySupport(recipe, strategy);
  return STRATEGY_PARAMS[strategy].cross && support && 'keep' in support ? support.cross : undefined;
}

/** Every package the generated Dockerfile installs for the platform, in template order. */
export function aptInstalls(recipeAll: Recipe, strategy: Strategy, platform: Platform): AptInstall[] {
  const recipe = recipeFor(recipeAll, platform);
  const p = STRATEGY_PARAMS[strategy];
  const cross = crossBuild(recipe, strategy);
  const target = platformInfo(platform).debian;
  const each = (names: string[], step: InstallStep, arch: string | undefined) =>
    names.map((n): AptInstall => {
      const [name, qualifier] = n.split(':') as [string, string | undefined];
      const a = qualifier && qualifier !== 'any' && qualifier !== 'native' ? qualifier : arch;
      // A cross stage runs on the build platform: a target package is named with its arch there.
      return { name, ...(a ? { arch: a } : {}), step, spelled: step === 'cross' && a ? `${name}:${a}` : n };
    });
  if (cross)
    return [
      // readelf, for a closure read from the ELF files (collect-closure.sh --cross).
      ...each(p.collect === 'closure' && !cross.tools.includes('binutils') ? ['binutils'] : [], 'cross', undefined),
      ...each(cross.tools, 'cross', undefined),
      ...each(cross.packages, 'cross', target),
      ...each(recipe.runtime.packages, 'unpack', target),
    ];
  return [
    ...each(recipe.build.packages, 'build', target),
    // A single-stage image installs the runtime packages into the build stage itself.
    ...each(p.runtime === undefined ? recipe.runtime.packages : [], 'inline', target),
    ...each(p.runtimeApt ? recipe.runtime.packages : [], 'runtime', target),
  ];
}

/**
 * Labels beside the recipe's: derived ones (the checkout's source, revision and created), which the
 * recipe's own labels override, and given ones (--label), which override everything.
 */
export interface ExtraLabels {
  derived?: Record<string, string>;
  given?: Record<string, string>;
}

export function dockerfileVars(
  recipeAll: Recipe,
  strategy: Strategy,
  platform: Platform,
  recipePath: string,
  extra: ExtraLabels = {},
): TemplateVars {
  const recipe = recipeFor(recipeAll, platform);
  const p = STRATEGY_PARAMS[strategy];
  const labels: Record<string, string | undefined> = {
    'org.opencontainers.image.title': recipe.name,
    'org.opencontainers.image.version': recipe.version,
    'org.opencontainers.image.description': recipe.description,
    'org.opencontainers.image.url': recipe.homepage,
    'org.opencontainers.image.licenses': recipe.license,
    ...extra.derived,
    ...recipe.labels,
    ...extra.given,
  };
  const cross = crossBuild(recipe, strategy);
  const arch = platformInfo(platform);
  const installs = aptInstalls(recipeAll, strategy, platform);
  const names = (step: InstallStep) => installs.filter((i) => i.step === step).map((i) => i.spelled);
  const apt = {
    build_packages: names('build').join(' '),
    cross_install: cross ? [...(cross.toolchain ? ['"$toolchain"'] : []), ...names('cross')].join(' ') : '',
    inline_runtime_packages: names('inline').join(' '),
    runtime_packages: names('runtime').join(' '),
  };
  return {
    ...apt,
    apt_cached: Object.values(apt).some((v) => v !== ''),
    recipe_file: recipePath,
    platform: formatPlatform(platform),
    strategy,
    debian_arch: arch.debian,
    build_from: cross ? `--platform=$BUILDPLATFORM ${p.build}` : p.build,
    runtime_base: p.runtime ?? '',
    runtime_stage: p.runtime !== undefined,
    cross: cross !== undefined,
    // Multiarch for the target only when target packages go into this stage: adding it makes
    // every apt-get update fetch the target's indexes too.
    cross_foreign: (cross?.packages.length ?? 0) > 0,
    cross_env: cross ? crossEnv(platform) : [],
    // cross: into /out, over the runtime base; minimal-cross: into /mab/root, for the closure.
    cross_unpack: p.collect === 'paths' ? names('unpack').join(' ') : '',
    cross_root: p.collect === 'closure' ? names('unpack').join(' ') : '',
    closure_args: cross && p.collect === 'closure' ? `--cross ${arch.gnu} /mab/root ` : '',
    has_sources: recipe.sources.length > 0,
    has_files: recipe.files.length > 0,
    build_steps: cross ? cross.steps : recipe.build.steps,
    apt_mounts: aptMounts(arch.debian),
    keep_debs_on: `printf '#clear DPkg::Post-Invoke;\\n#clear APT::Update::Post-Invoke;\\n' > ${KEEP_DEBS}`,
    keep_debs_off: `rm ${KEEP_DEBS}`,
    drop_install_logs: `rm -f ${INSTALL_LOGS.join(' ')}`,
    cross_apt_mounts: aptMounts(`cross-${arch.debian}`),
    step_mounts: [
      // The recipe's caches outlive the build, one per recipe, path and kind of build stage.
      ...recipe.build.caches.map(
        (dir) =>
          `--mount=type=cache,id=mab-${recipe.name}${cross ? '-cross' : ''}-${arch.debian}${dir.replace(/\/+/g, '-')},target=${dir}`,
      ),
      // Each step sees the recipe's build secrets as files, for that step only (nothing is stored).
      ...recipe.secrets.map((id) => `--mount=type=secret,id=${id},required`),
    ]
      .map((m) => `${m} `)
      .join(''),
    // Data files go straight into the final stage, one layer each, after everything built.
    artifacts: recipe.artifacts.map((a) => `artifacts/${a.file} ${a.path}`),
    collect_paths: p.collect === 'paths',
    collect_closure: p.collect === 'closure',
    // Relative to /, which is where the collection runs.
    keep: keptPaths(recipe, strategy)
      .map((k) => k.slice(1))
      .join(' '),
    env: Object.entries(recipe.env).map(([k, v]) => `${k}=${dockerQuote(v, `env ${k}`)}`),
    labels: Object.entries(labels)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${dockerQuote(v, `label ${k}`)}`),
    ports: recipe.ports,
    workdir: recipe.workdir,
    user: recipe.user,
    healthcheck: recipe.healthcheck
      ? [
          ...(recipe.healthcheck.interval ? [`--interval=${recipe.healthcheck.interval}`] : []),
          ...(recipe.healthcheck.timeout ? [`--timeout=${recipe.healthcheck.timeout}`] : []),
          ...(recipe.healthcheck.retries !== undefined ? [`--retries=${recipe.healthcheck.retries}`] : []),
          `CMD ${execForm(recipe.healthcheck.run)}`,
        ].join(' ')
      : undefined,
    entrypoint: execForm(recipe.entrypoint),
    cmd: recipe.cmd.length ? execForm(recipe.cmd) : undefined,
  };
}

/** Clears the base's docker-clean hooks (they delete the cached .debs) for one RUN only. */
export const KEEP_DEBS = '/etc/apt/apt.conf.d/zz-mab-keep-debs';

/**
 * What an install writes that says when it ran: dpkg's, apt's and update-alternatives' logs, and
 * ldconfig's aux-cache (the times and inodes of the libraries it read). Removed in the step that
 * wrote them, so its layer is the same in every build; the packages' own files stay.
 */
export const INSTALL_LOGS = [
  '/var/log/dpkg.log',
  '/var/log/alternatives.log',
  '/var/log/apt/history.log',
  '/var/log/apt/term.log',
  '/var/cache/ldconfig/aux-cache',
];

/**
 * BuildKit cache mounts for apt's package lists and downloaded .debs, so a step that reruns (a
 * changed package list, --no-cache) downloads only what changed. One pair per Debian architecture
 * (and per cross stage, whose lists are the build platform's plus the target's): a shared lists
 * directory would mix architectures, and `locked` only serialises steps of the same architecture.
 */
function aptMounts(key: string): string {
  return ['/var/cache/apt', '/var/lib/apt/lists']
    .map((dir) => `--mount=type=cache,id=mab-apt${dir.replace(/\//g, '-')}-${key},target=${dir},sharing=locked `)
    .join('');
}

/** What cross build steps find in their environment: Debian's, GNU's and Go's names for the target. */
function crossEnv(platform: Platform): string[] {
  const a = platformInfo(platform);
  const env = [
    `DEB_HOST_ARCH=${a.debian}`,
    `DEB_HOST_GNU_TYPE=${a.gnu}`,
    `CC=${a.gnu}-gcc`,
    `CXX=${a.gnu}-g++`,
    `PKG_CONFIG=${a.gnu}-pkg-config`,
    `GOOS=${platform.os}`,
    `GOARCH=${platform.architecture}`,
  ];
  if (platform.architecture === 'arm' && platform.variant) env.push(`GOARM=${platform.variant.slice(1)}`);
  return env;
}

export function generateDockerfile(
  template: string,
  strategy: Strategy,
  recipe: Recipe,
  platform: Platform,
  recipePath: string,
  extra: ExtraLabels = {},
): string {
  const where = `${recipe.name} (${strategy}, ${formatPlatform(platform)})`;
  const text = renderTemplate(
    template,
    dockerfileVars(recipe, strategy, platform, recipePath, extra),
    'templates/app.Dockerfile',
  );
  validateDockerfile(text, where);
  return text;
}
