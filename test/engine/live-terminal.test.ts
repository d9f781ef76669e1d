/**
 * The live progress as a user sees it: a real two-platform build in a pseudo-terminal of 80
 * columns (tmux), its screen read again and again while it runs. Each platform's line must show
 * its step [n/N], its command and its own timer, the total timer must show, no live line may wrap
 * (a wrapped one breaks the redraw and cuts the timer off), and at the end both done marks stay.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const COLUMNS = 80;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const TIME = String.raw`(\d+\.\ds|\d+m\d\ds|\d+h\d\dm)`;
// A platform's live line: mark, platform, [n/N], a command, its time at the right edge.
const STEP_ROW = (p: string) => new RegExp(String.raw`^\S ${p.replace('/', '\\/')}  \[\d+\/\d+\] \S.* +${TIME}$`);
const DONE_ROW = (p: string) => new RegExp(String.raw`^✓ ${p.replace('/', '\\/')}  .* +${TIME}$`);
const TOTAL_ROW = new RegExp(String.raw`^  \d of 2 platforms done +total +${TIME}$`);

const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-live-'));
const socket = path.join(dir, 'tmux.sock');
const tmux = (...args: string[]) => execa('tmux', ['-S', socket, ...args], { stdin: 'ignore' });
afterAll(async () => {
  await tmux('kill-server').catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

/** The screen as tmux shows it, wrapped lines joined (-J), so a line wider than the pane shows as one. */
async function screen(history = false): Promise<string[]> {
  const r = await tmux('capture-pane', '-p', '-J', '-t', 'live', ...(history ? ['-S', '-'] : []));
  const lines = r.stdout.split('\n').map((l) => l.trimEnd());
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

describe('the live terminal display', () => {
  it('shows both platforms’ steps and timers, and the total, within 80 columns, while a real build runs', async () => {
    const command = [
      'node bin/mab.js build http-endpoint-c --arch amd64,arm64 --no-cache --jobs 2',
      `--store ${path.join(dir, 'store')}`,
      '; echo "mab exited $?"; sleep 3600',
    ].join(' ');
    await tmux('new-session', '-d', '-s', 'live', '-x', String(COLUMNS), '-y', '50', '-c', ROOT, command);
    expect((await tmux('display-message', '-p', '-t', 'live', '#{pane_width}')).stdout).toBe(String(COLUMNS));

    const screens: { at: number; lines: string[] }[] = [];
    const start = Date.now();
    while (Date.now() - start < 15 * 60_000) {
      const lines = await screen();
      screens.push({ at: Date.now(), lines });
      if (lines.some((l) => /^mab exited \d+$/.test(l))) break;
      await sleep(300);
    }
    const end = await screen(true);
    expect(end, end.join('\n')).toContain('mab exited 0');

    // Screens where both platforms are in a BuildKit step, each with [n/N] and its timer, with the total below.
    const live = screens.filter(({ lines }) => PLATFORMS.every((p) => lines.some((l) => STEP_ROW(p).test(l))));
    expect(live.length, screens.map((s) => s.lines.join('\n')).join('\n----\n')).toBeGreaterThan(3);
    for (const { lines } of live) expect(lines.some((l) => TOTAL_ROW.test(l))).toBe(true);
    // A live screen for several seconds, not a flash.
    expect(live.at(-1)!.at - live[0]!.at).toBeGreaterThan(3_000);

    // No line of the live block ever wider than the terminal (joined, a wrapped one would be).
    for (const { lines } of screens)
      for (const l of lines.filter((x) => /^\S (linux\/|  )|^  \d of 2 platforms/.test(x)))
        expect(l.length, l).toBeLessThanOrEqual(COLUMNS);

    // At the end: both done marks, whose times no longer moved once shown, and the final total.
    for (const p of PLATFORMS) {
      const last = end.findLast((l) => DONE_ROW(p).test(l));
      expect(last, end.join('\n')).toBeDefined();
      const time = DONE_ROW(p).exec(last!)![1];
      for (const { lines } of screens) {
        const row = lines.find((l) => DONE_ROW(p).test(l));
        if (row) expect(DONE_ROW(p).exec(row)![1]).toBe(time);
      }
    }
    expect(end.some((l) => /^  2 of 2 platforms done +total/.test(l))).toBe(true);
    // What scrolled above the block is whole, not cut at the terminal's width.
    expect(end.some((l) => /^\[linux\/arm64\] done: built in [\d.]+ s, 1 smoke check passed$/.test(l))).toBe(true);
    console.log(`a live screen at ${COLUMNS} columns:\n${live[Math.floor(live.length / 2)]!.lines.join('\n')}`);
  });
});
