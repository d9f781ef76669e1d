/**
 * Commands are declarative objects (citty's idea): name, arguments and options with their help
 * text and defaults, and a run function. Help is generated from the declaration, so it is always
 * complete, and the CLI runs in-process for tests.
 */
import { parseArgs } from 'node:util';
import { MabError } from '../errors.js';
import type { Io } from '../util/io.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  short?: string;
  /** Placeholder in help, e.g. LIST. */
  value?: string;
  default?: string | boolean;
  multiple?: boolean;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  /** e.g. "RECIPE" or "IMAGE..." */
  args: string;
  description: string;
  options: Record<string, OptionSpec>;
  examples: string[];
  run(args: string[], opts: Values, io: Io): Promise<number>;
}

export function commandHelp(c: Command, summary: string): string {
  const opts = Object.entries(c.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '';
    return [flag, `${o.description}${def}${o.multiple ? ' (repeatable)' : ''}`];
  });
  opts.push(['-h, --help', 'show this help']);
  const width = Math.max(...opts.map(([f]) => f!.length));
  return [
    `mab ${c.name} ${c.args} — ${summary}`,
    '',
    c.description,
    '',
    'Options:',
    ...opts.map(([f, d]) => `  ${f!.padEnd(width)}  ${d}`),
    '',
    'Examples:',
    ...c.examples.map((e) => `  ${e}`),
  ].join('\n');
}

export function parseCommandArgs(c: Command, argv: string[]): { args: string[]; opts: Values; help: boolean } {
  const options = Object.fromEntries(
    Object.entries(c.options).map(([k, o]) => [
      k,
      {
        type: o.type,
        ...(o.short ? { short: o.short } : {}),
        ...(o.multiple ? { multiple: true } : {}),
        ...(o.default !== undefined ? { default: o.default } : {}),
      },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { args: positionals, opts: values as Values, help: Boolean(values.help) };
  } catch (e) {
    throw new MabError('E_USAGE', `mab ${c.name}: ${(e as Error).message}`, `see \`mab ${c.name} --help\``);
  }
}
