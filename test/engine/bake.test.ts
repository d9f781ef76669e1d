/**
 * mab bake: the docker-bake.json it writes is read by buildx itself (bake --print), one of its
 * targets builds with `docker buildx bake` into an image for the target's platform, and a recipe's
 * build secrets go into the file only as given (a name or a path, never a value).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, mab, sh } from './helpers.js';

describe('mab bake', () => {
  it('writes a bake file buildx reads and builds, one target per platform and strategy', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'mab-bake-'));
    const r = await mab(['bake', 'http-endpoint-c', '--arch', 'amd64,arm64', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const file = path.join(out, 'docker-bake.json');
    const printed = JSON.parse(await sh('docker', ['buildx', 'bake', '-f', file, '--print'])) as {
      group: Record<string, { targets: string[] }>;
      target: Record<string, { platforms: string[]; context: string }>;
    };
    const strategies = ['single', 'multistage', 'minimal', 'cross', 'minimal-cross'];
    expect(printed.group.default!.targets).toEqual(
      strategies.flatMap((s) => [`http-endpoint-c-${s}-amd64`, `http-endpoint-c-${s}-arm64`]),
    );
    // buildx prints the group asked for (default); the strategy groups are in the file.
    const written = JSON.parse(await readFile(file, 'utf8')) as { group: Record<string, { targets: string[] }> };
    for (const s of strategies)
      expect(written.group[s]!.targets).toEqual([`http-endpoint-c-${s}-amd64`, `http-endpoint-c-${s}-arm64`]);
    expect(printed.target['http-endpoint-c-minimal-arm64']).toMatchObject({
      platforms: ['linux/arm64'],
      context: path.join(out, 'minimal', 'arm64'),
    });
    // The same Dockerfile mab generate writes.
    const generated = (await mab(['generate', 'http-endpoint-c', '--arch', 'arm64', '--strategy', 'minimal'])).stdout;
    expect((await readFile(path.join(out, 'minimal', 'arm64', 'Dockerfile'), 'utf8')).trimEnd()).toBe(
      generated.trimEnd(),
    );
    await sh('docker', ['buildx', 'bake', '-f', file, 'http-endpoint-c-minimal-arm64', '--load']);
    const inspected = JSON.parse(
      await sh('docker', ['image', 'inspect', 'mab/http-endpoint-c:1.0.0-minimal-arm64']),
    ) as { Architecture: string }[];
    expect(inspected[0]!.Architecture).toBe('arm64');
  });

  it("passes a recipe's build secrets as given, and needs them", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'mab-bake-secret-'));
    const args = [
      'bake',
      'private-index',
      '--recipes',
      path.join(ROOT, 'test/fixtures/recipes'),
      '--strategy',
      'multistage',
      '-o',
      out,
    ];
    const without = await mab(args);
    expect(without.exitCode).toBe(1);
    expect(without.stderr).toContain('needs the build secret "index_token"');
    const r = await mab([...args, '--secret', 'id=index_token,env=INDEX_TOKEN']);
    expect(r.exitCode, r.stderr).toBe(0);
    const bake = JSON.parse(await readFile(path.join(out, 'docker-bake.json'), 'utf8')) as {
      target: Record<string, { secret: string[] }>;
    };
    expect(bake.target['private-index-multistage-amd64']!.secret).toEqual(['id=index_token,env=INDEX_TOKEN']);
  });
});
