import { afterEach, describe, expect, it, vi } from 'vitest';
import { liveProgress } from './live.js';

afterEach(() => vi.useRealTimers());

/** What a terminal shows once the cursor moves have been applied. */
function screen(out: string): string[] {
  const lines: string[] = [];
  for (const part of out.split(/(\x1b\[\d+F\x1b\[J)/)) {
    const up = /\x1b\[(\d+)F/.exec(part);
    if (up) lines.splice(lines.length - Number(up[1]));
    else lines.push(...part.split('\n').filter(Boolean));
  }
  return lines;
}

const APT =
  'RUN --mount=type=cache,id=mab-apt-var-cache-apt-cross-arm64,target=/var/cache/apt,sharing=locked if [ "$(dpkg --print-architecture)" = arm64 ]; then toolchain=build-essential; else toolchain=crossbuild-essential-arm64; fi';

describe('the live terminal lines', () => {
  it("shows each platform's step [n/N], its command cut (never its time), its own timer, and a total", () => {
    vi.useFakeTimers({ now: 0 });
    let out = '';
    const live = liveProgress({ write: (s) => (out += s), columns: 80, output: false });
    live.log('engine 26.1.5');
    live.log('[linux/amd64] building http-endpoint-c 1.0.0 (1/2, cross)');
    live.log('[linux/arm64] building http-endpoint-c 1.0.0 (2/2, cross)');
    live.log(`[linux/arm64] #8 [build 2/6] ${APT}`);
    vi.advanceTimersByTime(3_000);
    live.log(
      '[linux/amd64] #9 [build 5/6] RUN x86_64-linux-gnu-gcc -O2 -static -s -o /usr/local/bin/http-endpoint server.c',
    );
    vi.advanceTimersByTime(9_250);
    const during = screen(out);
    expect(during.slice(0, 3)).toEqual([
      'engine 26.1.5',
      '[linux/amd64] building http-endpoint-c 1.0.0 (1/2, cross)',
      '[linux/arm64] building http-endpoint-c 1.0.0 (2/2, cross)',
    ]);
    expect(during.slice(3)).toEqual([
      '⠏ linux/amd64  [5/6] RUN x86_64-linux-gnu-gcc -O2 -static -s -o /usr/l…   12.3s',
      '⠏ linux/arm64  [2/6] RUN if [ "$(dpkg --print-architecture)" = arm64 ]…   12.3s',
      '  0 of 2 platforms done                                             total 12.3s',
    ]);
    for (const l of during) expect(l.length).toBeLessThanOrEqual(79);

    // amd64 ends: its mark and its time stay while arm64 goes on.
    live.log('[linux/amd64] #9 DONE 0.5s');
    live.log('[linux/amd64] #14 DONE 0.4s'); // BuildKit's export, whose start was not shown: not news
    live.log('[linux/amd64] built in 12.3 s; smoke testing');
    live.log('[linux/amd64] done: built in 12.3 s, 1 smoke check passed');
    vi.advanceTimersByTime(30_000);
    live.log('[linux/arm64] #8 DONE 42.0s');
    live.log('[linux/arm64] done: built in 42.3 s, 1 smoke check passed');
    live.log('[linux/amd64] exporting to the store ./store');
    live.done();
    vi.advanceTimersByTime(5_000);
    expect(screen(out).slice(-3)).toEqual([
      '✓ linux/amd64  built in 12.3 s, 1 smoke check passed                      12.3s',
      '✓ linux/arm64  built in 42.3 s, 1 smoke check passed                      42.3s',
      '  2 of 2 platforms done                                             total 42.3s',
    ]);
    expect(screen(out)).toContain('[linux/amd64] exporting to the store ./store');
    expect(out).not.toContain('#14');
  });

  it('marks a failed platform, and keeps the time at the right edge on a narrow terminal', () => {
    vi.useFakeTimers({ now: 0 });
    let out = '';
    const live = liveProgress({ write: (s) => (out += s), columns: 40, output: false });
    live.log('[linux/arm/v7] #8 [build 3/6] RUN make -j2 all install');
    vi.advanceTimersByTime(65_000);
    live.log('[linux/arm/v7] #8 ERROR: process did not complete successfully: exit code: 2');
    live.log('[linux/arm/v7] failed: the build of linux/arm/v7 failed');
    live.done();
    const end = screen(out);
    expect(end.at(-2)).toBe('✗ linux/arm/v7  failed: the bu…   1m05s');
    for (const l of end.slice(-2)) expect(l.length).toBe(39);
  });
});
