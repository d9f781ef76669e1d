/** `mab completion`: made from the declarations, and run in a real bash (and loaded in zsh). */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../src/cli/main.js';
import { PROGRESS_MODES } from '../../src/cli/context.js';
import { listRecipes } from '../../src/recipe/find.js';
import { STRATEGY_NAMES } from '../../src/recipe/types.js';

async function script(shell: string): Promise<string> {
  let out = '';
  let err = '';
  const code = await runCli(['completion', shell], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { ...process.env, MAB_RECIPES: '' },
    cwd: process.cwd(),
  });
  expect(code, err).toBe(0);
  return out;
}

let dir: string;
const scripts: Record<string, string> = {};
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-completion-'));
  for (const shell of ['bash', 'zsh']) {
    scripts[shell] = await script(shell);
    await writeFile(path.join(dir, `mab.${shell}`), scripts[shell]!);
  }
  await mkdir(path.join(dir, 'cwd', 'out-dir'), { recursive: true });
  await writeFile(path.join(dir, 'cwd', 'out-file'), '');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.each(['bash', 'zsh'])('mab completion %s', (shell) => {
  it('names every command, every option of each and its other names, and the fixed values', async () => {
    const s = scripts[shell]!;
    for (const entry of COMMANDS) {
      expect(s).toMatch(new RegExp(`^ +'?${entry.name}[):]`, 'm'));
      const cmd = await entry.load();
      for (const [name, o] of Object.entries(cmd.options))
        for (const n of [name, ...(o.aliases ?? [])]) expect(s, `${entry.name} --${n}`).toContain(`--${n}`);
    }
    for (const words of [STRATEGY_NAMES, PROGRESS_MODES, ['docker oci'], await listRecipes('recipes')])
      expect(s).toContain(words.join(' '));
  });
});

/** What bash's completion offers for a command line (the cursor after its last word). */
async function bashComplete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const r = await execa(
    'bash',
    [
      '-c',
      `source "$1"; COMP_WORDS=("\${@:2}"); COMP_CWORD=$(($# - 2)); _mab; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      path.join(dir, 'mab.bash'),
      ...words,
    ],
    { cwd: path.join(dir, 'cwd'), stdin: 'ignore' },
  );
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('the bash completion, run in bash', () => {
  it.each([
    ['mab b', ['bake', 'base', 'build']],
    ['mab build --str', ['--strategy']],
    ['mab build --plat', ['--platform']],
    ['mab build --strategy m', ['minimal', 'minimal-cross', 'multistage']],
    ['mab compare --strategy a', ['all']],
    ['mab build --progress ', [...PROGRESS_MODES].sort()],
    ['mab push --index-format ', ['docker', 'oci']],
    ['mab build http-endpoint-p', ['http-endpoint-python']],
    // --arch's value is not the recipe: the recipe is still the first argument.
    ['mab build --arch amd64 sys', ['sysbench']],
    ['mab build sysbench ', ['out-dir', 'out-file']],
    ['mab generate -o ', ['out-dir']],
    ['mab store v', ['verify']],
    ['mab manifest ', ['inspect', 'merge', 'push']],
    ['mab completion ', ['bash', 'zsh']],
    ['mab build --push ', []],
  ])('`%s` offers %j', async (line, expected) => {
    expect(await bashComplete(line)).toEqual(expected);
  });
});

describe('the zsh completion, loaded in zsh', () => {
  it('parses, and registers _mab for mab after compinit', async () => {
    const r = await execa(
      'zsh',
      [
        '-f',
        '-c',
        'autoload -U compinit && compinit -u -D && source "$1" && print -r -- "$_comps[mab]"',
        'zsh',
        path.join(dir, 'mab.zsh'),
      ],
      { stdin: 'ignore', reject: false, env: { ...process.env, HOME: dir } },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('_mab');
  });
});
