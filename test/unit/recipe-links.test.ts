/**
 * Recipe directories full of links, generated (fast-check): the recipe file, its folder and the
 * entries its `files:` name are each a plain file or directory, a link to another place inside, or
 * a link out to a directory holding a secret. Whatever the layout, the chain a build runs (find the
 * recipe by name, load it, plan it, write the build context) either refuses with a MabError that
 * names the path, or copies only what is really inside the recipe's folder; and it refuses exactly
 * when some link leads out or a file is itself a link.
 */
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/pipeline/context.js';
import { MabError } from '../../src/errors.js';
import { planBuild } from '../../src/plan/plan.js';
import { findRecipe } from '../../src/recipe/find.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'SECRET-FROM-OUTSIDE';
const template = {
  dockerfile: await readFile(path.join(ROOT, 'templates/app.Dockerfile'), 'utf8'),
  dir: path.join(ROOT, 'templates'),
};

type Kind = 'plain' | 'link-in' | 'link-out';
type Entry = 'file' | 'file-link-in' | 'file-link-out' | 'dir' | 'dir-link-in' | 'dir-link-out';
// Weighted toward what is allowed, so that both outcomes come up often.
const kind = fc.oneof(
  { arbitrary: fc.constant<Kind>('plain'), weight: 4 },
  { arbitrary: fc.constantFrom<Kind>('link-in', 'link-out'), weight: 2 },
);
const entry = fc.oneof(
  { arbitrary: fc.constantFrom<Entry>('file', 'dir', 'dir-link-in'), weight: 6 },
  { arbitrary: fc.constantFrom<Entry>('file-link-in', 'file-link-out', 'dir-link-out'), weight: 1 },
);
const layout = fc.record({ recipe: kind, folder: kind, entries: fc.array(entry, { minLength: 1, maxLength: 5 }) });

const recipeText = (files: string[]) => `name: demo
version: 1.0.0
platforms: [linux/amd64]
files: [${files.join(', ')}]
build:
  steps: [ls]
runtime:
  keep: [/src]
entrypoint: [/bin/true]
`;

/** Writes the layout under a fresh directory; returns the recipes directory and the listed files. */
async function write(l: { recipe: Kind; folder: Kind; entries: Entry[] }) {
  const top = await mkdtemp(path.join(os.tmpdir(), 'mab-links-'));
  const [recipes, outside] = [path.join(top, 'recipes'), path.join(top, 'outside')];
  await mkdir(path.join(outside, 'sub'), { recursive: true });
  await writeFile(path.join(outside, 'secret.txt'), SECRET);
  await writeFile(path.join(outside, 'sub', 'f.txt'), SECRET);
  await mkdir(recipes);
  // The folder's content is written where the folder really is.
  const real =
    l.folder === 'plain'
      ? path.join(recipes, 'demo')
      : l.folder === 'link-in'
        ? path.join(recipes, 'elsewhere')
        : path.join(outside, 'demo');
  await mkdir(path.join(real, 'inner'), { recursive: true });
  await writeFile(path.join(real, 'real.txt'), 'inside');
  await writeFile(path.join(real, 'inner', 'f.txt'), 'inside');
  if (l.folder !== 'plain') await symlink(real, path.join(recipes, 'demo'));
  const files: string[] = [];
  for (const [i, e] of l.entries.entries()) {
    const at = path.join(real, `e${i}`);
    if (e === 'file') await writeFile(at, 'inside');
    if (e === 'file-link-in') await symlink(path.join(real, 'real.txt'), at);
    if (e === 'file-link-out') await symlink(path.join(outside, 'secret.txt'), at);
    if (e === 'dir') await mkdir(at).then(() => writeFile(path.join(at, 'f.txt'), 'inside'));
    if (e === 'dir-link-in') await symlink(path.join(real, 'inner'), at);
    if (e === 'dir-link-out') await symlink(path.join(outside, 'sub'), at);
    files.push(e.startsWith('dir') ? `e${i}/f.txt` : `e${i}`);
  }
  const text = recipeText(files);
  const recipeAt = {
    plain: path.join(recipes, 'demo.yaml'),
    'link-in': path.join(recipes, 'kept', 'demo.yaml'),
    'link-out': path.join(outside, 'demo.yaml'),
  }[l.recipe];
  await mkdir(path.dirname(recipeAt), { recursive: true });
  await writeFile(recipeAt, text);
  if (l.recipe !== 'plain') await symlink(recipeAt, path.join(recipes, 'demo.yaml'));
  return { recipes, files };
}

/** Every file under dir, with its content. */
async function contents(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(await readFile(path.join(e.parentPath, e.name), 'utf8'));
  return out;
}

describe('recipe directories with links, fuzzed', () => {
  it('copy only what is inside the recipe folder, and refuse exactly the layouts with a link out or a linked file', async () => {
    let built = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(layout, async (l) => {
        const { recipes, files } = await write(l);
        const allowed =
          l.recipe !== 'link-out' &&
          l.folder === 'plain' &&
          l.entries.every((e) => e === 'file' || e === 'dir' || e === 'dir-link-in');
        let context: string | undefined;
        try {
          const recipe = await findRecipe('demo', recipes);
          const plan = planBuild({
            recipe,
            recipePath: 'demo.yaml',
            strategy: 'multistage',
            platforms: recipe.platforms,
            template,
            indexFormat: 'docker',
          });
          context = await makeContext(plan.targets[0]!, new Map());
        } catch (e) {
          if (!(e instanceof MabError)) throw e;
          // The refusal names the recipe, its folder or the listed file it is about.
          expect(e.message).toMatch(/demo(\.yaml)?\b|e\d/);
          expect(allowed, `${JSON.stringify(l)} refused: ${e.message}`).toBe(false);
          refused++;
          return;
        }
        expect(allowed, `${JSON.stringify(l)} was built`).toBe(true);
        const copied = await contents(path.join(context, 'files'));
        expect(copied).toHaveLength(files.length);
        expect(copied.every((c) => c === 'inside')).toBe(true);
        built++;
      }),
      { numRuns: 300, ...(process.env.MAB_FUZZ_SEED ? { seed: Number(process.env.MAB_FUZZ_SEED) } : {}) },
    );
    // Both outcomes happen: the generator is not stuck on one side.
    expect(built).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(100);
  }, 120_000);
});
