import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { platformSlug, parsePlatform } from '../platform/platform.js';
import type { Command } from './command.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';

export const generate: Command = {
  name: 'generate',
  args: 'RECIPE',
  summary: 'write the generated Dockerfile for each platform, without building',
  description: 'Renders and validates the Dockerfile of every requested platform. Without -o they go to stdout,\none after another; with -o DIR each goes to DIR/<arch>/Dockerfile.',
  options: {
    ...PLAN_OPTIONS,
    output: { type: 'string', short: 'o', value: 'DIR', description: 'write DIR/<arch>/Dockerfile instead of printing' },
  },
  examples: ['mab generate sysbench --arch arm64', 'mab generate sysbench -o build/'],
  async run(args, opts, io) {
    const plan = await resolvePlan(args[0], opts, io);
    for (const t of plan.targets) {
      if (!opts.output) {
        io.out(plan.targets.length > 1 ? `# ---- ${t.platform} ----\n${t.dockerfile}\n` : t.dockerfile);
        continue;
      }
      const dir = path.resolve(io.cwd, opts.output as string, platformSlug(parsePlatform(t.platform)));
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'Dockerfile'), t.dockerfile);
      io.err(`wrote ${path.join(dir, 'Dockerfile')}\n`);
    }
    return 0;
  },
};
