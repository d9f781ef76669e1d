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
  /** Other names for this option (e.g. buildx's --platform for --arch); giving two of them is an error. */
  aliases?: string[];
  /**
   * The values it takes (or, for a comma-separated LIST, takes from), for shell completion; the
   * command checks the value itself.
   */
  choices?: readonly string[];
  /** Another option this one means nothing without (e.g. 'push'): refused when that one is not given. */
  needs?: string;
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

/** A command as `mab --help` lists it; its modules load only when it runs or shows its help. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export function commandHelp(c: Command, summary: string): string {
  const opts = Object.entries(c.options).map(([name, o]) => {
    const names = [name, ...(o.aliases ?? [])].map((n) => `--${n}`).join(', ');
    const flag = `${o.short ? `-${o.short}, ` : '    '}${names}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '';
    const needs = o.needs && !o.description.startsWith(`with --${o.needs}`) ? ` (needs --${o.needs})` : '';
    return [flag, `${o.description}${def}${o.multiple ? ' (repeatable)' : ''}${needs}`];
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

/**
 * Parses argv against a command's declaration. Defaults are applied only after aliases are merged
 * and `needs` is checked, so both rules see only what the user typed.
 */
export function parseCommandArgs(c: Command, argv: string[]): { args: string[]; opts: Values; help: boolean } {
  const options = Object.fromEntries(
    Object.entries(c.options).flatMap(([k, o]) =>
      [k, ...(o.aliases ?? [])].map((name) => [
        name,
        {
          type: o.type,
          ...(o.short && name === k ? { short: o.short } : {}),
          ...(o.multiple ? { multiple: true } : {}),
        },
      ]),
    ),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new MabError('E_USAGE', `mab ${c.name}: ${(e as Error).message}`, `see \`mab ${c.name} --help\``);
  }
  const given = parsed.values as Values;
  const opts: Values = {};
  for (const [k, o] of Object.entries(c.options)) {
    const names = [k, ...(o.aliases ?? [])].filter((n) => given[n] !== undefined);
    if (names.length > 1)
      throw new MabError(
        'E_USAGE',
        `mab ${c.name}: ${names.map((n) => `--${n}`).join(' and ')} are the same option, given twice`,
        `keep one of them`,
      );
    if (names.length) opts[k] = given[names[0]!];
  }
  for (const [k, o] of Object.entries(c.options))
    if (o.needs && opts[k] !== undefined && opts[o.needs] === undefined)
      throw new MabError(
        'E_USAGE',
        `mab ${c.name}: --${k} means nothing without --${o.needs}`,
        `add --${o.needs} ${c.options[o.needs]?.value ?? ''}`.trimEnd() + `, or leave out --${k}`,
      );
  for (const [k, o] of Object.entries(c.options))
    if (opts[k] === undefined && o.default !== undefined) opts[k] = o.default;
  return { args: parsed.positionals, opts, help: Boolean(given.help) };
}

/** The options of a declaration, each marked as needing `needs` (e.g. registry options of a build that pushes). */
export function needing(needs: string, options: Record<string, OptionSpec>): Record<string, OptionSpec> {
  return Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { ...o, needs }]));
}
