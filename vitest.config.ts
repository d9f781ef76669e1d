import { defineConfig } from 'vitest/config';

// Two suites: `unit` (pure, fast, no Docker) and `engine` (a real dockerd, BuildKit, QEMU and
// registry, set up by scripts/setup-host.sh). CI runs both; `npm run test:unit` runs the first.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'engine',
          include: ['test/engine/**/*.test.ts'],
          // One engine, one QEMU, one registry: engine test files run one at a time.
          fileParallelism: false,
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
        },
      },
    ],
  },
});
