/**
 * Build strategies, as parameters of the one template (templates/app.Dockerfile). They are the
 * rows of the size comparison users come to mab for (seed 003's Table 3):
 *   single      one stage on the full base, build tools left in: the "standard" baseline
 *   multistage  build stage + slim runtime with only runtime packages and the kept paths
 *   minimal     build stage + scratch: the kept paths and the shared libraries they load (their
 *               ldd closure), nothing else; static binaries need no libraries at all
 *   cross       like multistage, but no RUN executes under emulation: the build stage runs on the
 *               build platform with Debian's cross toolchain and the target's -dev packages
 *               (multiarch), and the target's runtime packages are unpacked, not installed
 *   minimal-cross  minimal's image made as cross makes its build: the runtime packages unpacked
 *               with everything they need, and the closure read from the ELF files (readelf),
 *               never by running them under emulation
 * A strategy is so a shape (single, multistage, minimal) and a method (on the target platform, or
 * cross); `mab build --strategy minimal --cross` names minimal-cross.
 */
import { MabError } from '../errors.js';
import type { Recipe, Strategy, StrategySupport } from '../recipe/types.js';

export interface StrategyParams {
  /** Base of the build stage (and of the only stage for `single`). */
  build: string;
  /** Base of the runtime stage, or undefined when the build stage is the image. */
  runtime?: string;
  /** How the runtime stage gets its files: none (single stage), kept paths, or their closure. */
  collect: 'none' | 'paths' | 'closure';
  /** Whether runtime packages are installed with apt in the runtime stage (needs Debian there). */
  runtimeApt: boolean;
  /** Whether the build stage runs on the build platform and cross-compiles. */
  cross?: boolean;
}

export const STRATEGY_PARAMS: Record<Strategy, StrategyParams> = {
  single: { build: 'debian:bookworm', collect: 'none', runtimeApt: false },
  multistage: { build: 'debian:bookworm', runtime: 'debian:bookworm-slim', collect: 'paths', runtimeApt: true },
  minimal: { build: 'debian:bookworm', runtime: 'scratch', collect: 'closure', runtimeApt: false },
  cross: {
    build: 'debian:bookworm',
    runtime: 'debian:bookworm-slim',
    collect: 'paths',
    runtimeApt: false,
    cross: true,
  },
  'minimal-cross': { build: 'debian:bookworm', runtime: 'scratch', collect: 'closure', runtimeApt: false, cross: true },
};

/**
 * What the recipe says about a strategy: the paths it keeps and, for a cross method, how it builds
 * on the build platform; or why it is not supported. minimal-cross needs both minimal and cross.
 */
export function strategySupport(recipe: Recipe, strategy: Strategy): StrategySupport | undefined {
  if (strategy !== 'minimal-cross') return recipe.strategies[strategy];
  const [minimal, cross] = [recipe.strategies.minimal, recipe.strategies.cross];
  if (!minimal || !cross) return undefined;
  if (!('keep' in minimal)) return minimal;
  if (!('keep' in cross)) return cross;
  return { keep: minimal.keep, ...(cross.cross ? { cross: cross.cross } : {}) };
}

/** --strategy SHAPE --cross: the strategy that makes SHAPE's image on the build platform. */
export function crossOf(strategy: string): Strategy {
  if (strategy === 'multistage' || strategy === 'cross') return 'cross';
  if (strategy === 'minimal' || strategy === 'minimal-cross') return 'minimal-cross';
  throw new MabError(
    'E_STRATEGY',
    `--cross builds multistage or minimal images, not ${strategy}`,
    'a single-stage image holds its build stage, which a cross build makes for the build platform',
  );
}
