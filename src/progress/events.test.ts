import { describe, expect, it } from 'vitest';
import { eventParser, shortDuration } from './events.js';

// Lines as a build of http-endpoint-c logs them (BuildKit's plain progress behind mab's prefix).
const APT =
  'RUN --mount=type=cache,id=mab-apt-var-cache-apt-cross-arm64,target=/var/cache/apt,sharing=locked --mount=type=cache,id=mab-apt-var-lib-apt-lists-cross-arm64,target=/var/lib/apt/lists,sharing=locked if [ "$(dpkg --print-architecture)" = arm64 ]; then toolchain=build-essential;     else toolchain=crossbuild-essential-arm64; fi';

describe('eventParser', () => {
  it('reads steps with their n/N and cleaned command, and ties their end back to them', () => {
    const parse = eventParser();
    expect(parse(`[linux/arm64] #8 [build 2/6] ${APT}`)).toEqual({
      kind: 'step',
      platform: 'linux/arm64',
      id: '8',
      step: { n: 2, total: 6, stage: 'build' },
      text: 'RUN if [ "$(dpkg --print-architecture)" = arm64 ]; then toolchain=build-essential; else toolchain=crossbuild-essential-arm64; fi',
    });
    expect(parse('[linux/arm64] #8 DONE 22.7s')).toMatchObject({
      kind: 'step-done',
      step: { n: 2, total: 6 },
      text: 'done in 22.7s',
      command: expect.stringMatching(/^RUN if /),
    });
    expect(parse('[linux/arm64] #9 [2/3] COPY --from=build /out/ /')).toMatchObject({
      step: { n: 2, total: 3 },
      text: 'COPY --from=build /out/ /',
    });
    expect(parse('[linux/arm64] #9 CACHED')).toMatchObject({ kind: 'step-done', text: 'cached' });
  });

  it("keeps BuildKit's own steps uncounted, and an end whose start was not shown is output", () => {
    const parse = eventParser();
    expect(parse('[linux/amd64] #1 [internal] load build definition from Dockerfile')).toEqual({
      kind: 'step',
      platform: 'linux/amd64',
      id: '1',
      text: '[internal] load build definition from Dockerfile',
    });
    expect(parse('[linux/amd64] #12 DONE 0.2s')).toEqual({
      kind: 'output',
      platform: 'linux/amd64',
      text: '#12 DONE 0.2s',
    });
    expect(parse('[linux/amd64] #13 0.512 gcc: error')).toMatchObject({ kind: 'output' });
  });

  it("tells a platform's steps apart from another's with the same BuildKit id", () => {
    const parse = eventParser();
    parse('[linux/amd64] #8 [build 5/6] RUN make');
    parse('[linux/arm64] #8 [build 3/6] COPY files/ /src/');
    expect(parse('[linux/amd64] #8 ERROR: process did not complete successfully')).toMatchObject({
      kind: 'error',
      step: { n: 5 },
      command: 'RUN make',
      text: 'process did not complete successfully',
    });
  });

  it("reads mab's own lines: global, a platform's status, its end", () => {
    const parse = eventParser();
    expect(parse('building 2 platforms at a time')).toEqual({ kind: 'log', text: 'building 2 platforms at a time' });
    expect(parse('[linux/arm/v7] built in 26.1 s; smoke testing')).toEqual({
      kind: 'status',
      platform: 'linux/arm/v7',
      text: 'built in 26.1 s; smoke testing',
    });
    expect(parse('[linux/arm64] done: built in 26.1 s, 1 smoke check passed')).toMatchObject({ kind: 'done' });
    expect(parse('[linux/arm64] failed: smoke GET / failed')).toMatchObject({
      kind: 'failed',
      text: 'smoke GET / failed',
    });
  });

  it.each([
    [9_440, '9.4s'],
    [65_000, '1m05s'],
    [7_380_000, '2h03m'],
  ])('shortDuration(%d) is %s', (ms, text) => expect(shortDuration(ms)).toBe(text));
});
