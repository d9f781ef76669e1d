import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TargetPlan } from '../plan/plan.js';
import { makeContext } from './context.js';

/** A recipe directory with a real file, a symlinked file and a symlinked directory out to /etc. */
async function recipeDir() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mab-ctx-test-'));
  const dir = path.join(root, 'demo');
  await mkdir(dir);
  await writeFile(path.join(dir, 'server.c'), 'int main(void) { return 0; }\n');
  await symlink('/etc/hostname', path.join(dir, 'linked.c'));
  await symlink('/etc', path.join(dir, 'sub'));
  return dir;
}

const target = (dir: string, file: string) =>
  ({
    platform: 'linux/amd64',
    image: 'x',
    dockerfile: 'FROM scratch\n',
    sources: [],
    artifacts: [],
    smoke: [],
    files: [{ from: path.join(dir, file), to: `files/${file}`, within: dir }],
  }) as TargetPlan;

describe('the build context', () => {
  it('takes a recipe file that is inside the recipe directory', async () => {
    const dir = await recipeDir();
    const ctx = await makeContext(target(dir, 'server.c'), new Map());
    expect(await readFile(path.join(ctx, 'files/server.c'), 'utf8')).toContain('int main');
  });

  it('refuses a symlinked file and a file reached through a symlinked directory, naming where it leads', async () => {
    const dir = await recipeDir();
    await expect(makeContext(target(dir, 'linked.c'), new Map())).rejects.toThrow(
      /linked\.c is a symbolic link; recipe files must be regular files/,
    );
    await expect(makeContext(target(dir, 'sub/hostname'), new Map())).rejects.toThrow(
      /sub\/hostname leads out of .*demo \(it is \/etc\/hostname\)/,
    );
  });

  it('refuses files of a recipe directory that is itself a link out of the recipes directory', async () => {
    const recipes = await mkdtemp(path.join(os.tmpdir(), 'mab-ctx-test-'));
    await symlink('/etc', path.join(recipes, 'demo'));
    await expect(makeContext(target(path.join(recipes, 'demo'), 'hostname'), new Map())).rejects.toThrow(
      /demo\/hostname leads out of .*demo \(it is \/etc\/hostname\)/,
    );
  });

  it('takes the files of a recipe in a recipes directory reached through a link', async () => {
    const dir = await recipeDir();
    const link = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-ctx-test-')), 'recipes');
    await symlink(path.dirname(dir), link);
    const ctx = await makeContext(target(path.join(link, 'demo'), 'server.c'), new Map());
    expect(await readFile(path.join(ctx, 'files/server.c'), 'utf8')).toContain('int main');
  });
});
