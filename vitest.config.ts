import { defineConfig } from 'vitest/config';

// Two suites: `unit` (pure, fast, no Docker) and `engine` (a real dockerd, BuildKit, QEMU and
// registry, set up by scripts/setup-host.sh). CI runs both; `npm run test:unit` runs the first.
// A third, `heavy` (every platform, every slow check: hours), exists only with MAB_HEAVY=1, which
// `npm run test:heavy` sets, so a plain `vitest run` never starts it.
const engine = { fileParallelism: false, testTimeout: 30 * 60_000, hookTimeout: 30 * 60_000 };
export default defineConfig({
  test: {
    // One temporary directory per run, removed at its end (MAB_KEEP_TMP=1 keeps it).
    globalSetup: ['test/fixtures/scratch.ts'],
    projects: [
      { test: { name: 'unit', include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'engine',
          include: ['test/engine/**/*.test.ts'],
          // One engine, one QEMU, one registry: engine test files run one at a time.
          ...engine,
        },
      },
      ...(process.env.MAB_HEAVY ? [{ test: { name: 'heavy', include: ['test/heavy/**/*.test.ts'], ...engine, testTimeout: 4 * 3600_000 } }] : []),
    ],
  },
});
