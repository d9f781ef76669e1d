/**
 * What a build's log lines mean, for the progress displays. The pipeline logs plain text: lines of
 * a platform carry its prefix (`[linux/arm64] …`), and within them BuildKit's own plain progress
 * (`#8 [build 2/6] RUN --mount=type=cache,… make`, `#8 DONE 41.2s`, `#8 0.512 make: …`). Each line
 * becomes one event; BuildKit's `#N` ids tie a DONE or ERROR back to the step it ends, and the
 * step's command is cleaned of the RUN flags and shell BuildKit shows (cleanInstruction).
 */
import { cleanInstruction } from '../dockerfile/instruction.js';

export type EventKind =
  /** a line of no platform: preflight, fetches, the store, the push */
  | 'log'
  /** a platform's own line outside BuildKit: building, unchanged, smoke results, exporting */
  | 'status'
  /** BuildKit starts a step: `#8 [build 2/6] RUN make` */
  | 'step'
  /** BuildKit ends one: `#8 DONE 41.2s` or `#8 CACHED` */
  | 'step-done'
  /** any other BuildKit line (only with --verbose): the step's output */
  | 'output'
  /** BuildKit reports a step failed */
  | 'error'
  /** the platform is built and its smoke checks passed */
  | 'done'
  /** the platform failed */
  | 'failed'
  /** a step still running, said when its platform printed nothing for a while (CI logs never go silent) */
  | 'heartbeat';

export interface Step {
  /** n of total in its stage, as BuildKit counts them; absent for BuildKit's own work ([internal]). */
  n?: number;
  total?: number;
  stage?: string;
}

export interface ProgressEvent {
  kind: EventKind;
  platform?: string;
  step?: Step;
  /** BuildKit's id of the step (`#8`), on step, step-done and error events. */
  id?: string;
  /** The step's command (cleaned), on the events that end or mention a step: step-done, error, heartbeat. */
  command?: string;
  /** The line without its prefixes; a step's command cleaned of BuildKit's machinery. */
  text: string;
}

/** Sinks of progress lines: `done` ends the display (clears live lines, stops timers). */
export interface Progress {
  log(line: string): void;
  done(): void;
}

// A platform prefix is an OCI platform (os/arch[/variant]) in brackets.
const PREFIXED = /^\[([\w.-]+\/[\w./-]+)\] (.*)$/s;
const HEADER = /^#(\d+) \[([^\]]+)\] (.*)$/s;
const STEP_OF = /^(?:(\S+) )?(\d+)\/(\d+)$/;
const END = /^#(\d+) (DONE [\d.]+s|CACHED)$/;
const ERROR = /^#(\d+) ERROR:? ?(.*)$/s;

/** A parser for one build's lines; it remembers each platform's steps by BuildKit id. */
export function eventParser(): (line: string) => ProgressEvent {
  const steps = new Map<string, { step?: Step; text: string }>();
  return (line) => {
    const m = PREFIXED.exec(line);
    if (!m) return { kind: 'log', text: line };
    const platform = m[1]!;
    const rest = m[2]!;
    const header = HEADER.exec(rest);
    if (header) {
      const [, id, label, command] = header;
      const counted = STEP_OF.exec(label!);
      const step: Step | undefined = counted
        ? { n: Number(counted[2]), total: Number(counted[3]), ...(counted[1] ? { stage: counted[1] } : {}) }
        : undefined;
      const text = counted ? cleanInstruction(command!) : `[${label}] ${command}`;
      steps.set(`${platform} ${id}`, { ...(step ? { step } : {}), text });
      return { kind: 'step', platform, id: id!, ...(step ? { step } : {}), text };
    }
    const end = END.exec(rest) ?? ERROR.exec(rest);
    const known = end && steps.get(`${platform} ${end[1]}`);
    // The end of a step whose start was not shown (BuildKit's export, without --verbose) is only output.
    if (end && (known || rest.startsWith(`#${end[1]} ERROR`))) {
      const kind = rest.startsWith(`#${end[1]} ERROR`) ? 'error' : 'step-done';
      return {
        kind,
        platform,
        id: end[1]!,
        ...(known?.step ? { step: known.step } : {}),
        ...(known ? { command: known.text } : {}),
        text: kind === 'error' ? end[2]! : end[2] === 'CACHED' ? 'cached' : `done in ${end[2]!.slice(5)}`,
      };
    }
    if (/^#\d+ /.test(rest)) return { kind: 'output', platform, text: rest };
    if (rest.startsWith('done: ')) return { kind: 'done', platform, text: rest.slice(6) };
    if (rest.startsWith('failed: ')) return { kind: 'failed', platform, text: rest.slice(8) };
    return { kind: 'status', platform, text: rest };
  };
}

/** `[2/6] ` for a counted step, else nothing. */
export function stepLabel(step: Step | undefined): string {
  return step?.n !== undefined ? `[${step.n}/${step.total}] ` : '';
}

/** A short elapsed time for a display: 9.4s, 1m05s, 2h03m. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
