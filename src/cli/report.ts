import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError } from '../errors.js';
import { metadataRecords, readMetadata } from '../manifest/metadata.js';
import { findRecipe, listRecipes } from '../recipe/find.js';
import { baseLookup } from '../report/base.js';
import { budgetMessage, checkBudgets, parseBudgets } from '../report/budget.js';
import { reportMarkdown, reportText } from '../report/format.js';
import { reportHtml } from '../report/html.js';
import { sizeReport } from '../report/report.js';
import { buildRecord } from '../store/builds.js';
import type { Command } from './command.js';
import {
  REGISTRY_OPTIONS,
  imageSourceOf,
  printReport,
  recipesDir,
  reportFormatOf,
  storeDirOf,
  SHARED_OPTIONS,
} from './context.js';

export const report: Command = {
  name: 'report',
  args: 'TARGET',
  description: [
    'TARGET is a recipe (its latest build in the store), a store tag (sysbench:1.0.20-cross) or a',
    'registry reference (127.0.0.1:5000/mab/sysbench:1.0.20). For every platform: the download size',
    '(config + compressed layers) and the unpacked size; each layer with the instruction that made',
    'it, whether it came with the base image and whether other platforms share it; the largest',
    "files; bytes wasted on files that later layers overwrite or delete (dive's definition) and the",
    'efficiency score; build time and smoke results when mab built it into this store. Layers are',
    'streamed through gunzip and read as tar, never unpacked to disk.',
    "--max-size makes the command exit 1 when a platform's download size is over its budget.",
  ].join('\n'),
  options: {
    format: {
      type: 'string',
      value: 'FORMAT',
      default: 'text',
      choices: ['text', 'md'],
      description: 'text (a terminal table) or md (Markdown; also appended to $GITHUB_STEP_SUMMARY when set)',
    },
    json: { type: 'boolean', description: 'print the report as JSON (schema: docs/reports.md)' },
    html: {
      type: 'string',
      value: 'FILE',
      description:
        'also write a self-contained HTML page: the whole report, with bar charts of the sizes and of every layer (a log scale when they differ over 10×)',
    },
    'max-size': {
      type: 'string',
      value: '[PLATFORM=]SIZE',
      multiple: true,
      description:
        "budget for the download size, e.g. linux/arm64=60MB, or 60MB for every platform; replaces the recipe's max_size",
    },
    base: {
      type: 'string',
      value: 'IMAGE',
      description: 'base image to count shared layers against, when the store has no build record naming one',
    },
    top: {
      type: 'string',
      value: 'N',
      default: '10',
      description: 'largest files and wasted paths listed per platform',
    },
    store: SHARED_OPTIONS.store,
    recipes: { type: 'string', value: 'DIR', description: 'recipes directory (default: the bundled recipes/)' },
    metadata: {
      type: 'string',
      value: 'FILE',
      multiple: true,
      description:
        "build times and smoke results from these build metadata files (mab build --metadata-file, on split runners) instead of the store's records",
    },
    ...REGISTRY_OPTIONS,
  },
  examples: [
    'mab report sysbench',
    'mab report sysbench:1.0.20-cross --max-size linux/arm64=60MB --format md',
    'mab report 127.0.0.1:5000/mab/sysbench:1.0.20 --json',
  ],
  async run(args, opts, io) {
    const [target] = args;
    if (!target || args.length > 1)
      throw new MabError('E_USAGE', 'mab report takes one TARGET', 'e.g. mab report sysbench');
    const format = reportFormatOf(opts);
    const top = Number(opts.top);
    if (!Number.isInteger(top) || top < 0)
      throw new MabError('E_USAGE', `--top "${String(opts.top)}" is not a whole number`);
    const budgets = parseBudgets((opts['max-size'] as string[] | undefined) ?? []);
    const source = await imageSourceOf(target, opts, io);
    const storeDir = source.kind === 'store' ? storeDirOf(opts, io) : undefined;
    // Build times and smoke results: the store's records, or split runners' metadata files.
    const files = (opts.metadata as string[] | undefined) ?? [];
    const fromFiles = files.length
      ? metadataRecords(await Promise.all(files.map((f) => readMetadata(path.resolve(io.cwd, f)))))
      : undefined;
    const recipes = recipesDir(opts, io);
    const r = await sizeReport(source, {
      top,
      base: baseLookup(io.env),
      // The recipe as it is now: it names the kept paths of the template's copy step.
      recipe: async (n) => ((await listRecipes(recipes)).includes(n) ? findRecipe(n, recipes) : undefined),
      ...(opts.base ? { baseName: String(opts.base) } : {}),
      ...(fromFiles
        ? { builds: async (d: string) => fromFiles.get(d) }
        : storeDir
          ? { builds: (d: string) => buildRecord(storeDir, d) }
          : {}),
    });
    // --max-size replaces the recipe's max_size; without it, the recipe's budgets apply.
    const fromRecipe =
      !Object.keys(budgets).length && r.recipe && (await listRecipes(recipesDir(opts, io))).includes(r.recipe)
        ? (await findRecipe(r.recipe, recipesDir(opts, io))).maxSize
        : {};
    const results = checkBudgets(r, Object.keys(budgets).length ? budgets : fromRecipe);
    if (opts.html) await writeFile(path.resolve(io.cwd, String(opts.html)), reportHtml(r));
    if (opts.json) {
      io.out(JSON.stringify({ ...r, ...(results.length ? { budgets: results } : {}) }, null, 2) + '\n');
    } else {
      const text = format === 'md' ? reportMarkdown(r) : reportText(r);
      const budgetLines = results.map((b) =>
        format === 'md' ? `- ${b.over ? '❌' : '✅'} ${budgetMessage(b)}` : budgetMessage(b),
      );
      await printReport(io, format, text + (budgetLines.length ? `\n${budgetLines.join('\n')}\n` : ''));
    }
    const over = results.filter((b) => b.over);
    if (over.length)
      throw new MabError(
        'E_BUDGET',
        `over budget: ${over.map(budgetMessage).join('; ')}`,
        'see the largest layers and files in the report; a multistage or minimal strategy may help, or raise --max-size',
      );
    return 0;
  },
};
