import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cycloneDxOf } from '../supply/cyclonedx.js';
import { imageSbom } from '../supply/sbom.js';
import { MabError } from '../errors.js';
import { parsePlatformList, samePlatform } from '../platform/platform.js';
import type { Command } from './command.js';
import { REGISTRY_OPTIONS, SHARED_OPTIONS, imageSourceOf, platformsOption } from './context.js';
import { mabVersion } from './root.js';

const FORMATS = ['spdx', 'cyclonedx'];

export const sbom: Command = {
  name: 'sbom',
  args: 'TARGET',
  description: [
    'Writes an SPDX 2.3 JSON document per platform of TARGET (a recipe, a store tag or a registry',
    'reference, as mab report takes it), from what each image holds: every Debian package dpkg lists',
    'as installed, with version, architecture, source package, purl, and the licenses of its',
    'machine-readable copyright file; for a package recorded in /var/lib/dpkg/status.d (a minimal',
    "image's), the files of it the image holds. With several platforms the output is a JSON array.",
    '--format cyclonedx writes the same as CycloneDX 1.5 JSON (the image as metadata.component, the',
    'packages as components, their files nested in them).',
  ].join('\n'),
  options: {
    arch: platformsOption('only these platforms, comma-separated (default: every one)'),
    output: { type: 'string', value: 'FILE', description: 'write the document here instead of stdout' },
    format: {
      type: 'string',
      value: 'FORMAT',
      default: 'spdx',
      choices: FORMATS,
      description: 'spdx (SPDX 2.3 JSON) or cyclonedx (CycloneDX 1.5 JSON)',
    },
    ...SHARED_OPTIONS,
    ...REGISTRY_OPTIONS,
  },
  examples: [
    'mab sbom sysbench --arch arm64',
    'mab sbom 127.0.0.1:5000/mab/sysbench:1.0.20 --output sbom.json',
    'mab sbom sysbench --format cyclonedx --output bom.json',
  ],
  async run(args, opts, io) {
    const [target] = args;
    if (!target) throw new MabError('E_USAGE', 'no target given', 'e.g. mab sbom sysbench');
    const format = String(opts.format ?? 'spdx');
    if (!FORMATS.includes(format))
      throw new MabError(
        'E_USAGE',
        `--format "${format}" is not spdx or cyclonedx`,
        'e.g. mab sbom sysbench --format cyclonedx',
      );
    const source = await imageSourceOf(target, opts, io);
    const only = opts.arch ? parsePlatformList(opts.arch as string) : undefined;
    const images = source.images.filter((i) => !only || only.some((p) => samePlatform(p, i.platform)));
    if (!images.length)
      throw new MabError('E_PLATFORM', `${source.name} has no image for ${String(opts.arch)}`, 'leave out --arch');
    const docs: unknown[] = [];
    for (const i of images) {
      const doc = await imageSbom({
        name: source.name,
        image: { platform: i.platform, digest: i.manifest.digest, layers: i.layers, config: i.config },
        open: source.open,
        tool: `mab-${mabVersion()}`,
      });
      docs.push(format === 'cyclonedx' ? cycloneDxOf(doc) : doc);
    }
    const text = JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n';
    if (opts.output) await writeFile(path.resolve(io.cwd, opts.output as string), text);
    else io.out(text);
    return 0;
  },
};
