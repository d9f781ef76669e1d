import { MabError } from '../errors.js';
import { parseReference } from '../ref/reference.js';
import { RegistryClient } from '../registry/client.js';
import { listRepository } from '../registry/list.js';
import { table } from '../report/table.js';
import type { Command } from './command.js';
import { REGISTRY_OPTIONS, logger, registryOptions, SHARED_OPTIONS } from './context.js';

export const ls: Command = {
  name: 'ls',
  args: 'REPOSITORY',
  description: [
    "Lists the tags of a registry's repository (REGISTRY/REPOSITORY), every page of them, one per",
    'line: version tags first by their numbers (1, 1.0, 1.0.20-rc.1, 1.0.20, 1.10.0), then the',
    "others by name. --digests adds each tag's manifest digest and media type. A repository the",
    'registry does not know is an error (E_NOT_FOUND), as is access refused (E_AUTH_DENIED).',
    "Credentials: docker's config (auths, credHelpers, credsStore), or ECR's token.",
  ].join('\n'),
  options: {
    digests: { type: 'boolean', description: "also show each tag's manifest digest and media type" },
    json: {
      type: 'boolean',
      description: 'print {registry, repository, tags} as JSON on stdout (with --digests, also manifests)',
    },
    ...REGISTRY_OPTIONS,
    quiet: SHARED_OPTIONS.quiet,
  },
  examples: [
    'mab ls 127.0.0.1:5000/mab/sysbench',
    'mab ls 127.0.0.1:5000/mab/sysbench --digests',
    "mab ls 127.0.0.1:5000/mab/sysbench --json | jq -r '.tags[]'",
  ],
  async run(args, opts, io) {
    const [repository] = args;
    if (!repository || args.length > 1)
      throw new MabError('E_USAGE', 'mab ls takes one REPOSITORY', 'e.g. mab ls 127.0.0.1:5000/mab/sysbench');
    const ref = parseReference(repository);
    if (ref.tag || ref.digest)
      throw new MabError(
        'E_USAGE',
        `mab ls lists a repository; "${repository}" names an image in it`,
        `leave out the tag or digest: mab ls ${ref.registry}/${ref.repository}`,
      );
    const log = logger(io, Boolean(opts.quiet));
    const client = new RegistryClient(ref.registry, await registryOptions(ref.registry, opts, io, log));
    const listing = await listRepository(client, ref, { digests: Boolean(opts.digests) });
    if (opts.json) io.out(JSON.stringify({ schemaVersion: 1, ...listing }, null, 2) + '\n');
    else if (listing.manifests)
      io.out(
        table(
          ['TAG', 'DIGEST', 'TYPE'],
          listing.manifests.map((m) => [m.tag, m.digest, m.mediaType.replace('application/vnd.', '')]),
        ) + '\n',
      );
    else io.out(listing.tags.map((t) => t + '\n').join(''));
    return 0;
  },
};
