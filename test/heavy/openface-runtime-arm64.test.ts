/**
 * OpenFace's runtime packages on arm64 (test/fixtures/recipes/ofruntime.yaml): the `cross` image,
 * whose packages were unpacked on the build platform, against the `multistage` image, whose
 * packages apt installed under QEMU with every maintainer script run, file by file. Without
 * dlib's module, whose emulated build takes hours; the module is the same compiled code in both
 * strategies and is checked on arm64 by openface-cross.test.ts. Cold, the emulated install takes
 * about ten minutes on 2 cores.
 */
import { describe, expect, it } from 'vitest';
import { ROOT, crossAgainstMultistage, mab } from '../engine/helpers.js';
import { onlyInCross, onlyInMultistage } from './explained.js';

const only = process.env.MAB_HEAVY_RECIPES?.split(',');
const skip = only && !only.includes('openface');

describe.skipIf(skip)("OpenFace's runtime packages on arm64, cross against emulated multistage", () => {
  it(
    'hold the same files, but for what only maintainer scripts and triggers make',
    async () => {
      for (const strategy of ['cross', 'multistage']) {
        const r = await mab([
          'build',
          'ofruntime',
          '--recipes',
          `${ROOT}/test/fixtures/recipes`,
          '--arch',
          'arm64',
          '--strategy',
          strategy,
          '--rerun-smoke',
          '--json',
          '--quiet',
        ]);
        expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
      }
      const d = await crossAgainstMultistage((strategy) => `mab/ofruntime:1.0.0-${strategy}-arm64`, 'linux/arm64');
      expect(
        d.onlyMulti.filter((f) => !onlyInMultistage('aarch64-linux-gnu').test(f)),
        'only in multistage',
      ).toEqual([]);
      expect(
        d.onlyCross.filter((f) => !onlyInCross('aarch64-linux-gnu').test(f)),
        'only in cross',
      ).toEqual([]);
      expect(d.files).toBeGreaterThan(20000);
      expect(d.madeCross, 'alternatives, trigger interests and CA links').toBe(d.madeMulti);
    },
    2 * 3600_000,
  );
});
