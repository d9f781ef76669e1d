/**
 * An image's layers as its history names them (config `history[].created_by`), in the words of
 * whoever wrote the Dockerfile. BuildKit records a shell-form RUN the way it ran it:
 *
 *     RUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c gcc -O2 -o app app.c # buildkit
 *
 * (`|N`: the N build args in the step's environment), the classic builder as `/bin/sh -c #(nop)
 * COPY file:ab12… in /` or `/bin/sh -c apt-get update`, and a Dockerfile or BuildKit's progress
 * shows RUN's flags (`--mount=type=cache,id=…,target=/var/cache/apt`). All of that is machinery;
 * `cleanInstruction` leaves `RUN gcc -O2 -o app app.c`.
 *
 * For an image made from mab's template, `recipeInstruction` also names the template's own steps
 * by what the recipe says: the apt step by its packages (the keep-debs config and the update
 * around them are the template's), and the runtime stage's copy from the build stage, which
 * BuildKit records as a bare `COPY /out/ /`, by the recipe's kept paths.
 */
import type { Recipe, Strategy } from '../recipe/types.js';
import { INSTALL_LOGS, KEEP_DEBS, keptPaths } from './generate.js';
import { STRATEGY_PARAMS } from './strategies.js';

const RUN_FLAG = /^--(?:mount|network|security)=\S+\s+/;
const BUILD_ARG = /^[A-Za-z_]\w*=\S*\s+/;
// The shell of a shell-form RUN: /bin/sh -c, or what SHELL set (/bin/bash -o pipefail -c).
const SHELL = /^\/\S*sh(?:\s+-o\s+\S+)*\s+-c\s+/;
const SHELL_ANYWHERE = new RegExp(SHELL.source.slice(1));

export function cleanInstruction(createdBy: string): string {
  const s = createdBy
    .trim()
    .replace(/\s+# buildkit$/, '')
    .replace(/^\/bin\/sh -c #\(nop\)\s+/, '');
  // The classic builder's RUN is the shell command alone.
  const run = /^RUN\s+([\s\S]*)$/.exec(s) ?? (SHELL.test(s) ? [s, s] : undefined);
  if (!run) return s;
  let cmd = run[1]!;
  const args = /^\|(\d+)\s+/.exec(cmd);
  if (args) {
    cmd = cmd.slice(args[0].length);
    // A value with a space in it spoils the count of KEY=VALUE words; the shell still ends them.
    const shell = cmd.search(SHELL_ANYWHERE);
    if (shell >= 0) cmd = cmd.slice(shell);
    else for (let i = 0; i < Number(args[1]); i++) cmd = cmd.replace(BUILD_ARG, '');
  }
  while (RUN_FLAG.test(cmd)) cmd = cmd.replace(RUN_FLAG, '');
  // The template's line continuations leave runs of spaces behind.
  return `RUN ${cmd.replace(SHELL, '').replace(/\s{2,}/g, ' ')}`;
}

/** The recipe and strategy an image was built from (the recipe as its platform sees it). */
export interface MadeFrom {
  recipe: Recipe;
  strategy: Strategy;
}

const quoted = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const APT_STEP = new RegExp(
  `^RUN .*> ${quoted(KEEP_DEBS)} && .*apt-get install -y --no-install-recommends (.+?) && rm ${quoted(KEEP_DEBS)}(?: && rm -f ${quoted(INSTALL_LOGS.join(' '))})?$`,
);

/** A cleaned instruction of an image mab built, with the template's steps in the recipe's words. */
export function recipeInstruction(instruction: string, from?: MadeFrom): string {
  // The marker file is mab's own: no other Dockerfile writes it.
  const apt = APT_STEP.exec(instruction);
  if (apt) return `RUN apt-get install ${apt[1]}`;
  const p = from && STRATEGY_PARAMS[from.strategy];
  if (!from || !p || p.collect === 'none' || instruction !== 'COPY /out/ /') return instruction;
  const kept = keptPaths(from.recipe, from.strategy).join(' ');
  // What else the build stage put into /out (templates/app.Dockerfile): the closure's libraries,
  // or, in a cross build, the runtime packages unpacked there instead of installed by apt.
  const runtime = from.recipe.runtime.packages;
  const extra =
    p.collect === 'closure'
      ? ' + the shared libraries they load'
      : p.cross && runtime.length
        ? ` + the runtime packages ${runtime.join(' ')}, unpacked`
        : '';
  return `COPY --from=build ${kept}${extra}`;
}
