import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { executePlan } from '../pipeline/execute.js';
import { MabError } from '../errors.js';
import { targetDigest } from '../plan/digest.js';
import { supportedStrategies, type BuildPlan } from '../plan/plan.js';
import { STRATEGY_NAMES } from '../recipe/types.js';
import { formatPlatform, samePlatform } from '../platform/platform.js';
import { findRecipe } from '../recipe/find.js';
import { baseLookup } from '../report/base.js';
import { compareMarkdown, compareReports, compareText } from '../report/compare.js';
import { compareHtml } from '../report/html.js';
import { sizeReport, type SizeReport } from '../report/report.js';
import { storeSource } from '../report/source.js';
import { buildRecord } from '../store/builds.js';
import { Store } from '../store/layout.js';
import { defaultCacheDir } from '../util/io.js';
import type { Command } from './command.js';
import {
  BUILDER_OPTION,
  JOBS_OPTION,
  SECRET_OPTION,
  buildLogger,
  secretsOf,
  hostOf,
  jobsOf,
  messageLogger,
  PROGRESS_OPTION,
  mirrorsOf,
  debianOf,
  PREFLIGHT_OPTIONS,
  printReport,
  recipesDir,
  reportFormatOf,
  storeDirOf,
  SHARED_OPTIONS,
} from './context.js';
import { buildersOf } from './config.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';

/** Whether the store already holds this plan's build: every platform, each from the same plan. */
async function upToDate(store: Store, tag: string, plan: BuildPlan): Promise<boolean> {
  if (!(await store.resolve(tag))) return false;
  const images = (await storeSource(store, tag)).images;
  if (
    images
      .map((i) => formatPlatform(i.platform))
      .sort()
      .join() !==
    plan.targets
      .map((t) => formatPlatform(t.platform))
      .sort()
      .join()
  )
    return false;
  for (const t of plan.targets) {
    const record = await buildRecord(
      store.dir,
      images.find((i) => samePlatform(i.platform, t.platform))!.manifest.digest,
    );
    if (record?.planDigest !== (await targetDigest(t))) return false;
  }
  return true;
}

export const compare: Command = {
  name: 'compare',
  args: 'RECIPE',
  description: [
    'Builds the recipe with each strategy (--strategy all: every one it supports) for each platform,',
    "reusing a strategy's build from the store when its plan (Dockerfile, pinned sources, context",
    'files, smoke checks) is unchanged. Then prints the strategy × platform matrix: download and',
    'unpacked size, each as a ratio to the single strategy (the baseline; else the first one),',
    'build time and smoke result. --html writes a self-contained page: bar charts of the matrix and',
    "of every image's layers (a log scale when sizes differ over 10×), and each strategy's size report.",
  ].join('\n'),
  options: {
    ...PLAN_OPTIONS,
    ...SECRET_OPTION,
    ...BUILDER_OPTION,
    ...PREFLIGHT_OPTIONS,
    strategy: {
      type: 'string',
      value: 'LIST',
      default: 'all',
      choices: ['all', ...STRATEGY_NAMES],
      description: 'strategies to compare, comma-separated, or all (every one the recipe supports)',
    },
    format: {
      type: 'string',
      value: 'FORMAT',
      default: 'text',
      choices: ['text', 'md'],
      description: 'text or md (Markdown; also appended to $GITHUB_STEP_SUMMARY when set)',
    },
    json: {
      type: 'boolean',
      description:
        "print the comparison as JSON (kind mab/compare, schemaVersion 1; each strategy's size report included)",
    },
    html: { type: 'string', value: 'FILE', description: 'also write a self-contained HTML page with the charts' },
    rebuild: { type: 'boolean', description: 'build every strategy even when the store has it' },
    smoke: {
      type: 'string',
      value: 'WHICH',
      default: 'quick',
      choices: ['quick', 'all'],
      description: 'smoke checks per image: quick or all',
    },
    mirror: SHARED_OPTIONS.mirror,
    cache: SHARED_OPTIONS.cache,
    store: SHARED_OPTIONS.store,
    jobs: JOBS_OPTION,
    ...PROGRESS_OPTION,
    verbose: { type: 'boolean', short: 'v', description: 'stream every line of build output' },
    quiet: SHARED_OPTIONS.quiet,
  },
  examples: [
    'mab compare http-endpoint-c --arch amd64,arm64',
    'mab compare sysbench --strategy single,cross --format md --html sizes.html',
  ],
  async run(args, opts, io) {
    const [name] = args;
    if (!name || args.length > 1)
      throw new MabError(
        'E_USAGE',
        'mab compare takes one RECIPE',
        'e.g. mab compare http-endpoint-c --arch amd64,arm64',
      );
    const format = reportFormatOf(opts);
    const recipe = await findRecipe(name, recipesDir(opts, io));
    const supported = supportedStrategies(recipe);
    const strategies =
      String(opts.strategy) === 'all'
        ? supported
        : String(opts.strategy)
            .split(',')
            .map((s) => s.trim());
    const log = messageLogger(io, opts);
    const dir = storeDirOf(opts, io);
    const store = await Store.open(dir);
    const base = baseLookup(io.env);
    const reports: Record<string, SizeReport> = {};
    const reused: Record<string, string[]> = {};
    for (const strategy of strategies) {
      const plan = await resolvePlan(name, { ...opts, strategy }, io);
      const tag = `${recipe.name}:${recipe.version}-${strategy}`;
      if (!opts.rebuild && (await upToDate(store, tag, plan))) {
        reused[strategy] = plan.targets.map((t) => formatPlatform(t.platform));
        log(`${strategy}: ${tag} in the store is up to date; reusing it`);
      } else {
        log(`${strategy}: building ${plan.targets.map((t) => formatPlatform(t.platform)).join(', ')}`);
        const progress = buildLogger(io, opts, strategy);
        const cacheDir = (opts.cache as string | undefined) ?? defaultCacheDir(io.env);
        // A platform the build found unchanged (same plan and bases, image still in the engine)
        // was not built either: its time is that of the stored build, as for a reused strategy.
        const built = await executePlan(plan, {
          host: hostOf(io),
          cacheDir,
          storeDir: dir,
          mirrors: mirrorsOf(opts, io),
          ...debianOf(opts, io, cacheDir, mirrorsOf(opts, io)),
          keepContext: false,
          jobs: jobsOf(opts),
          verbose: Boolean(opts.verbose),
          log: progress.log,
          secrets: secretsOf(opts, io),
          builders: await buildersOf(opts, io),
        }).finally(progress.done);
        reused[strategy] = built.platforms.filter((p) => p.unchanged).map((p) => p.platform);
      }
      reports[strategy] = await sizeReport(await storeSource(store, tag), {
        builds: (d) => buildRecord(dir, d),
        base,
        recipe: async (n) => (n === recipe.name ? recipe : undefined),
        top: 5,
      });
    }
    const c = compareReports(recipe.name, recipe.version, reports, reused);
    if (opts.html) {
      const file = path.resolve(io.cwd, String(opts.html));
      await writeFile(file, compareHtml(c, `${recipe.name} ${recipe.version}: image size by build strategy`));
      log(`wrote ${file}`);
    }
    if (opts.json) {
      io.out(JSON.stringify(c, null, 2) + '\n');
    } else {
      await printReport(io, format, format === 'md' ? compareMarkdown(c) : compareText(c));
    }
    return 0;
  },
};
