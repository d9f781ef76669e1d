/**
 * The zsh completion script: `_mab`, with `_arguments` specs per command, so zsh shows each
 * option's description and offers its values. Load it with `source <(mab completion zsh)` after
 * compinit, or save it as `_mab` in a directory of $fpath.
 */
import type { CompletedCommand, CompletedOption, ValueCompletion } from './model.js';

/** Text inside single quotes: a quote closes them, is escaped, and opens them again. */
const quoted = (s: string) => s.replace(/'/g, `'\\''`);
/** Text inside a single-quoted _arguments spec: quotes closed and reopened; [ ] : \ escaped. */
const inSpec = (s: string) => quoted(s.replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1'));
/** Text inside a single-quoted _describe entry: only its colon is special there. */
const inDescribe = (s: string) => quoted(s.replace(/:/g, '\\:'));

function action(v: ValueCompletion): string {
  if (v === 'dirs') return '_files -/';
  if (v === 'files') return '_files';
  if (v === 'text') return ' ';
  return `(${v.words.map(inSpec).join(' ')})`;
}

function optionSpec(o: CompletedOption): string {
  const value = o.value ? `:value:${action(o.value)}` : '';
  // Another spelling of the same option excludes it, unless it may be given again.
  const exclude = o.repeatable ? '*' : o.names.length > 1 ? `(${o.names.join(' ')})` : '';
  const rest = `[${inSpec(o.description)}]${value}`;
  // Several names: zsh's brace expansion makes one spec per name, each with the same rest.
  return o.names.length > 1 ? `'${exclude}'{${o.names.join(',')}}'${rest}'` : `'${exclude}${o.names[0]}${rest}'`;
}

function commandCase(c: CompletedCommand): string {
  return [
    `    ${c.name})`,
    `      _arguments -s \\`,
    ...c.options.map((o) => `        ${optionSpec(o)} \\`),
    `        '1:argument:${action(c.first)}' \\`,
    `        '*:file:_files'`,
    `      ;;`,
  ].join('\n');
}

export function zshCompletion(commands: CompletedCommand[]): string {
  return `#compdef mab
# zsh completion for mab, made by \`mab completion zsh\` from its command declarations.
# Load it with: source <(mab completion zsh)   (after compinit)

_mab() {
  local -a commands
  commands=(
${commands.map((c) => `    '${inDescribe(c.name)}:${inDescribe(c.summary)}'`).join('\n')}
  )
  if ((CURRENT == 2)); then
    _describe -t commands 'mab command' commands
    return
  fi
  local cmd=$words[2]
  # The command's own arguments start after its name.
  shift words
  ((CURRENT--))
  case $cmd in
${commands.map(commandCase).join('\n')}
  esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _mab "$@"
else
  compdef _mab mab
fi
`;
}
