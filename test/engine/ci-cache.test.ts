/**
 * BuildKit's cache in a registry, for CI runners that start empty. This host's engine (the
 * containerd image store) builds http-endpoint-c for amd64 and arm64 with --cache-to; then a
 * fresh engine (its own empty data-root, in a network namespace: a new runner) builds it with
 * --cache-from and runs no step but the one the recipe changed. An engine with its own layer
 * store is refused before any build, with the ways out.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES_DIR, engineKind, namespacedEngine, type NamespacedEngine } from '../fixtures/engines.js';
import { BUILD_STEP, REGISTRY, mab, recipeEdited, runSteps, sh } from './helpers.js';

const hostKind = await engineKind({});
const cache = `${REGISTRY}/mabtest/ci-cache-${randomBytes(3).toString('hex')}`;
const STEP = '$CC -O2 -static -s -o /usr/local/bin/http-endpoint server.c';

/** The recipe with its cross build's last step made different by `mark`. */
const changed = (mark: string) =>
  recipeEdited('http-endpoint-c', (text) => text.replace(STEP, `${STEP} && echo ${mark} >/dev/null`));

describe.skipIf(hostKind !== '26.1-containerd')('--cache-to / --cache-from a registry', () => {
  let runner: NamespacedEngine | undefined;
  let dataRoot: string;

  beforeAll(async () => {
    dataRoot = await mkdtemp(path.join(ENGINES_DIR, 'data-fresh-runner-'));
    runner = await namespacedEngine('26.1-containerd', { dataRoot });
  });
  afterAll(async () => {
    await runner?.stop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('writes a cache per platform from this engine', async () => {
    const recipes = await changed('first');
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--recipes',
      recipes,
      '--arch',
      'amd64,arm64',
      '--cache-to',
      `type=registry,ref=${cache},mode=max`,
      '--json',
    ]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    for (const arch of ['amd64', 'arm64']) {
      const raw = JSON.parse(
        await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${cache}:buildcache-${arch}`]),
      ) as { mediaType: string; manifests: unknown[] };
      expect(raw.manifests.length).toBeGreaterThan(2);
    }
  });

  it('builds on a fresh engine from that cache, running only the changed step', async () => {
    const recipes = await changed('second');
    // Inside the runner's namespace the registry is its 127.0.0.1:5000 too (a forwarder).
    const r = await mab(
      ['build', 'http-endpoint-c', '--recipes', recipes, '--arch', 'amd64,arm64', '--cache-from', cache, '-v'],
      runner!.env,
    );
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/importing cache manifest from 127\.0\.0\.1:5000\/mabtest\/ci-cache-\w+:buildcache-arm64/);
    // Per platform: the toolchain's apt step came from the cache; what ran is the changed compile
    // and the step after it, which copies its output. (The fresh engine has no apt lists or .debs
    // in its cache mounts: had the apt step run, it would have printed apt's download.)
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const steps = runSteps(r.stderr, platform);
      const seen = JSON.stringify(steps, null, 1);
      expect(
        steps.filter((s) => s.text.includes('apt-get')).map((s) => s.ran),
        seen,
      ).toEqual([false]);
      expect(
        steps.filter((s) => s.ran).map((s) => (s.text.includes('echo second') ? 'compile' : s.text.split(' ')[0])),
        seen,
      ).toEqual(['compile', 'mkdir']);
    }
  });
});

describe.skipIf(hostKind !== '26.1-containerd')('--cache-to on an engine with its own layer store', () => {
  it('is refused before anything is fetched or built, with the ways out', async () => {
    const overlay = await namespacedEngine('26.1-overlay2');
    try {
      const r = await mab(
        ['build', 'http-endpoint-c', '--arch', 'amd64', '--cache-to', `type=registry,ref=${cache}-x`],
        overlay.env,
      );
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/\[E_CACHE_UNSUPPORTED\]: --cache-to type=registry,ref=\S+: this engine keeps images/);
      expect(r.stderr).toMatch(/type=inline.*containerd-snapshotter.*--builder/s);
      expect(r.stderr).not.toMatch(BUILD_STEP);
      // An inline cache it writes.
      const inline = await mab(
        ['build', 'http-endpoint-c', '--arch', 'amd64', '--cache-to', 'type=inline'],
        overlay.env,
      );
      expect(inline.exitCode, inline.stderr.slice(-3000)).toBe(0);
    } finally {
      await overlay.stop();
    }
  });
});
