/**
 * Progress on a terminal (--progress tty): a block of live lines at the bottom, redrawn in place,
 * one per platform and one for the whole build, while the lines that matter (building, smoke
 * results, errors, the store) scroll above it:
 *
 *     ⠹ linux/amd64  [5/6] RUN x86_64-linux-gnu-gcc -O2 -static -s -o /usr/lo…   21.4s
 *     ✓ linux/arm64  built in 19.0 s, 1 smoke check passed                     20.2s
 *       1 of 2 platforms done                                            total  22.0s
 *
 * A line never reaches the terminal's last column: a line that wraps would break the cursor
 * arithmetic that redraws the block. What gives way is the command, cut at its end; the mark,
 * the platform and the time always show. A platform's time stops at its done (✓) or failed (✗)
 * mark, while the others go on; at the end the block stays, as the summary.
 */
import { eventParser, shortDuration, stepLabel, type Progress, type ProgressEvent } from './events.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TIME_WIDTH = 7;

interface Row {
  /** What the platform does now when no step of it runs (its last own line, or last step). */
  text: string;
  step?: ProgressEvent['step'];
  /** Its steps still running, by BuildKit id, in the order they started. */
  open: Map<string, ProgressEvent>;
  since: number;
  ended?: number;
  mark?: '✓' | '✗';
}

export interface LiveOptions {
  write: (text: string) => void;
  columns: number;
  /** Scroll BuildKit's output lines above the block (--verbose); without it they are dropped. */
  output: boolean;
  now?: () => number;
}

export function liveProgress({ write, columns, output, now = Date.now }: LiveOptions): Progress {
  const start = now();
  const parse = eventParser();
  const rows = new Map<string, Row>();
  let drawn = 0;
  let frame = 0;
  const width = columns - 1;
  const clear = () => {
    // Up to the block's first line, then clear to the end of the screen.
    if (drawn) write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = (final: boolean) => {
    if (!rows.size) return;
    const t = now();
    const pw = Math.max(...[...rows.keys()].map((p) => p.length));
    const lines = [...rows].map(([platform, r]) => {
      const current = [...r.open.values()].at(-1);
      const mark = r.mark ?? (final ? '✗' : SPINNER[frame % SPINNER.length]!);
      return fit(
        `${mark} ${platform.padEnd(pw)}  ${stepLabel(current?.step ?? r.step)}`,
        current?.text ?? r.text,
        shortDuration((r.ended ?? t) - r.since),
      );
    });
    const finished = [...rows.values()].filter((r) => r.mark).length;
    lines.push(fit(`  ${finished} of ${rows.size} platforms done`, '', `total ${shortDuration(t - start)}`));
    write(lines.join('\n') + '\n');
    drawn = lines.length;
  };
  /** head, then text cut to fit, then the time at the right edge: never wider than the terminal. */
  const fit = (head: string, text: string, time: string) => {
    const right = ` ${time.padStart(TIME_WIDTH)}`;
    const room = width - head.length - right.length;
    const flat = text.replace(/[\x00-\x1f\x7f]/g, ' ');
    const shown = flat.length <= room ? flat : room > 1 ? `${flat.slice(0, room - 1)}…` : '';
    // On a terminal too narrow even for head and time, the head gives way: the time still shows.
    return `${head}${shown.padEnd(Math.max(0, room))}${right}`.slice(-width);
  };
  const update = (e: ProgressEvent) => {
    if (!e.platform) return;
    const t = now();
    const r: Row = rows.get(e.platform) ?? { text: '', open: new Map(), since: t };
    rows.set(e.platform, r);
    if (r.mark) return;
    if (e.kind === 'step') {
      r.open.delete(e.id!);
      r.open.set(e.id!, e);
      Object.assign(r, { text: e.text, step: e.step });
    } else if (e.kind === 'step-done' || e.kind === 'error') r.open.delete(e.id!);
    else if (e.kind === 'status' || e.kind === 'done' || e.kind === 'failed') {
      r.open.clear();
      r.text = e.kind === 'failed' ? `failed: ${e.text}` : e.text;
      delete r.step;
      if (e.kind !== 'status') Object.assign(r, { mark: e.kind === 'done' ? '✓' : '✗', ended: t });
    }
  };
  let timer: NodeJS.Timeout | undefined = setInterval(() => {
    frame++;
    clear();
    draw(false);
  }, 250);
  timer.unref();
  return {
    log(line) {
      const e = parse(line);
      clear();
      // Steps live in the block; everything else scrolls above it, as it came.
      if (e.kind !== 'step' && e.kind !== 'step-done' && (e.kind !== 'output' || output)) write(line + '\n');
      update(e);
      draw(false);
    },
    done() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      clear();
      draw(true);
      drawn = 0;
    },
  };
}
