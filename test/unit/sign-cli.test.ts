/** mab key, sign, verify and --sign run in-process: what they refuse before any registry or engine is asked. */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const { COSIGN_PASSWORD: _, ...rest } = process.env;
  const code = await runCli(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    // No engine answers here: a command that got as far as the engine would fail differently.
    env: { ...rest, MAB_RECIPES: '', DOCKER_HOST: 'unix:///nonexistent/docker.sock', ...env },
    cwd: process.cwd(),
  });
  return { code, out, err };
}

describe('mab key', () => {
  it('generates an encrypted pair only with a password, and prints the public half of the private key', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-key-cli-'));
    const refused = await run(['key', 'generate', path.join(dir, 'a')]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      '[E_KEY_PASSWORD]: COSIGN_PASSWORD is not set: the private key would not be encrypted',
    );
    expect((await run(['key', 'generate', path.join(dir, 'a')], { COSIGN_PASSWORD: '' })).err).toContain(
      'COSIGN_PASSWORD is empty',
    );
    const made = await run(['key', 'generate', path.join(dir, 'a')], { COSIGN_PASSWORD: 'hunter2' });
    expect(made.code, made.err).toBe(0);
    expect(made.err).not.toContain('hunter2');
    const pub = await run(['key', 'public', path.join(dir, 'a.key')], { COSIGN_PASSWORD: 'hunter2' });
    expect(pub.out).toBe(await readFile(path.join(dir, 'a.pub'), 'utf8'));
    const plain = await run(['key', 'generate', path.join(dir, 'b'), '--no-password'], { COSIGN_PASSWORD: 'x' });
    expect(plain.err).toContain('(unencrypted)');
    expect(await readFile(path.join(dir, 'b.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});

describe('mab build --sign', () => {
  it('needs --push', async () => {
    const r = await run(['build', 'sysbench', '--sign', 'cosign.key']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('[E_USAGE]: mab build: --sign means nothing without --push');
  });

  it('reads the key, and refuses a wrong password, before anything is built', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-sign-cli-'));
    expect((await run(['key', 'generate', path.join(dir, 'k')], { COSIGN_PASSWORD: 'right' })).code).toBe(0);
    const r = await run(
      ['build', 'sysbench', '--arch', 'amd64', '--push', '127.0.0.1:5000/x/y', '--sign', path.join(dir, 'k.key')],
      { COSIGN_PASSWORD: 'wrong-one' },
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `[E_KEY_PASSWORD]: the password in COSIGN_PASSWORD does not open ${path.join(dir, 'k.key')}`,
    );
    expect(r.err).not.toContain('wrong-one');
  });
});

describe('mab sign and mab verify', () => {
  it('say what they need', async () => {
    expect((await run(['sign', '127.0.0.1:5000/x/y:1'])).err).toContain('mab sign takes one REFERENCE and --key FILE');
    expect((await run(['verify', '127.0.0.1:5000/x/y:1'])).err).toContain('[E_USAGE]: mab verify has nothing to check');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-sign-cli-'));
    await run(['key', 'generate', path.join(dir, 'k'), '--no-password']);
    const bad = await run(['sign', '127.0.0.1:5000/x/y:1', '--key', path.join(dir, 'k.key'), '-a', 'novalue']);
    expect(bad.err).toContain('--annotation "novalue" is not KEY=VALUE');
    const pubAsPrivate = await run(['sign', '127.0.0.1:5000/x/y:1', '--key', path.join(dir, 'k.pub')]);
    expect(pubAsPrivate.err).toContain('holds a "PUBLIC KEY", not a private key');
  });
});
