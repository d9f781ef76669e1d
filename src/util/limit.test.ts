import { describe, expect, it } from 'vitest';
import { mapLimited } from './limit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapLimited', () => {
  it('keeps the order, and never runs more than jobs at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimited([30, 5, 20, 1, 10], 2, async (ms, i) => {
      peak = Math.max(peak, ++running);
      await sleep(ms);
      running--;
      return i * 10;
    });
    expect(out).toEqual([0, 10, 20, 30, 40]);
    expect(peak).toBe(2);
  });

  it('starts nothing after a failure, lets the running ones finish, then throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    await expect(
      mapLimited([0, 1, 2, 3], 2, async (x) => {
        started.push(x);
        if (x === 0) throw new Error('platform 0 failed');
        await sleep(20);
        finished.push(x);
      }),
    ).rejects.toThrow('platform 0 failed');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });
});
