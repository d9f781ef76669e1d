/**
 * Progress on a terminal: one live line per platform, rewritten in place, showing the step that
 * platform is on, while lines that matter (built, smoke results, errors) scroll above them. Used
 * only when stderr is a TTY and neither --verbose nor --quiet is given; in CI (no TTY) every line
 * is printed as it comes, with its platform prefix.
 */
const PREFIXED = /^\[(\S+)\] (.*)$/;
/** BuildKit's step lines (#7 [build 3/6] RUN …, #7 DONE 1.2s): the transient kind. */
const STEP = /^#\d+ /;

export interface LiveStatus {
  log(line: string): void;
  /** Clears the live lines; what scrolled stays. */
  done(): void;
}

export function liveStatus(write: (text: string) => void, columns: number, now = () => Date.now()): LiveStatus {
  const status = new Map<string, { text: string; since: number }>();
  let drawn = 0;
  const clear = () => {
    // Up to the first live line, then clear to the end of the screen.
    if (drawn) write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    const lines = [...status].map(([p, s]) => {
      const line = `[${p}] ${s.text} (${((now() - s.since) / 1000).toFixed(0)} s)`;
      return line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line;
    });
    if (lines.length) write(lines.join('\n') + '\n');
    drawn = lines.length;
  };
  let timer: NodeJS.Timeout | undefined = setInterval(() => (clear(), draw()), 1000);
  timer.unref();
  return {
    log(line) {
      const m = PREFIXED.exec(line);
      clear();
      if (m && STEP.test(m[2]!)) {
        const prior = status.get(m[1]!);
        // DONE/CACHED lines end a step; the step header names the one now running.
        if (!/^#\d+ (DONE|CACHED)/.test(m[2]!))
          status.set(m[1]!, { text: m[2]!, since: prior && prior.text === m[2] ? prior.since : now() });
      } else {
        write(line + '\n');
        // "building", "unchanged", "built; smoke testing", "exporting": what the platform does
        // now, beyond the build steps (a platform not built again has no steps at all).
        if (m) status.set(m[1]!, { text: m[2]!, since: now() });
      }
      draw();
    },
    done() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
      status.clear();
    },
  };
}
