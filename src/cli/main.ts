/**
 * Entry point: `mab COMMAND [ARGS] [OPTIONS]`. User errors (MabError) print one paragraph and
 * exit 1; anything else is a bug and prints its stack (exit 70, EX_SOFTWARE).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MabError, closest } from '../errors.js';
import type { Io } from '../util/io.js';
import { base } from './base.js';
import { build } from './build.js';
import { commandHelp, parseCommandArgs, type Command } from './command.js';
import { PACKAGE_ROOT } from './context.js';
import { bake } from './bake.js';
import { generate } from './generate.js';
import { manifest } from './manifest.js';
import { push } from './push.js';
import { report } from './report.js';
import { compare } from './compare.js';
import { store } from './store.js';

export const COMMANDS: Command[] = [build, generate, bake, base, push, manifest, store, report, compare];

function version(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

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
    'MAB_CONFIG (config file; default ./mab.yaml), DOCKER_HOST (engine to use).',
  ].join('\n');
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out(`mab ${version()}\n`);
    return 0;
  }
  try {
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) {
      const near = closest(name, COMMANDS.map((c) => c.name));
      throw new MabError('E_USAGE', `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`, near ? `did you mean \`mab ${near}\`?` : 'see `mab --help`');
    }
    const parsed = parseCommandArgs(cmd, rest);
    if (parsed.help) {
      io.out(commandHelp(cmd) + '\n');
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
