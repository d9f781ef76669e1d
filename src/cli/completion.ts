import { bashCompletion } from '../completion/bash.js';
import { completionModel } from '../completion/model.js';
import { zshCompletion } from '../completion/zsh.js';
import { MabError } from '../errors.js';
import { listRecipes } from '../recipe/find.js';
import type { Command, CommandEntry } from './command.js';
import { recipesDir } from './context.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion } as const;

/** `mab completion SHELL`, over the list of commands it completes (itself among them). */
export function completionCommand(commands: CommandEntry[]): Command {
  return {
    name: 'completion',
    args: 'bash|zsh',
    description: [
      'Prints a completion script for the shell: commands, their options, the values an option takes',
      '(strategies, --progress modes, --index-format, …), directories and files where an option wants',
      'one, and the recipes (those of --recipes, $MAB_RECIPES or the shipped ones, as of now: make the',
      'script again after adding one).',
    ].join('\n'),
    options: {
      recipes: {
        type: 'string',
        value: 'DIR',
        description: 'the recipes to offer (default: $MAB_RECIPES, else the recipes shipped with mab)',
      },
    },
    examples: [
      'mab completion bash > ~/.local/share/bash-completion/completions/mab',
      'source <(mab completion bash)',
      'mab completion zsh > "${fpath[1]}/_mab"',
    ],
    async run(args, opts, io) {
      const shell = args[0] as keyof typeof SHELLS | undefined;
      if (!shell || !(shell in SHELLS) || args.length > 1)
        throw new MabError(
          'E_USAGE',
          `mab completion takes one shell: ${Object.keys(SHELLS).join(' or ')}${shell ? `, not "${args.join(' ')}"` : ''}`,
          'e.g. source <(mab completion bash)',
        );
      const declared = [];
      for (const c of commands) declared.push({ ...(await c.load()), summary: c.summary });
      const recipes = await listRecipes(recipesDir(opts, io));
      io.out(SHELLS[shell](completionModel(declared, recipes)));
      return 0;
    },
  };
}
