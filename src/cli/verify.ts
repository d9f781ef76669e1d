import { MabError } from '../errors.js';
import { verifyRebuild } from '../pipeline/rebuild.js';
import { STRATEGY_NAMES } from '../recipe/types.js';
import { formatDiff } from '../report/image-diff.js';
import { defaultCacheDir } from '../util/io.js';
import type { Command } from './command.js';
import {
  JOBS_OPTION,
  PREFLIGHT_OPTIONS,
  REGISTRY_OPTIONS,
  SECRET_OPTION,
  SHARED_OPTIONS,
  buildLogger,
  debianOf,
  hostOf,
  imageSourceOf,
  jobsOf,
  mirrorsOf,
  secretsOf,
} from './context.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';

const [strategy, recipes, templates, label] = [
  PLAN_OPTIONS.strategy!,
  PLAN_OPTIONS.recipes!,
  PLAN_OPTIONS.templates!,
  PLAN_OPTIONS.label!,
];

export const verify: Command = {
  name: 'verify',
  args: 'REF',
  description: [
    'REF is a store tag (sysbench:1.0.20, or a recipe for its latest build) or a registry reference.',
    '--rebuild builds the recipe REF names again, from clean caches (every step run, a store of its',
    "own), with REF's recipe, version, strategy, platforms and SOURCE_DATE_EPOCH (its created label),",
    "and compares each platform's manifest digest with REF's. Where one differs, it names what does:",
    'the config fields, and layer by layer each file whose content, mode, owner, time or link differs',
    'and each path only one of them has. Exits 1 when any platform differs. The rebuilt images stay',
    'in the engine as mab/RECIPE:…-rebuild. See docs/supply-chain.md for what reproduces.',
  ].join('\n'),
  options: {
    rebuild: { type: 'boolean', description: 'build REF again from its recipe and compare, file by file' },
    strategy: {
      ...strategy,
      description: `strategy of the rebuild: ${STRATEGY_NAMES.join(', ')}; default: the one REF's index names, else the recipe's default`,
    },
    recipes,
    templates,
    label: { ...label, description: `${label.description}: the --label values REF was built with` },
    'source-date-epoch': {
      type: 'string',
      value: 'SECONDS',
      description: "SOURCE_DATE_EPOCH of the rebuild (default: REF's created label, else its config's created)",
    },
    store: SHARED_OPTIONS.store,
    cache: SHARED_OPTIONS.cache,
    mirror: SHARED_OPTIONS.mirror,
    ...REGISTRY_OPTIONS,
    ...SECRET_OPTION,
    ...PREFLIGHT_OPTIONS,
    jobs: JOBS_OPTION,
    verbose: { type: 'boolean', short: 'v', description: 'stream every line of the rebuild' },
    quiet: SHARED_OPTIONS.quiet,
    json: { type: 'boolean', description: 'print the comparison as JSON (every differing file)' },
  },
  examples: [
    'mab verify sysbench:1.0.20 --rebuild',
    'mab verify 127.0.0.1:5000/mab/sysbench:1.0.20 --rebuild --strategy cross',
  ],
  async run(args, opts, io) {
    const [ref] = args;
    if (!ref || args.length > 1) throw new MabError('E_USAGE', 'mab verify takes one REF', 'e.g. mab verify sysbench');
    if (!opts.rebuild) throw new MabError('E_USAGE', 'say what to verify', `--rebuild: mab verify ${ref} --rebuild`);
    const source = await imageSourceOf(ref, opts, io);
    const progress = buildLogger(io, opts);
    const cacheDir = (opts.cache as string | undefined) ?? defaultCacheDir(io.env);
    const mirrors = mirrorsOf(opts, io);
    const result = await verifyRebuild(
      source,
      (spec) =>
        resolvePlan(
          spec.recipe,
          {
            ...opts,
            arch: spec.platforms.join(','),
            strategy: (opts.strategy as string | undefined) ?? spec.strategy,
            'source-date-epoch': (opts['source-date-epoch'] as string | undefined) ?? spec.epoch?.toString(),
            // An image with no revision label was built with none: the rebuild adds none either.
            'no-git-labels': !spec.revision,
          },
          io,
        ),
      {
        host: hostOf(io),
        cacheDir,
        mirrors,
        ...debianOf(opts, io, cacheDir, mirrors),
        secrets: secretsOf(opts, io),
        jobs: jobsOf(opts),
        verbose: Boolean(opts.verbose),
        log: progress.log,
      },
    ).finally(progress.done);
    io.out(
      opts.json
        ? JSON.stringify({ schemaVersion: 1, ...result }, null, 2) + '\n'
        : `${formatDiff(result.diffs)}\nrebuilt in ${result.seconds.toFixed(0)} s\n`,
    );
    if (!result.reproduced)
      throw new MabError(
        'E_NOT_REPRODUCED',
        `${ref}: ${result.diffs.filter((d) => !d.same).length} of ${result.diffs.length} platforms built to another digest`,
        'the paths above are what differs; docs/supply-chain.md says what reproduces and why',
      );
    return 0;
  },
};
