/**
 * The four recipes whose reproducibility is promised (docs/supply-chain.md), each built
 * twice from clean caches on amd64 and arm64 with its default strategy: the same digest per
 * platform, checked as test/fixtures/reproduce.ts says. About 10 minutes on 2 cores; the engine
 * suite runs sysbench only.
 */
import { describe, expect, it } from 'vitest';
import { expectReproduced } from '../fixtures/reproduce.js';

describe.each(['sysbench', 'http-endpoint-c', 'http-endpoint-go', 'http-endpoint-python'])('%s', (recipe) => {
  it('builds twice, from clean caches, to the same digest on amd64 and arm64', async () => {
    const { digests, seconds } = await expectReproduced(recipe);
    expect(Object.keys(digests).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    console.log(
      `${recipe}: ${JSON.stringify(digests)}; builds took ${seconds.map((s) => s.toFixed(0)).join(' and ')} s`,
    );
  });
});
