/**
 * A smoke check runs the image the build left in the engine, or fails: it never pulls. The image
 * here is in the registry (a copy of the Debian base) but was never in the engine; a plain
 * `docker run` would fetch it and the check would pass on an image mab did not build.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runSmoke } from '../../src/engine/smoke.js';
import { REGISTRY, sh } from './helpers.js';

describe('smoke checks', () => {
  it('fail on an image the engine does not have, with its answer, and pull nothing', async () => {
    const image = `${REGISTRY}/mabtest/never-pulled-${randomBytes(3).toString('hex')}:1`;
    await sh('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${REGISTRY}/library/debian:bookworm-slim`,
      `docker://${image}`,
    ]);
    const checks = [
      { name: 'run', run: ['cat', '/etc/debian_version'], expect: '^12' },
      { name: 'http', http: { port: 8080, path: '/' }, expect: 'x' },
      { name: 'shell', shell: 'cat /etc/debian_version', expect: '^12' },
    ];
    // The helper shell is never reached: the container is not created.
    const results = await runSmoke(image, 'linux/amd64', checks, { shellDir: '/nonexistent' });
    expect(results.map((r) => r.name)).toEqual(['run', 'http', 'shell']);
    for (const r of results) {
      expect(r.passed, r.output).toBe(false);
      expect(r.output).toMatch(/No such image/i);
      expect(r.output).toMatch(/answered twice, 2 s apart, that it has no such image/);
      expect(r.output).not.toMatch(/Pulling from|Unable to find image/);
    }
    const listed = await sh('docker', ['image', 'ls', '-q', image]);
    expect(listed.trim()).toBe('');
  });
});
