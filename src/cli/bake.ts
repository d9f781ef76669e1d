import path from 'node:path';
import { secretSpec } from '../engine/secrets.js';
import { MabError } from '../errors.js';
import { BAKE_DIR_VARIABLE, writeBake, type BakeStrategy } from '../pipeline/bake.js';
import { supportedStrategies } from '../plan/plan.js';
import { STRATEGY_NAMES } from '../recipe/types.js';
import { findRecipe } from '../recipe/find.js';
import { fetchAll } from '../source/fetch.js';
import { defaultCacheDir } from '../util/io.js';
import type { Command } from './command.js';
import { logger, mirrorsOf, recipesDir, secretsOf, SECRET_OPTION, SHARED_OPTIONS } from './context.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';

export const bake: Command = {
  name: 'bake',
  args: 'RECIPE',
  description: [
    'For teams on `docker buildx bake`: writes DIR/docker-bake.json and, beside it, the complete build',
    "context of every target (DIR/STRATEGY/ARCH/: the generated Dockerfile, the recipe's files and",
    'its sources, fetched and verified on the host as mab build does). Targets are named',
    'RECIPE-STRATEGY-ARCH and tagged as mab build tags its images; there is a group per strategy',
    "and a default group of all. The recipe's build secrets are passed as given with --secret.",
    "mab's own steps after the build (smoke checks, the store, the index) are not part of bake.",
    `The file names no path of this machine, so it can be committed: contexts are \${${BAKE_DIR_VARIABLE}}/STRATEGY/ARCH,`,
    "and since buildx resolves them from the directory it runs in, the variable's default is DIR as",
    `seen from where mab bake ran; from elsewhere, set ${BAKE_DIR_VARIABLE}=DIR (as seen from there) in the environment.`,
  ].join('\n'),
  options: {
    ...PLAN_OPTIONS,
    strategy: {
      type: 'string',
      value: 'LIST',
      default: 'all',
      choices: ['all', ...STRATEGY_NAMES],
      description: 'strategies to write targets for, comma-separated, or all (every one the recipe supports)',
    },
    output: {
      type: 'string',
      short: 'o',
      value: 'DIR',
      description: 'where docker-bake.json and the build contexts go (required)',
    },
    ...SECRET_OPTION,
    mirror: SHARED_OPTIONS.mirror,
    cache: SHARED_OPTIONS.cache,
    json: {
      type: 'boolean',
      description: `print what was written as JSON on stdout: the file, the variables' defaults, each target's strategy, platform, context and tags, and the groups`,
    },
  },
  examples: [
    'mab bake sysbench -o build/',
    'docker buildx bake -f build/docker-bake.json sysbench-cross-arm64 --load',
    `cd build && ${BAKE_DIR_VARIABLE}=. docker buildx bake sysbench-cross-arm64 --load`,
  ],
  async run(args, opts, io) {
    const [name] = args;
    if (!name || args.length > 1)
      throw new MabError('E_USAGE', 'mab bake takes one RECIPE', 'e.g. mab bake sysbench -o build/');
    if (!opts.output) throw new MabError('E_USAGE', 'mab bake needs -o DIR', 'e.g. mab bake sysbench -o build/');
    const out = path.resolve(io.cwd, String(opts.output));
    const recipe = await findRecipe(name, recipesDir(opts, io));
    const strategies =
      String(opts.strategy) === 'all'
        ? supportedStrategies(recipe)
        : String(opts.strategy)
            .split(',')
            .map((s) => s.trim());
    const given = secretsOf(opts, io);
    const log = logger(io, false);
    const cacheDir = (opts.cache as string | undefined) ?? defaultCacheDir(io.env);
    const planned: BakeStrategy[] = [];
    for (const strategy of strategies) {
      const plan = await resolvePlan(name, { ...opts, strategy }, io);
      // Declared ones must be given; their values are read when bake runs, not now.
      const missing = plan.secrets.filter((id) => !given.some((s) => s.id === id));
      if (missing.length)
        throw new MabError(
          'E_SECRET',
          `recipe ${recipe.file} needs the build secret "${missing[0]}"`,
          `pass it as mab build takes it: --secret id=${missing[0]},env=VARIABLE or --secret id=${missing[0]},src=FILE`,
        );
      planned.push({ strategy, plan, cached: await fetchAll(plan, cacheDir, mirrorsOf(opts, io), log) });
    }
    const written = await writeBake(recipe.name, planned, { out, cwd: io.cwd, secrets: given.map(secretSpec) });
    log(`wrote ${written.file}: ${written.groups.default!.length} targets (${strategies.join(', ')})`);
    io.out(opts.json ? JSON.stringify(written, null, 2) + '\n' : `${written.file}\n`);
    return 0;
  },
};
