/**
 * A recipe as one platform sees it: the platform's override parts replace the recipe's, each as a
 * whole (an override's `runtime` is the whole runtime for that platform, not a merge), so what a
 * platform builds can be read in one place of the YAML.
 */
import { formatPlatform, type Platform } from '../platform/platform.js';
import type { Recipe } from './types.js';

export function recipeFor(recipe: Recipe, platform: Platform): Recipe {
  const parts = recipe.overrides[formatPlatform(platform)];
  return parts ? { ...recipe, ...parts } : recipe;
}
