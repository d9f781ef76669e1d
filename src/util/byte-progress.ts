/**
 * Byte progress of a transfer that moves several blobs (a platform's push, an image's copy): the
 * bytes done so far (a blob that needed no transfer counts whole), logged every `everyMs` while
 * the count changes, as plain lines a CI log keeps.
 */
import { formatBytes } from './io.js';

export function byteProgress(
  label: string,
  blobs: { digest: string; size: number }[],
  log: ((m: string) => void) | undefined,
  everyMs = 2000,
) {
  const total = blobs.reduce((n, b) => n + b.size, 0);
  const done = new Map<string, number>();
  let shown = -1;
  const show = () => {
    const sent = [...done.values()].reduce((n, x) => n + x, 0);
    if (sent === shown) return;
    shown = sent;
    log?.(
      `[${label}] blobs: ${formatBytes(sent)} of ${formatBytes(total)} (${Math.floor((100 * sent) / Math.max(total, 1))}%)`,
    );
  };
  const timer = setInterval(show, everyMs);
  return {
    set: (digest: string, n: number) => void done.set(digest, n),
    stop: () => clearInterval(timer),
  };
}
