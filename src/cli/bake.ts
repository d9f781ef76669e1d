import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeContext } from '../pipeline/context.js';
import { secretSpec } from '../engine/secrets.js';
import { MabError } from '../errors.js';
import { supportedStrategies } from '../plan/plan.js';
import { formatPlatform, platformSlug } from '../platform/platform.js';
import { findRecipe } from '../recipe/find.js';
import { fetchAll } from '../source/fetch.js';
import { defaultCacheDir } from '../util/io.js';
import type { Command } from './command.js';
import { logger, mirrorsOf, recipesDir, secretsOf, SECRET_OPTION, SHARED_OPTIONS } from './context.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';

/** The parts of buildx bake's JSON file format (docs.docker.com/build/bake/reference) mab writes. */
interface BakeTarget {
  context: string;
  dockerfile: string;
  platforms: string[];
  tags: string[];
  secret?: string[];
}

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
  ].join('\n'),
  options: {
    ...PLAN_OPTIONS,
    strategy: {
      type: 'string',
      value: 'LIST',
      default: 'all',
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
  },
  examples: ['mab bake sysbench -o build/', 'docker buildx bake -f build/docker-bake.json sysbench-cross-arm64 --load'],
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
    const secrets = given.map(secretSpec);
    const log = logger(io, false);
    const target: Record<string, BakeTarget> = {};
    const group: Record<string, { targets: string[] }> = { default: { targets: [] } };
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
      const cached = await fetchAll(
        plan,
        (opts.cache as string | undefined) ?? defaultCacheDir(io.env),
        mirrorsOf(opts, io),
        log,
      );
      group[strategy] = { targets: [] };
      for (const t of plan.targets) {
        const arch = platformSlug(t.platform);
        const id = `${recipe.name}-${strategy}-${arch}`.replace(/[^A-Za-z0-9_-]/g, '-');
        await makeContext(t, cached, path.join(out, strategy, arch));
        target[id] = {
          context: path.join(out, strategy, arch),
          dockerfile: 'Dockerfile',
          platforms: [formatPlatform(t.platform)],
          tags: [t.image],
          ...(plan.secrets.length ? { secret: secrets } : {}),
        };
        group[strategy]!.targets.push(id);
        group.default!.targets.push(id);
      }
    }
    const file = path.join(out, 'docker-bake.json');
    await writeFile(file, JSON.stringify({ group, target }, null, 2) + '\n');
    log(`wrote ${file}: ${group.default!.targets.length} targets (${strategies.join(', ')})`);
    io.out(`${file}\n`);
    return 0;
  },
};
