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
 */
import type { Strategy } from '../recipe/types.js';

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
};
