import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOOD_RECIPE } from '../../test/fixtures/recipe-text.js';
import { findRecipe } from './find.js';

describe('findRecipe', () => {
  it('loads a recipe by name, also from a recipes directory reached through a link', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-find-'));
    await writeFile(path.join(dir, 'demo.yaml'), GOOD_RECIPE);
    const link = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-find-')), 'recipes');
    await symlink(dir, link);
    expect((await findRecipe('demo', link)).name).toBe('demo');
  });

  it('refuses a recipe name that is a link to a file outside the recipes directory', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'mab-find-out-'));
    await writeFile(path.join(outside, 'demo.yaml'), GOOD_RECIPE);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-find-'));
    await symlink(path.join(outside, 'demo.yaml'), path.join(dir, 'demo.yaml'));
    await expect(findRecipe('demo', dir)).rejects.toThrow(
      new RegExp(`demo\\.yaml leads out of .*mab-find-.* \\(it is ${outside.replace(/[.]/g, '\\.')}/demo\\.yaml\\)`),
    );
  });
});
