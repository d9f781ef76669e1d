/**
 * The bash completion script: one function, `_mab`, that reads COMP_WORDS/COMP_CWORD and fills
 * COMPREPLY. Load it with `source <(mab completion bash)` or save it where bash-completion looks
 * (~/.local/share/bash-completion/completions/mab).
 */
import type { CompletedCommand, ValueCompletion } from './model.js';

/** A word list as one single-quoted shell word. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function reply(v: ValueCompletion): string {
  if (v === 'dirs') return '_mab_dirs';
  if (v === 'files') return '_mab_files';
  if (v === 'text') return 'COMPREPLY=()';
  return `_mab_words ${quote(v.words.join(' '))}`;
}

function commandCase(c: CompletedCommand): string {
  const valued = c.options.filter((o) => o.value);
  // One case arm per kind of value: the option names that take it, joined by |.
  const arms = new Map<string, string[]>();
  for (const o of valued) arms.set(reply(o.value!), [...(arms.get(reply(o.value!)) ?? []), ...o.names]);
  return [
    `    ${c.name})`,
    `      case $prev in`,
    ...[...arms].map(([action, names]) => `        ${names.join('|')}) ${action}; return ;;`),
    `      esac`,
    `      opts=${quote(c.options.flatMap((o) => o.names).join(' '))}`,
    `      valued=${quote(valued.flatMap((o) => o.names).join(' '))}`,
    `      _mab_first() { ${reply(c.first)}; }`,
    `      ;;`,
  ].join('\n');
}

export function bashCompletion(commands: CompletedCommand[]): string {
  return `# bash completion for mab, made by \`mab completion bash\` from its command declarations.
# Load it with: source <(mab completion bash)

_mab_words() { COMPREPLY=($(compgen -W "$1" -- "$cur")); }
_mab_files() { compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); }
_mab_dirs() { compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); }

_mab() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} opts valued i n=0
  if ((COMP_CWORD == 1)); then
    _mab_words ${quote([...commands.map((c) => c.name), '--help', '--version'].join(' '))}
    return
  fi
  case \${COMP_WORDS[1]} in
${commands.map(commandCase).join('\n')}
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    _mab_words "$opts"
    return
  fi
  # The arguments before this word, not counting options and the values they take.
  for ((i = 2; i < COMP_CWORD; i++)); do
    [[ \${COMP_WORDS[i]} == -* ]] && continue
    ((i > 2)) && [[ " $valued " == *" \${COMP_WORDS[i-1]} "* ]] && continue
    ((n++))
  done
  if ((n == 0)); then _mab_first; else _mab_files; fi
}

complete -F _mab mab
`;
}
