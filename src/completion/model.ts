/**
 * What a shell should offer at each word of a mab command line, read from the command
 * declarations themselves (so a new option completes the day it is declared): the commands, each
 * command's options with their other names, what an option's value is (one of fixed values, a
 * directory, a file, or free text), and what the first argument is (a recipe, or one of the
 * actions a command's ARGS spells as `ls|verify|gc`).
 */

/** The part of a command's option declaration completion reads. */
export interface OptionDecl {
  type: 'string' | 'boolean';
  description: string;
  short?: string;
  value?: string;
  multiple?: boolean;
  aliases?: string[];
  choices?: readonly string[];
}

export interface CommandDecl {
  name: string;
  summary: string;
  /** As in the help: RECIPE, TARGET, ls|verify|gc, push SPEC.yaml | merge METADATA... */
  args: string;
  options: Record<string, OptionDecl>;
}

export type ValueCompletion = { words: string[] } | 'dirs' | 'files' | 'text';

export interface CompletedOption {
  /** Every spelling: --arch, --platform; -v, --verbose. */
  names: string[];
  /** undefined: a flag, which takes no value. */
  value?: ValueCompletion;
  repeatable: boolean;
  description: string;
}

export interface CompletedCommand {
  name: string;
  summary: string;
  options: CompletedOption[];
  first: ValueCompletion;
}

const HELP: CompletedOption = { names: ['-h', '--help'], repeatable: false, description: 'show this help' };

function valueOf(o: OptionDecl): ValueCompletion | undefined {
  if (o.type === 'boolean') return undefined;
  if (o.choices) return { words: [...o.choices] };
  if (/^DIR$/.test(o.value ?? '')) return 'dirs';
  if (/^(FILE|\S+\.yaml)$/.test(o.value ?? '')) return 'files';
  return 'text';
}

/**
 * The first argument: the actions of `a X | b Y` or `a|b|c`, a recipe for RECIPE and TARGET, a
 * file for FILE, SPEC.yaml or METADATA, else free text (an image reference).
 */
function firstOf(args: string, recipes: string[]): ValueCompletion {
  const actions = args.split(/\s*\|\s*/).map((a) => a.split(' ')[0]!);
  if (actions.length > 1) return { words: actions };
  if (/^(RECIPE|TARGET)\b/.test(args)) return { words: recipes };
  return /^(\S*FILE|\S+\.yaml|METADATA)\b/.test(args) ? 'files' : 'text';
}

/** The first clause of a description: enough for a completion menu. */
function brief(description: string): string {
  const first = description.split(/[;:(]\s|\s\(|, e\.g\./)[0]!.trim();
  return first.length > 70 ? `${first.slice(0, 69)}…` : first;
}

export function completionModel(commands: CommandDecl[], recipes: string[]): CompletedCommand[] {
  return commands.map((c) => ({
    name: c.name,
    summary: brief(c.summary),
    first: firstOf(c.args, recipes),
    options: [
      ...Object.entries(c.options).map(([name, o]) => {
        const value = valueOf(o);
        return {
          names: [...(o.short ? [`-${o.short}`] : []), ...[name, ...(o.aliases ?? [])].map((n) => `--${n}`)],
          ...(value ? { value } : {}),
          repeatable: Boolean(o.multiple),
          description: brief(o.description),
        };
      }),
      HELP,
    ],
  }));
}
