/**
 * Recipe parsing at the 1 MiB limit (issue 23: ≤ 1 s for any recipe that size), for the key-count
 * bombs that were quadratic: block-style env keys, label keys and one flow-style env mapping.
 * Each against the yaml library's own parse of the same text, measured in this run: what mab
 * adds on top of it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { MAX_RECIPE_BYTES, parseRecipe } from '../dist/recipe/load.js';
import { ROOT, runs, stats, timed } from './lib.mjs';

const GOAL = 1;
const base = readFileSync(path.join(ROOT, 'recipes', 'sysbench.yaml'), 'utf8');
const SHAPES = {
  'env keys': ['env:\n', (i) => `  K${i}: v\n`, ''],
  'label keys': ['labels:\n', (i) => `  org.example.k${i}: v\n`, ''],
  'flow-style env keys': ['env: {', (i) => `K${i}: v, `, '}\n'],
};

export async function run() {
  const n = runs(3);
  const shapes = {};
  for (const [name, [head, entry, close]] of Object.entries(SHAPES)) {
    let text = base + head;
    let keys = 0;
    while (text.length < MAX_RECIPE_BYTES - 64) text += entry(keys++);
    text += close;
    const yaml = [];
    const mab = [];
    for (let i = 0; i < n; i++) {
      yaml.push(timed(() => parseDocument(text, { uniqueKeys: false })));
      mab.push(timed(() => parseRecipe('bomb.yaml', text)));
    }
    shapes[name] = {
      bytes: text.length,
      keys,
      yaml: stats(yaml),
      mab: stats(mab),
      ratio: stats(mab).median / stats(yaml).median,
      goal: GOAL,
    };
  }
  return { name: 'recipe parsing at the 1 MiB limit', shapes };
}
