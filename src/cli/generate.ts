import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { contextEntries, makeContext } from '../pipeline/context.js';
import { formatPlatform, platformSlug } from '../platform/platform.js';
import { fetchAll } from '../source/fetch.js';
import { defaultCacheDir } from '../util/io.js';
import type { Command } from './command.js';
import { logger, mirrorsOf, SHARED_OPTIONS } from './context.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';

export const generate: Command = {
  name: 'generate',
  args: 'RECIPE',
  description: [
    'Renders and validates the Dockerfile of every requested platform. Without -o they go to stdout,',
    'one after another. With -o DIR, DIR/<arch>/ gets the complete build context: the Dockerfile, the',
    "recipe's files and its sources (fetched on the host and verified, as mab build does), ready for",
    '`docker buildx build --platform linux/<arch> DIR/<arch>`.',
  ].join('\n'),
  options: {
    ...PLAN_OPTIONS,
    output: {
      type: 'string',
      short: 'o',
      value: 'DIR',
      description: 'write a complete build context per platform into DIR/<arch>/',
    },
    mirror: SHARED_OPTIONS.mirror,
    cache: SHARED_OPTIONS.cache,
    json: {
      type: 'boolean',
      description:
        "print each platform's Dockerfile and its build context's files (path, and the pinned source or recipe file each comes from) as JSON on stdout; with -o, where each context was written",
    },
  },
  examples: [
    'mab generate sysbench --arch arm64',
    'mab generate http-endpoint-c --strategy minimal -o build/',
    'mab generate sysbench --platform linux/arm64 --json',
    'docker buildx build --platform linux/arm64 build/arm64',
  ],
  async run(args, opts, io) {
    const plan = await resolvePlan(args[0], opts, io);
    const json = (written?: (t: (typeof plan.targets)[number]) => string) =>
      io.out(
        JSON.stringify(
          {
            schemaVersion: 1,
            recipe: { name: plan.recipe.name, version: plan.recipe.version },
            strategy: plan.strategy,
            targets: plan.targets.map((t) => ({
              platform: formatPlatform(t.platform),
              dockerfile: t.dockerfile,
              context: contextEntries(t).map((e) => (e.from ? { ...e, from: path.relative(io.cwd, e.from) } : e)),
              ...(written ? { output: written(t) } : {}),
            })),
          },
          null,
          2,
        ) + '\n',
      );
    if (!opts.output && opts.json) {
      json();
      return 0;
    }
    if (!opts.output) {
      for (const t of plan.targets)
        io.out(plan.targets.length > 1 ? `# ---- ${formatPlatform(t.platform)} ----\n${t.dockerfile}\n` : t.dockerfile);
      return 0;
    }
    const cached = await fetchAll(
      plan,
      (opts.cache as string | undefined) ?? defaultCacheDir(io.env),
      mirrorsOf(opts, io),
      logger(io, false),
    );
    // Every context is made beside its place first and moved there only when all of them are
    // whole: a failure leaves DIR as it was, not half written.
    const staged: { tmp: string; dir: string; t: (typeof plan.targets)[number] }[] = [];
    try {
      for (const t of plan.targets) {
        const dir = path.resolve(io.cwd, opts.output as string, platformSlug(t.platform));
        const tmp = `${dir}.tmp-${process.pid}`;
        staged.push({ tmp, dir, t });
        await rm(tmp, { recursive: true, force: true });
        await makeContext(t, cached, tmp);
      }
    } catch (e) {
      for (const { tmp } of staged) await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    for (const { tmp, dir, t } of staged) {
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      io.err(
        `wrote ${dir}/ (Dockerfile${t.files.length ? `, ${t.files.length} file(s)` : ''}${t.sources.length ? `, ${t.sources.length} source(s)` : ''})\n`,
      );
    }
    if (opts.json) json((t) => staged.find((s) => s.t === t)!.dir);
    return 0;
  },
};
