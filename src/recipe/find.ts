import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MabError, closest } from '../errors.js';
import { loadRecipeFile } from './load.js';
import type { Recipe } from './types.js';

/** Recipe names available in a directory (files NAME.yaml). */
export async function listRecipes(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/** A recipe by name (looked up in dir) or by path to a .yaml file. */
export async function findRecipe(nameOrPath: string, dir: string): Promise<Recipe> {
  if (nameOrPath.endsWith('.yaml') || nameOrPath.includes('/')) return loadRecipeFile(nameOrPath);
  const known = await listRecipes(dir);
  if (!known.includes(nameOrPath)) {
    const near = closest(nameOrPath, known);
    throw new MabError(
      'E_RECIPE_UNKNOWN',
      `unknown recipe "${nameOrPath}"; recipes in ${dir}: ${known.join(', ') || '(none)'}`,
      near
        ? `did you mean "${near}"?`
        : 'pick one of those, pass a path to a .yaml file, or point --recipes at another directory',
    );
  }
  const file = path.join(dir, `${nameOrPath}.yaml`);
  // Found by name, a recipe is one of the directory's own: a link of that name to a file elsewhere
  // would let mab read (and quote, in its errors) any file on the host.
  const [real, root] = await Promise.all([realpath(file).catch(() => file), realpath(dir).catch(() => dir)]);
  if (!real.startsWith(root + path.sep)) {
    throw new MabError(
      'E_RECIPE_READ',
      `${file} leads out of ${dir} (it is ${real})`,
      'put the recipe itself in the recipes directory, or pass its path (a path names any file you choose)',
    );
  }
  return loadRecipeFile(file);
}
