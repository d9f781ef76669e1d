/**
 * Entry point: `mab COMMAND [ARGS] [OPTIONS]`. User errors (MabError) print one paragraph and
 * exit 1; anything else is a bug and prints its stack (exit 70, EX_SOFTWARE).
 */
import { MabError, closest } from '../errors.js';
import type { Io } from '../util/io.js';
import { commandHelp, parseCommandArgs, type CommandEntry } from './command.js';
import { mabVersion } from './root.js';

/**
 * Every command, with what `mab --help` says of it; a command's own modules (and what they import:
 * the registry client, the AWS SDK, the yaml parser) load only when it runs or shows its help.
 */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'build',
    summary: 'build a recipe for several platforms, smoke-test each, optionally push with a fat manifest',
    load: async () => (await import('./build.js')).build,
  },
  {
    name: 'generate',
    summary: 'write the generated Dockerfile for each platform, without building',
    load: async () => (await import('./generate.js')).generate,
  },
  {
    name: 'bake',
    summary: 'write a docker-bake.json (one target per platform and strategy) with its build contexts',
    load: async () => (await import('./bake.js')).bake,
  },
  {
    name: 'base',
    summary: 'make Debian base images from Debian packages and push them as multi-arch indexes',
    load: async () => (await import('./base.js')).base,
  },
  {
    name: 'push',
    summary: 'publish an image or multi-arch index from the local store to a registry',
    load: async () => (await import('./push.js')).push,
  },
  {
    name: 'cp',
    summary: 'copy an image or multi-arch index between registries or from and to the store, digests unchanged',
    load: async () => (await import('./cp.js')).cp,
  },
  {
    name: 'ls',
    summary: "list a registry repository's tags (versions in order), optionally with their digests",
    load: async () => (await import('./ls.js')).ls,
  },
  {
    name: 'sign',
    summary:
      "sign an image or index in a registry in cosign's format (the sha256-HEX.sig tag; .att for its attestations), with a local key",
    load: async () => (await import('./sign.js')).sign,
  },
  {
    name: 'verify',
    summary: 'check an image: its signatures against a public key (--key), or build it again and compare (--rebuild)',
    load: async () => (await import('./verify.js')).verify,
  },
  {
    name: 'key',
    summary: 'generate a signing key pair (cosign-compatible), or print the public key of a private key',
    load: async () => (await import('./key.js')).key,
  },
  {
    name: 'manifest',
    summary:
      "assemble an index from images already in a registry (a spec in manifests/, or split runners' build metadata), or show one",
    load: async () => (await import('./manifest.js')).manifest,
  },
  {
    name: 'store',
    summary: 'list, check or clean the local OCI store that builds without --push write to',
    load: async () => (await import('./store.js')).store,
  },
  {
    name: 'report',
    summary: 'image sizes per platform and per layer, largest files, wasted bytes, budgets',
    load: async () => (await import('./report.js')).report,
  },
  {
    name: 'sbom',
    summary: 'an SPDX 2.3 document per platform of an image, from the Debian packages dpkg lists in it',
    load: async () => (await import('./sbom.js')).sbom,
  },
  {
    name: 'compare',
    summary: 'build every strategy of a recipe per platform and compare sizes, build times and smoke results',
    load: async () => (await import('./compare.js')).compare,
  },
  {
    name: 'completion',
    summary: 'a bash or zsh completion script for mab, made from these commands and their options',
    // Given the list rather than importing it, so that no module imports this one back.
    load: async () => (await import('./completion.js')).completionCommand(COMMANDS),
  },
];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'mab — multi-arch container image builder',
    '',
    'Usage: mab COMMAND [ARGS] [OPTIONS]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  -h, --help     help for mab or for a command (mab build --help)',
    '  --version      print the mab version',
    '',
    'Environment: MAB_CACHE (cache dir), MAB_STORE (local OCI store), MAB_RECIPES (recipes dir),',
    'MAB_MIRRORS (source mirrors), MAB_REGISTRY_TIMEOUT (seconds a registry request may make no',
    'progress before it is retried; default 60), MAB_BUILDERS (PLATFORM=NAME builders, comma-separated),',
    'MAB_CONFIG (config file; default ./mab.yaml), DOCKER_HOST (engine to use), COSIGN_PASSWORD (password',
    'of the signing key, as cosign reads it).',
  ].join('\n');
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out(`mab ${mabVersion()}\n`);
    return 0;
  }
  try {
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) {
      const near = closest(
        name,
        COMMANDS.map((c) => c.name),
      );
      throw new MabError(
        'E_USAGE',
        `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
        near ? `did you mean \`mab ${near}\`?` : 'see `mab --help`',
      );
    }
    const cmd = await entry.load();
    const parsed = parseCommandArgs(cmd, rest);
    if (parsed.help) {
      io.out(commandHelp(cmd, entry.summary) + '\n');
      return 0;
    }
    return await cmd.run(parsed.args, parsed.opts, io);
  } catch (e) {
    if (e instanceof MabError) {
      io.err(`mab: error [${e.code}]: ${e.format()}\n`);
      return 1;
    }
    io.err(`mab: internal error (a bug; please report it with this output):\n${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}
