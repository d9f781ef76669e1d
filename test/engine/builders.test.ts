/**
 * Per-platform builders against a second, real Docker engine (test/fixtures/remote-engine.ts: its
 * own network namespace, reached over TCP, a docker context): amd64 builds, is smoke-checked and
 * exported there while arm64 builds here, into one index. Which engine built what is read from the
 * engines' own image lists.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteEngine, type RemoteEngine } from '../fixtures/remote-engine.js';
import { REGISTRY, ROOT, mab, sh } from './helpers.js';

const RECIPES = path.join(ROOT, 'test/fixtures/recipes');
const image = (arch: string) => `mab/where-built:1.0.0-multistage-${arch}`;
const images = async (context?: string) =>
  (
    await sh('docker', [...(context ? ['--context', context] : []), 'images', '--format', '{{.Repository}}:{{.Tag}}'])
  ).split('\n');

let remote: RemoteEngine;
let store: string;
beforeAll(async () => {
  remote = await remoteEngine();
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-builders-')), 'store');
  // So that finding it afterwards means this build put it here.
  await execa('docker', ['rmi', '-f', image('amd64')], { reject: false });
});
afterAll(async () => {
  await remote?.stop();
});

const build = (args: string[]) =>
  mab([
    'build',
    'where-built',
    '--recipes',
    RECIPES,
    '--arch',
    'amd64,arm64',
    '--strategy',
    'multistage',
    '--store',
    store,
    ...args,
  ]);

describe('--builder PLATFORM=NAME', () => {
  it('refuses a builder that does not exist, or one for a platform not built, before building', async () => {
    const none = await build(['--builder', 'linux/arm64=no-such-builder']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain(
      '[E_BUILDER]: no docker context or buildx builder named "no-such-builder" (for linux/arm64)',
    );
    const other = await build(['--builder', `linux/riscv64=${remote.context}`]);
    expect(other.stderr).toContain(
      `--builder linux/riscv64=${remote.context}, but linux/riscv64 is not among the platforms built`,
    );
    expect(await images(remote.context)).not.toContain(image('amd64'));
  });

  it('builds, smoke-checks and exports amd64 on the remote engine, arm64 here, into one index that is pushed', async () => {
    const repo = `${REGISTRY}/mabtest/builders-${randomBytes(4).toString('hex')}`;
    const r = await build(['--builder', `linux/amd64=${remote.context}`, '--push', repo, '--json', '--rerun-smoke']);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain(
      `[linux/amd64] builds on docker context ${remote.context} (${new URL(remote.endpoint).hostname})`,
    );
    const result = JSON.parse(r.stdout) as { platforms: { platform: string; smoke: { passed: boolean }[] }[] };
    expect(result.platforms.map((p) => [p.platform, p.smoke.every((s) => s.passed)])).toEqual([
      ['linux/amd64', true],
      ['linux/arm64', true],
    ]);
    // Each engine holds the image it built, and only that one.
    expect(await images(remote.context)).toContain(image('amd64'));
    expect(await images(remote.context)).not.toContain(image('arm64'));
    expect(await images()).toContain(image('arm64'));
    expect(await images()).not.toContain(image('amd64'));
    // What was pushed runs on each platform.
    for (const [platform, machine] of [
      ['linux/amd64', 'x86_64'],
      ['linux/arm64', 'aarch64'],
    ]) {
      expect(
        (await sh('docker', ['run', '--rm', '--pull', 'always', '--platform', platform!, `${repo}:1.0.0`])).trim(),
      ).toBe(machine);
    }
  });
});
