/** The CLI run in-process: help, usage errors, and the errors that need no engine. */
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../src/cli/main.js';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { ...process.env, MAB_RECIPES: '' },
    cwd: process.cwd(),
  });
  return { code, out, err };
}

describe('mab CLI', () => {
  it('lists every command in --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(`  ${c.name}`);
  });

  it.each(COMMANDS.map((c) => c.name))('`mab %s --help` documents every option and an example', async (name) => {
    const r = await run([name, '--help']);
    expect(r.code).toBe(0);
    const cmd = await COMMANDS.find((c) => c.name === name)!.load();
    for (const opt of Object.keys(cmd.options)) expect(r.out).toContain(`--${opt}`);
    expect(r.out).toMatch(/Examples:\n  mab /);
  });

  it('suggests the closest command', async () => {
    const r = await run(['biuld']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown command "biuld"[\s\S]*did you mean `mab build`/);
  });

  it('unknown recipe lists the known ones', async () => {
    const r = await run(['build', 'sysbnch', '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[E_RECIPE_UNKNOWN\]: unknown recipe "sysbnch"; recipes in .*recipes: .*sysbench/);
    expect(r.err).toMatch(/did you mean "sysbench"/);
  });

  it('unknown platform lists the supported ones', async () => {
    const r = await run(['build', 'sysbench', '--arch', 'arm64,mips64', '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /\[E_PLATFORM\]: unknown platform "mips64"; supported: linux\/amd64, linux\/arm64, linux\/arm\/v7/,
    );
  });

  it("a platform the recipe does not support names the recipe's list", async () => {
    const r = await run(['build', 'sysbench', '--arch', 'riscv64', '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /recipe sysbench does not support linux\/riscv64 .*lists: linux\/amd64, linux\/arm64, linux\/arm\/v7/,
    );
  });

  it('--print gives the resolved plan as JSON without touching an engine', async () => {
    const r = await run([
      'build',
      'sysbench',
      '--arch',
      'aarch64,x86_64',
      '--push',
      '127.0.0.1:5000/mab/sysbench',
      '--print',
    ]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan.targets.map((t: { platform: string }) => t.platform)).toEqual(['linux/arm64', 'linux/amd64']);
    expect(plan.targets[0].sources[0].url).toMatch(/sysbench_1\.0\.20\+ds-5_arm64\.deb$/);
    expect(plan.publish).toEqual({
      repository: '127.0.0.1:5000/mab/sysbench',
      tags: ['1.0.20', '1.0', '1', 'latest'],
      tagRule: 'semver',
      indexFormat: 'oci',
    });
    expect(plan.attest).toEqual({ sbom: true, provenance: true });
  });

  it.each([
    [['--sbom=false', '--provenance=false'], 'docker', undefined],
    [['--provenance=false'], 'oci', { sbom: true, provenance: false }],
    [['--by-digest'], 'oci', { sbom: true, provenance: true }],
    [['--index-format', 'docker'], 'docker', { sbom: true, provenance: true }],
  ])('`mab build %j --push`: an OCI index while attestations go in one', async (flags, format, attest) => {
    const r = await run(['build', 'sysbench', '--push', '127.0.0.1:5000/mab/sysbench', ...flags, '--print']);
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(r.out);
    expect([plan.publish.indexFormat, plan.attest]).toEqual([format, attest]);
  });

  it('refuses --sbom with a value that is not true or false', async () => {
    const r = await run(['build', 'sysbench', '--sbom=yes', '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('[E_USAGE]: --sbom "yes" is not true or false');
  });

  it('--platform is --arch, as docker buildx spells it', async () => {
    const a = await run(['build', 'sysbench', '--platform', 'linux/arm64,x86_64', '--print']);
    const b = await run(['build', 'sysbench', '--arch', 'arm64,amd64', '--print']);
    expect(a.code, a.err).toBe(0);
    expect(JSON.parse(a.out).targets.map((t: { platform: string }) => t.platform)).toEqual([
      'linux/arm64',
      'linux/amd64',
    ]);
    expect(a.out).toBe(b.out);
  });

  it.each([['--tag', '{version}'], ['--by-digest'], ['--metadata-file', 'm.json'], ['--create-repository']])(
    '`mab build %s` without --push is refused before anything runs',
    async (...flag) => {
      const r = await run(['build', 'sysbench', ...flag]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`[E_USAGE]: mab build: ${flag[0]} means nothing without --push`);
    },
  );

  it.each([
    [['--progress', 'fancy'], /--progress "fancy" is not one of auto, tty, plain, rawjson, quiet/],
    [['-q', '--progress', 'plain'], /-q and --progress plain say different things/],
  ])('`mab build %j` is refused', async (flags, message) => {
    const r = await run(['build', 'sysbench', ...flags, '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });

  it("--source-date-epoch is every platform's time and the created label; --no-git-labels keeps the time", async () => {
    const given = await run([
      'build',
      'sysbench',
      '--arch',
      'arm64,amd64',
      '--source-date-epoch',
      '1700000000',
      '--print',
    ]);
    expect(given.code, given.err).toBe(0);
    const plan = JSON.parse(given.out) as { targets: { sourceDateEpoch: number; dockerfile: string }[] };
    expect(plan.targets.map((t) => t.sourceDateEpoch)).toEqual([1700000000, 1700000000]);
    expect(plan.targets[0]!.dockerfile).toContain('LABEL org.opencontainers.image.created="2023-11-14T22:13:20Z"');
    // Without labels, the time is still the commit's (this checkout's): builds still reproduce.
    const bare = await run(['build', 'sysbench', '--no-git-labels', '--print']);
    const { targets } = JSON.parse(bare.out) as typeof plan;
    expect(targets[0]!.dockerfile).not.toContain('org.opencontainers.image.created');
    const committed = process.env.SOURCE_DATE_EPOCH || (await execa('git', ['log', '-1', '--format=%ct'])).stdout;
    expect(targets[0]!.sourceDateEpoch).toBe(Number(committed));
    const bad = await run(['build', 'sysbench', '--source-date-epoch', 'yesterday', '--print']);
    expect(bad.err).toMatch(
      /SOURCE_DATE_EPOCH "yesterday" \(from --source-date-epoch or the environment\) is not a whole number/,
    );
  });

  it('`mab verify` asks what to verify', async () => {
    const r = await run(['verify', 'sysbench']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[E_USAGE\]: mab verify has nothing to check[\s\S]*mab verify sysbench --rebuild/);
  });

  it('refuses a strategy the recipe does not support, naming the ones it does', async () => {
    const r = await run(['build', 'sysbench', '--strategy', 'minimal', '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /\[E_STRATEGY_UNSUPPORTED\]: recipe sysbench does not support the minimal strategy[\s\S]*use one it supports: single, multistage/,
    );
  });

  it('`mab generate` prints a validated Dockerfile per platform', async () => {
    const r = await run(['generate', 'http-endpoint-c', '--arch', 'arm64,armhf', '--strategy', 'minimal']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^# ---- linux\/arm64 ----\n# Generated by mab from recipes\/http-endpoint-c\.yaml for linux\/arm64, strategy minimal/m,
    );
    expect(r.out).toContain('# ---- linux/arm/v7 ----');
    expect(r.out.match(/^FROM scratch$/gm)).toHaveLength(2);
  });

  it('`mab generate --json` gives each platform its Dockerfile and context files; with -o, where they went', async () => {
    const argv = ['generate', 'sysbench', '--platform', 'arm64,amd64', '--strategy', 'multistage', '--json'];
    const r = await run(argv);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ schemaVersion: 1, recipe: { name: 'sysbench' }, strategy: 'multistage' });
    expect(doc.targets.map((t: { platform: string }) => t.platform)).toEqual(['linux/arm64', 'linux/amd64']);
    const plain = await run(argv.slice(0, -1));
    for (const t of doc.targets) {
      expect(plain.out).toContain(t.dockerfile);
      expect(t.context[0]).toEqual({ path: 'Dockerfile' });
      const source = t.context.find((e: { path: string }) => e.path.startsWith('sources/'));
      expect(source.source).toMatchObject({ kind: 'url', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-gen-json-'));
    const w = await run(['generate', 'http-endpoint-c', '--arch', 'arm64', '--json', '-o', dir]);
    expect(w.code, w.err).toBe(0);
    const [t] = JSON.parse(w.out).targets;
    expect(t.output).toBe(path.join(dir, 'arm64'));
    for (const e of t.context) await expect(readFile(path.join(t.output, e.path))).resolves.toBeTruthy();
    await rm(dir, { recursive: true, force: true });
  });

  it('`mab generate -o DIR` writes a complete build context per platform', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-gen-'));
    const r = await run([
      'generate',
      'http-endpoint-c',
      '--arch',
      'arm64,amd64',
      '--strategy',
      'cross',
      '-o',
      path.join(dir, 'new'),
    ]);
    expect(r.code, r.err).toBe(0);
    for (const arch of ['arm64', 'amd64']) {
      expect(await readFile(path.join(dir, 'new', arch, 'Dockerfile'), 'utf8')).toMatch(
        /^FROM --platform=\$BUILDPLATFORM debian:bookworm AS build$/m,
      );
      expect(await readFile(path.join(dir, 'new', arch, 'files', 'server.c'), 'utf8')).toContain('hello from C');
      expect(await readFile(path.join(dir, 'new', arch, 'mab', 'unpack-target.sh'), 'utf8')).toMatch(/^#!\/bin\/sh/);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('`mab generate -o DIR` that fails on a platform leaves DIR as it was', async () => {
    const recipes = await mkdtemp(path.join(os.tmpdir(), 'mab-gen-recipes-'));
    await writeFile(
      path.join(recipes, 'demo.yaml'),
      'name: demo\nversion: 1.0.0\nplatforms: [linux/amd64, linux/arm64]\nfiles: [server.c, link.c]\nbuild:\n  packages: [gcc]\n  steps: [gcc -o /usr/local/bin/demo server.c]\nruntime:\n  keep: [/usr/local/bin/demo]\nentrypoint: [demo]\n',
    );
    await mkdir(path.join(recipes, 'demo'));
    await writeFile(path.join(recipes, 'demo', 'server.c'), 'int main(void) { return 0; }\n');
    // Refused by the build context (a recipe file must not be a link), after the Dockerfile and server.c are written.
    await symlink('/etc/hostname', path.join(recipes, 'demo', 'link.c'));
    const out = await mkdtemp(path.join(os.tmpdir(), 'mab-gen-out-'));
    await writeFile(path.join(out, 'keep.txt'), 'was here\n');
    const r = await run([
      'generate',
      'demo',
      '--recipes',
      recipes,
      '--arch',
      'amd64,arm64',
      '--strategy',
      'multistage',
      '-o',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/link\.c is a symbolic link; recipe files must be regular files/);
    expect(await readdir(out)).toEqual(['keep.txt']);
  });

  it('refuses a tag in --push', async () => {
    const r = await run(['build', 'sysbench', '--push', '127.0.0.1:5000/mab/sysbench:v1', '--print']);
    expect(r.err).toMatch(/--push takes a repository, not a tag/);
  });

  it('rejects unknown options with a pointer to --help', async () => {
    const r = await run(['build', 'sysbench', '--archh', 'arm64']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Unknown option '--archh'[\s\S]*mab build --help/);
  });
});
