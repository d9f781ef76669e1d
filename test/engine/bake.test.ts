/**
 * mab bake: the docker-bake.json it writes is read by buildx itself (bake --print) and names no
 * path of the machine that wrote it: its contexts resolve from where mab bake ran, and, with
 * MAB_BAKE_DIR, from another directory after the file and its contexts moved, where one of its
 * targets builds with `docker buildx bake` into an image for the target's platform. A recipe's
 * build secrets go into the file only as given (a name or a path, never a value).
 */
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT, mab, sh } from './helpers.js';

/** mab run from a directory of the caller's choosing, as a user in a checkout would. */
const mabIn = (cwd: string, args: string[]) =>
  execa('node', [path.join(ROOT, 'bin/mab.js'), ...args], { cwd, reject: false, stdin: 'ignore' });

/** What `docker buildx bake --print` resolves, run in cwd. */
async function bakePrint(cwd: string, file: string, env: Record<string, string> = {}) {
  const r = await execa('docker', ['buildx', 'bake', '-f', file, '--print'], { cwd, env, stdin: 'ignore' });
  return JSON.parse(r.stdout) as {
    group: Record<string, { targets: string[] }>;
    target: Record<string, { platforms: string[]; context: string; dockerfile: string }>;
  };
}

/** Every target's context, resolved from cwd as buildx does, holds its Dockerfile. */
async function contextsExist(cwd: string, printed: Awaited<ReturnType<typeof bakePrint>>): Promise<string[]> {
  const dirs = Object.values(printed.target).map((t) => path.resolve(cwd, t.context));
  for (const [i, t] of Object.values(printed.target).entries())
    expect((await stat(path.join(dirs[i]!, t.dockerfile))).isFile(), `${t.context} from ${cwd}`).toBe(true);
  return dirs;
}

describe('mab bake', () => {
  it('writes a bake file buildx reads and builds, one target per platform and strategy, with no path of this machine', async () => {
    const top = await mkdtemp(path.join(os.tmpdir(), 'mab-bake-'));
    const r = await mabIn(top, ['bake', 'http-endpoint-c', '--arch', 'amd64,arm64', '-o', 'build', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const file = path.join(top, 'build', 'docker-bake.json');
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(top);
    expect(text).not.toMatch(/"\//);
    const printed = await bakePrint(top, 'build/docker-bake.json');
    const strategies = ['single', 'multistage', 'minimal', 'cross', 'minimal-cross'];
    expect(printed.group.default!.targets).toEqual(
      strategies.flatMap((s) => [`http-endpoint-c-${s}-amd64`, `http-endpoint-c-${s}-arm64`]),
    );
    // buildx prints the group asked for (default); the strategy groups are in the file.
    const written = JSON.parse(text) as { group: Record<string, { targets: string[] }> };
    for (const s of strategies)
      expect(written.group[s]!.targets).toEqual([`http-endpoint-c-${s}-amd64`, `http-endpoint-c-${s}-arm64`]);
    expect(printed.target['http-endpoint-c-minimal-arm64']).toMatchObject({
      platforms: ['linux/arm64'],
      context: 'build/minimal/arm64',
    });
    // From where mab bake ran, as written; --json says the same.
    expect(await contextsExist(top, printed)).toHaveLength(10);
    const json = JSON.parse(r.stdout) as { file: string; variables: Record<string, string>; targets: object };
    expect(json).toMatchObject({ file, variables: { MAB_BAKE_DIR: 'build' } });
    expect(json.targets).toMatchObject({
      'http-endpoint-c-minimal-arm64': {
        strategy: 'minimal',
        platform: 'linux/arm64',
        context: 'minimal/arm64',
        tags: ['mab/http-endpoint-c:1.0.0-minimal-arm64'],
      },
    });
    // The same Dockerfile mab generate writes (its header names the recipe as seen from the cwd).
    const generated = (await mabIn(top, ['generate', 'http-endpoint-c', '--arch', 'arm64', '--strategy', 'minimal']))
      .stdout;
    expect((await readFile(path.join(top, 'build', 'minimal', 'arm64', 'Dockerfile'), 'utf8')).trimEnd()).toBe(
      generated.trimEnd(),
    );

    // Committed and checked out elsewhere, run from yet another directory: MAB_BAKE_DIR says where.
    const moved = path.join(top, 'checkout', 'ci', 'bake');
    await cp(path.join(top, 'build'), moved, { recursive: true });
    await rm(path.join(top, 'build'), { recursive: true });
    const elsewhere = path.join(top, 'elsewhere');
    await mkdir(elsewhere);
    const env = { MAB_BAKE_DIR: path.relative(elsewhere, moved) };
    const relocated = await bakePrint(elsewhere, path.join(moved, 'docker-bake.json'), env);
    for (const dir of await contextsExist(elsewhere, relocated)) expect(dir.startsWith(moved + path.sep)).toBe(true);
    await execa(
      'docker',
      ['buildx', 'bake', '-f', path.join(moved, 'docker-bake.json'), 'http-endpoint-c-minimal-arm64', '--load'],
      { cwd: elsewhere, env, stdin: 'ignore' },
    );
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
