/**
 * Failures a user meets before any build starts, on the real machine: each is one clear
 * paragraph naming the fix, with a nonzero exit.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { mab } from './helpers.js';

describe('preflight errors', () => {
  it('engine down: names DOCKER_HOST and how to start the engine', async () => {
    const r = await mab(['build', 'sysbench', '--arch', 'amd64'], {
      DOCKER_HOST: 'unix:///tmp/mab-no-such-engine.sock',
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /\[E_ENGINE_DOWN\]: the Docker engine is not reachable at DOCKER_HOST=unix:\/\/\/tmp\/mab-no-such-engine\.sock/,
    );
    expect(r.stderr).toMatch(/fix: start it with `bash scripts\/setup-host\.sh`/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // a user error shows no stack
  });

  it('QEMU missing for a platform: disabled for real in binfmt_misc, then restored', async () => {
    const entry = '/proc/sys/fs/binfmt_misc/qemu-arm';
    await writeFile(entry, '0');
    try {
      const r = await mab(['build', 'sysbench', '--arch', 'amd64,arm/v7']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(
        /\[E_QEMU_MISSING\]: no QEMU emulation registered for linux\/arm\/v7 \(\/proc\/sys\/fs\/binfmt_misc\/qemu-arm is disabled\)/,
      );
      expect(r.stderr).toMatch(/fix: install and register it: `apt-get install qemu-user-static/);
    } finally {
      await writeFile(entry, '1');
    }
  });
});
