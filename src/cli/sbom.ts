import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { imageSbom } from '../supply/sbom.js';
import { MabError } from '../errors.js';
import { parsePlatformList, samePlatform } from '../platform/platform.js';
import type { Command } from './command.js';
import { REGISTRY_OPTIONS, SHARED_OPTIONS, imageSourceOf, platformsOption } from './context.js';
import { mabVersion } from './root.js';

export const sbom: Command = {
  name: 'sbom',
  args: 'TARGET',
  description: [
    'Writes an SPDX 2.3 JSON document per platform of TARGET (a recipe, a store tag or a registry',
    'reference, as mab report takes it), from what each image holds: every Debian package dpkg lists',
    'as installed, with version, architecture, source package, purl, and the licenses of its',
    'machine-readable copyright file. With several platforms the output is a JSON array.',
  ].join('\n'),
  options: {
    arch: platformsOption('only these platforms, comma-separated (default: every one)'),
    output: { type: 'string', value: 'FILE', description: 'write the document here instead of stdout' },
    ...SHARED_OPTIONS,
    ...REGISTRY_OPTIONS,
  },
  examples: ['mab sbom sysbench --arch arm64', 'mab sbom 127.0.0.1:5000/mab/sysbench:1.0.20 --output sbom.json'],
  async run(args, opts, io) {
    const [target] = args;
    if (!target) throw new MabError('E_USAGE', 'no target given', 'e.g. mab sbom sysbench');
    const source = await imageSourceOf(target, opts, io);
    const only = opts.arch ? parsePlatformList(opts.arch as string) : undefined;
    const images = source.images.filter((i) => !only || only.some((p) => samePlatform(p, i.platform)));
    if (!images.length)
      throw new MabError('E_PLATFORM', `${source.name} has no image for ${String(opts.arch)}`, 'leave out --arch');
    const docs = [];
    for (const i of images)
      docs.push(
        await imageSbom({
          name: source.name,
          image: { platform: i.platform, digest: i.manifest.digest, layers: i.layers, config: i.config },
          open: source.open,
          tool: `mab-${mabVersion()}`,
        }),
      );
    const text = JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n';
    if (opts.output) await writeFile(path.resolve(io.cwd, opts.output as string), text);
    else io.out(text);
    return 0;
  },
};
