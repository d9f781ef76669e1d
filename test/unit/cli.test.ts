/** The CLI run in-process: help, usage errors, and the errors that need no engine. */
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../src/cli/main.js';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: { ...process.env, MAB_RECIPES: '' }, cwd: process.cwd() });
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
    const cmd = COMMANDS.find((c) => c.name === name)!;
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
    expect(r.err).toMatch(/\[E_PLATFORM\]: unknown platform "mips64"; supported: linux\/amd64, linux\/arm64, linux\/arm\/v7/);
  });

  it('a platform the recipe does not support names the recipe\'s list', async () => {
    const r = await run(['build', 'sysbench', '--arch', 'riscv64', '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/recipe sysbench does not support linux\/riscv64 .*lists: linux\/amd64, linux\/arm64, linux\/arm\/v7/);
  });

  it('--print gives the resolved plan as JSON without touching an engine', async () => {
    const r = await run(['build', 'sysbench', '--arch', 'aarch64,x86_64', '--push', '127.0.0.1:5000/mab/sysbench', '--print']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan.targets.map((t: { platform: string }) => t.platform)).toEqual(['linux/arm64', 'linux/amd64']);
    expect(plan.targets[0].pushRef).toBe('127.0.0.1:5000/mab/sysbench:1.0.20-arm64');
    expect(plan.targets[0].sources[0].url).toMatch(/sysbench_1\.0\.20\+ds-5_arm64\.deb$/);
    expect(plan.publish).toEqual({ repository: '127.0.0.1:5000/mab/sysbench', tags: ['1.0.20', 'latest'], indexFormat: 'docker' });
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
