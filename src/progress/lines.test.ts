import { afterEach, describe, expect, it, vi } from 'vitest';
import { lineProgress, type LineOptions } from './lines.js';

afterEach(() => vi.useRealTimers());

function capture(o: Partial<LineOptions>) {
  let t = 1_700_000_000_000;
  const lines: string[] = [];
  const p = lineProgress({
    format: 'plain',
    output: false,
    heartbeatMs: 0,
    ...o,
    write: (s) => lines.push(...s.split('\n').filter(Boolean)),
    now: () => t,
  });
  return { p, lines, at: (ms: number) => (t = 1_700_000_000_000 + ms) };
}

describe('plain progress', () => {
  it('stamps each event with the seconds since the start and shows the cleaned command', () => {
    const { p, lines, at } = capture({});
    p.log('engine 26.1.5, github.com/docker/buildx 0.13.1');
    at(12_345);
    p.log('[linux/arm64] #8 [build 2/6] RUN --mount=type=cache,id=x,target=/var/cache/apt make -j2');
    at(12_400);
    // BuildKit repeats a step's header when its output resumes; output itself waits for --verbose.
    p.log('[linux/arm64] #8 [build 2/6] RUN --mount=type=cache,id=x,target=/var/cache/apt make -j2');
    p.log('[linux/arm64] #8 12.1 make: Entering directory');
    at(54_000);
    p.log('[linux/arm64] #8 DONE 41.6s');
    p.log('[linux/arm64] #12 DONE 0.2s');
    at(125_000);
    p.log('[linux/arm64] done: built in 125.0 s, 1 smoke check passed');
    p.done();
    expect(lines).toEqual([
      '[   0.0s] engine 26.1.5, github.com/docker/buildx 0.13.1',
      '[  12.3s] [linux/arm64] [2/6] RUN make -j2',
      '[  54.0s] [linux/arm64] [2/6] done in 41.6s',
      '[ 125.0s] [linux/arm64] done: built in 125.0 s, 1 smoke check passed',
    ]);
  });

  it('with --verbose, passes every line through', () => {
    const { p, lines } = capture({ output: true, scope: 'cross' });
    p.log('[linux/arm64] #8 12.1 make: Entering directory');
    expect(lines).toEqual(['[   0.0s] cross: [linux/arm64] #8 12.1 make: Entering directory']);
  });

  it('says a long step is still running, per platform, when it printed nothing for the heartbeat time', () => {
    vi.useFakeTimers({ now: 0 });
    const lines: string[] = [];
    const p = lineProgress({ format: 'plain', output: false, heartbeatMs: 30_000, write: (s) => lines.push(s.trim()) });
    p.log('[linux/arm64] #8 [build 5/6] RUN make -j2');
    p.log('[linux/amd64] #9 [build 5/6] RUN make -j2');
    p.log('[linux/arm64] #10 [stage-1 1/2] FROM debian:bookworm-slim');
    vi.advanceTimersByTime(1_000);
    p.log('[linux/arm64] #10 CACHED'); // ends the short step, not the long one
    vi.advanceTimersByTime(20_000);
    p.log('[linux/amd64] #9 DONE 21.0s'); // amd64 has no step left running: no heartbeat
    vi.advanceTimersByTime(50_000);
    p.done();
    vi.advanceTimersByTime(60_000);
    expect(lines.filter((l) => l.includes('still running'))).toEqual([
      '[  31.0s] [linux/arm64] [5/6] still running after 31.0s: RUN make -j2',
      '[  61.0s] [linux/arm64] [5/6] still running after 1m01s: RUN make -j2',
    ]);
  });
});

describe('rawjson progress', () => {
  it('writes one JSON object per event with time, platform, kind, step and text', () => {
    const { p, lines, at } = capture({ format: 'rawjson', scope: 'minimal' });
    at(2_500);
    p.log('[linux/arm/v7] #8 [build 2/6] RUN make');
    p.log('[linux/arm/v7] #8 DONE 1.0s');
    p.log('store ./store: demo:1.0.0 → sha256:ab');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        time: '2023-11-14T22:13:22.500Z',
        elapsed: 2.5,
        scope: 'minimal',
        platform: 'linux/arm/v7',
        kind: 'step',
        step: 2,
        steps: 6,
        stage: 'build',
        text: 'RUN make',
      },
      {
        time: '2023-11-14T22:13:22.500Z',
        elapsed: 2.5,
        scope: 'minimal',
        platform: 'linux/arm/v7',
        kind: 'step-done',
        step: 2,
        steps: 6,
        stage: 'build',
        text: 'done in 1.0s',
        command: 'RUN make',
      },
      {
        time: '2023-11-14T22:13:22.500Z',
        elapsed: 2.5,
        scope: 'minimal',
        kind: 'log',
        text: 'store ./store: demo:1.0.0 → sha256:ab',
      },
    ]);
  });
});
