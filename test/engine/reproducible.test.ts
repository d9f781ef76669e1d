/**
 * Reproducible digests on the real engine. sysbench (the default strategy, cross: its runtime
 * packages unpacked, their alternatives set up, the largest layer of the four recipes) builds
 * twice from clean caches to the same digest on amd64 and arm64 (test/fixtures/reproduce.ts says
 * how that is checked). The other three recipes, whose double builds take 4 to 5 minutes more
 * each, are in test/heavy/reproducible.test.ts.
 *
 * `mab verify --rebuild` on a recipe copy whose arm64 build stamps the time into a kept file:
 * amd64 reproduces, arm64 does not, and the stamp is the one file named.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlatformDiff } from '../../src/report/image-diff.js';
import { expectReproduced } from '../fixtures/reproduce.js';
import { mab, recipeEdited } from './helpers.js';

describe('reproducible digests', () => {
  it('sysbench builds twice, from clean caches, to the same digest per platform', async () => {
    const { digests, seconds } = await expectReproduced('sysbench');
    expect(Object.keys(digests).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    console.log(
      `sysbench: ${JSON.stringify(digests)}; builds took ${seconds.map((s) => s.toFixed(0)).join(' and ')} s`,
    );
  });

  it('mab verify --rebuild names the file a build step stamps with the time, and nothing else', async () => {
    const step = '      - dpkg-deb -x sysbench.deb /';
    const recipes = await recipeEdited('sysbench', (t) =>
      t.replace(
        step,
        `${step} && if [ "$DEB_HOST_ARCH" = arm64 ]; then date +%s.%N > /usr/share/sysbench/built-at; fi`,
      ),
    );
    const store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-verify-')), 'store');
    // Outside any git checkout: the time comes from the environment.
    const env = { SOURCE_DATE_EPOCH: '1764547200' };
    const common = ['--recipes', recipes, '--store', store, '--quiet'];
    const built = await mab(['build', 'sysbench', '--arch', 'amd64,arm64', ...common], env);
    expect(built.exitCode, built.stderr.slice(-3000)).toBe(0);

    const r = await mab(['verify', 'sysbench', '--rebuild', '--json', ...common]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(1);
    expect(r.stderr).toMatch(/E_NOT_REPRODUCED[\s\S]*rebuild: 1 of 2 platforms/);
    const { ok, rebuild: result } = JSON.parse(r.stdout) as {
      ok: boolean;
      rebuild: { epoch: number; strategy: string; diffs: PlatformDiff[] };
    };
    expect(ok).toBe(false);
    // What the reference said of itself: its time (config created), its strategy (the store index).
    expect([result.epoch, result.strategy]).toEqual([1764547200, 'cross']);
    const [amd64, arm64] = ['linux/amd64', 'linux/arm64'].map((p) => result.diffs.find((d) => d.platform === p)!);
    expect(amd64!.same).toBe(true);
    expect(arm64!.same).toBe(false);
    expect(arm64!.config).toEqual([]);
    expect(arm64!.layers.flatMap((l) => l.files.map((f) => [f.path, f.what]))).toEqual([
      ['/usr/share/sysbench/built-at', ['content']],
    ]);

    const text = await mab(['verify', 'sysbench', '--rebuild', ...common]);
    expect(text.stdout).toMatch(/^linux\/amd64: reproduced, sha256:/m);
    expect(text.stdout).toMatch(/^ {4}\/usr\/share\/sysbench\/built-at: content "\d+\.\d+\\n" → "\d+\.\d+\\n"$/m);
  });
});
