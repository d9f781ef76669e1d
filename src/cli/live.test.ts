import { describe, expect, it } from 'vitest';
import { liveStatus } from './live.js';

describe('the live status lines', () => {
  it('keeps one line per platform for BuildKit steps, scrolls the rest above, and clears at the end', () => {
    let out = '';
    let t = 0;
    const live = liveStatus(
      (s) => (out += s),
      60,
      () => t,
    );
    live.log('[linux/arm64] #7 [build 3/6] RUN make -j2');
    t = 4000;
    live.log('[linux/amd64] #9 [build 5/6] RUN strip /usr/local/bin/a-rather-long-program-name-to-cut');
    live.log('[linux/amd64] built in 12.0 s; smoke testing');
    live.done();
    // What a terminal shows once the cursor moves have been applied:
    const screen: string[] = [];
    for (const part of out.split(/(\x1b\[\d+F\x1b\[J)/)) {
      const up = /\x1b\[(\d+)F/.exec(part);
      if (up) screen.splice(screen.length - Number(up[1]));
      else screen.push(...part.split('\n').filter(Boolean));
    }
    expect(screen).toEqual(['[linux/amd64] built in 12.0 s; smoke testing']);
    // Before the end, both platforms had their line, with the time on the step; the long one cut to
    // the terminal's width, so a line never wraps (which would break the cursor arithmetic).
    expect(out).toContain(
      '[linux/arm64] #7 [build 3/6] RUN make -j2 (4 s)\n[linux/amd64] #9 [build 5/6] RUN strip /usr/local/bin/a-ra…\n',
    );
    expect(
      Math.max(
        ...out
          .replace(/\x1b\[\d+F\x1b\[J/g, '\n')
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(59);
  });
});
