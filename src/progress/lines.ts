/**
 * Progress for logs (CI, a file, a pipe): one line per event, never rewritten. `plain` is for
 * people reading a CI log:
 *
 *     [  12.3s] [linux/arm64] [2/6] RUN make -j2
 *
 * `rawjson` is one JSON object per line for tools (fields in docs/ci.md). A step that prints
 * nothing for long (a compile, without --verbose) gets a heartbeat line per platform, so a log
 * never goes silent for minutes and a CI job's no-output timeout does not fire.
 */
import { eventParser, shortDuration, stepLabel, type Progress, type ProgressEvent } from './events.js';

export interface LineOptions {
  format: 'plain' | 'rawjson';
  write: (text: string) => void;
  /** A platform in a step that printed nothing for this long gets a heartbeat line; 0: never. */
  heartbeatMs: number;
  /** Show BuildKit's output lines (--verbose); without it only steps, their ends and mab's own lines. */
  output: boolean;
  /** What the lines belong to when a command runs several builds (mab compare: the strategy). */
  scope?: string;
  now?: () => number;
}

export function lineProgress(o: LineOptions): Progress {
  const now = o.now ?? Date.now;
  const start = now();
  const parse = eventParser();
  const render = o.format === 'plain' ? plainLine : jsonLine;
  // Per platform: when it last printed, and its steps still running by BuildKit id (stages run
  // side by side, so a short step may end while a long one goes on).
  const platforms = new Map<string, { printed: number; open: Map<string, { e: ProgressEvent; since: number }> }>();
  const emit = (e: ProgressEvent) => {
    const t = now();
    if (e.kind === 'output' && !o.output) return;
    if (e.platform) {
      const p = platforms.get(e.platform) ?? { printed: t, open: new Map() };
      // BuildKit shows a running step's header again when its output resumes: not news here.
      if (e.kind === 'step' && p.open.has(e.id!) && !o.output) return;
      p.printed = t;
      if (e.kind === 'step') p.open.set(e.id!, { e, since: t });
      if (e.kind === 'step-done' || e.kind === 'error') p.open.delete(e.id!);
      // A platform's own lines come before its build or after it: none of its steps still runs.
      if (e.kind === 'status' || e.kind === 'done' || e.kind === 'failed') p.open.clear();
      platforms.set(e.platform, p);
    }
    o.write(render(e, t, t - start, o.scope) + '\n');
  };
  const beat = () => {
    for (const [platform, p] of platforms) {
      // The step that has run longest is the one holding the platform up.
      const [oldest] = [...p.open.values()].sort((a, b) => a.since - b.since);
      if (oldest && now() - p.printed >= o.heartbeatMs)
        emit({
          kind: 'heartbeat',
          platform,
          ...(oldest.e.step ? { step: oldest.e.step } : {}),
          command: oldest.e.text,
          text: `still running after ${shortDuration(now() - oldest.since)}`,
        });
    }
  };
  let timer = o.heartbeatMs > 0 ? setInterval(beat, Math.min(1000, o.heartbeatMs)) : undefined;
  timer?.unref();
  return {
    log: (line) => emit(parse(line)),
    done() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

function plainLine(e: ProgressEvent, _time: number, elapsed: number, scope?: string): string {
  // A counted step's end needs no command beside its [n/N]; BuildKit's own steps and news of a
  // long or failed one do.
  const command = e.command && (!e.step?.n || e.kind !== 'step-done') ? `: ${e.command}` : '';
  const said = `${e.kind === 'done' || e.kind === 'failed' ? `${e.kind}: ` : ''}${e.text}${command}`;
  return `[${(elapsed / 1000).toFixed(1).padStart(6)}s] ${scope ? `${scope}: ` : ''}${e.platform ? `[${e.platform}] ` : ''}${stepLabel(e.step)}${said}`;
}

function jsonLine(e: ProgressEvent, time: number, elapsed: number, scope?: string): string {
  return JSON.stringify({
    time: new Date(time).toISOString(),
    elapsed: Number((elapsed / 1000).toFixed(3)),
    ...(scope ? { scope } : {}),
    ...(e.platform ? { platform: e.platform } : {}),
    kind: e.kind,
    ...(e.step?.n !== undefined ? { step: e.step.n, steps: e.step.total } : {}),
    ...(e.step?.stage ? { stage: e.step.stage } : {}),
    text: e.text,
    ...(e.command ? { command: e.command } : {}),
  });
}
