/**
 * mab's config file, for what a team sets once instead of on every command line:
 * $MAB_CONFIG, else ./mab.yaml when there is one. Today it holds the per-platform builders:
 *
 *   builders:
 *     linux/arm64: arm-board      # a docker context or buildx builder, as --builder takes
 *
 * Command-line flags win over $MAB_BUILDERS, which wins over the file, platform by platform.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBuilderSpecs } from '../engine/builders.js';
import { MabError } from '../errors.js';
import { Reader } from '../recipe/reader.js';
import type { Io } from '../util/io.js';
import type { Values } from './command.js';

async function configBuilders(io: Io): Promise<Map<string, string>> {
  const file = io.env.MAB_CONFIG ? path.resolve(io.cwd, io.env.MAB_CONFIG) : path.join(io.cwd, 'mab.yaml');
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' && !io.env.MAB_CONFIG) return undefined;
    throw new MabError(
      'E_CONFIG',
      `cannot read the config file ${file}: ${e.code ?? e.message}`,
      'fix MAB_CONFIG, or unset it',
    );
  });
  if (text === undefined) return new Map();
  const r = new Reader(file, text, 'E_CONFIG');
  const top = r.map(r.parse(), 'the config file', ['builders']);
  const builders = top.has('builders')
    ? r.stringMap(
        r.node(top, 'builders')!,
        'builders',
        /^[a-z0-9]+\/[a-z0-9_]+(\/v\d+)?$/,
        'a platform such as linux/arm64',
      )
    : {};
  return parseBuilderSpecs(Object.entries(builders).map(([p, name]) => `${p}=${name}`));
}

/** Platform → builder name, from the config file, then $MAB_BUILDERS, then --builder. */
export async function buildersOf(opts: Values, io: Io): Promise<Map<string, string>> {
  const fromEnv = parseBuilderSpecs((io.env.MAB_BUILDERS ?? '').split(',').filter(Boolean));
  const fromFlags = parseBuilderSpecs((opts.builder as string[] | undefined) ?? []);
  return new Map([...(await configBuilders(io)), ...fromEnv, ...fromFlags]);
}
