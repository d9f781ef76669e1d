/**
 * mab's registry client against real registries that want credentials: htpasswd basic auth, and
 * token auth with a token server. Pushes are checked with skopeo; wrong credentials fail clearly,
 * push nothing, and never echo the password.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/types.js';
import type { Credentials } from '../../src/registry/auth.js';
import { RegistryClient } from '../../src/registry/client.js';
import { fakeEcrApi, type FakeEcr } from '../fixtures/ecr-api.js';
import { basicAuthRegistry, tokenAuthRegistry, type TestRegistry } from '../fixtures/registries.js';
import { execa } from 'execa';
import { ROOT, mab, sh } from './helpers.js';

const PASSWORD = 'correct horse battery staple';
const GOOD: Credentials = { username: 'ann', password: PASSWORD };
const BAD: Credentials = { username: 'ann', password: 'Tr0ub4dor&3' };

/** A one-layer image, pushed children first. */
async function pushImage(client: RegistryClient, repo: string, tag: string): Promise<string> {
  const layer = Buffer.from(`not a real layer ${repo}`);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] } }),
  );
  await client.pushBlob(repo, sha256Digest(layer), layer.length, layer);
  await client.pushBlob(repo, sha256Digest(config), config.length, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256Digest(layer), size: layer.length }],
    }),
  );
  return client.putManifest(repo, tag, MediaType.OciManifest, manifest);
}

/** On a failed test, the registry's own log: it says why it refused a token or a password. */
const showLogOnFailure =
  (reg: () => TestRegistry | undefined) =>
  async ({ task }: { task: { name: string; result?: { state?: string } } }) => {
    if (task.result?.state !== 'fail') return;
    await new Promise((r) => setTimeout(r, 300)); // its last lines may still be in the pipe
    console.error(`registry log after "${task.name}":\n${reg()?.log().slice(-4000)}`);
  };

describe.each([
  ['htpasswd basic auth', () => basicAuthRegistry({ ann: PASSWORD })],
  ['token auth', () => tokenAuthRegistry({ ann: PASSWORD })],
] as const)('%s', (_name, start) => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await start();
  });
  afterAll(async () => reg?.stop());
  afterEach(showLogOnFailure(() => reg));

  it('pushes with the right credentials; skopeo reads the image back with them', async () => {
    const digest = await pushImage(new RegistryClient(reg.address, { credentials: GOOD }), 'mab/auth-demo', 'v1');
    const raw = await sh('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      `ann:${PASSWORD}`,
      `docker://${reg.address}/mab/auth-demo:v1`,
    ]);
    expect(sha256Digest(raw)).toBe(digest);
  });

  it("takes the credentials from docker's config when none are given", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-dockercfg-'));
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { [reg.address]: { auth: Buffer.from(`ann:${PASSWORD}`).toString('base64') } } }),
    );
    const client = new RegistryClient(reg.address, { env: { ...process.env, DOCKER_CONFIG: dir } });
    expect(await client.headManifest('mab/auth-demo', 'v1')).toMatchObject({
      digest: expect.stringMatching(/^sha256:/),
    });
  });

  it('fails a wrong password with a clear error, pushes nothing, and never prints the password', async () => {
    const err = await pushImage(new RegistryClient(reg.address, { credentials: BAD }), 'mab/auth-denied', 'v1').catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const text = `${(err as Error).message} ${(err as { hint?: string }).hint ?? ''}`;
    expect(text).toMatch(/401|refused user "ann"/);
    expect(text).not.toContain(BAD.password);
    expect(text).not.toContain(Buffer.from(`ann:${BAD.password}`).toString('base64'));
    expect(
      await new RegistryClient(reg.address, { credentials: GOOD }).headManifest('mab/auth-denied', 'v1'),
    ).toBeUndefined();
  });
});

describe('mab push and mab build --push with --username --password-stdin', () => {
  let reg: TestRegistry;
  let store: string;
  beforeAll(async () => {
    reg = await basicAuthRegistry({ ann: PASSWORD });
    store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-auth-store-')), 'store');
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--arch',
      'amd64',
      '--strategy',
      'minimal',
      '--store',
      store,
      '--quiet',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
  });
  afterAll(async () => reg?.stop());

  /** mab with the password on stdin and no docker config to fall back on. */
  const withPassword = (password: string, args: string[]) =>
    execa('node', [path.join(ROOT, 'bin/mab.js'), ...args, '--store', store, '--username', 'ann', '--password-stdin'], {
      input: `${password}\n`,
      reject: false,
      env: { ...process.env, DOCKER_CONFIG: '/nonexistent' },
    });
  const push = (password: string) =>
    withPassword(password, ['push', 'http-endpoint-c:1.0.0', `${reg.address}/mab/cli`]);

  it('pushes with the password from stdin and prints no secret; a wrong one fails with the 401 and pushes nothing', async () => {
    const bad = await push(BAD.password);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/→ 401/);
    expect(bad.stdout + bad.stderr).not.toContain(BAD.password);
    expect(
      await new RegistryClient(reg.address, { credentials: GOOD }).headManifest('mab/cli', '1.0.0'),
    ).toBeUndefined();
    const ok = await push(PASSWORD);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(PASSWORD);
    expect(await new RegistryClient(reg.address, { credentials: GOOD }).headManifest('mab/cli', '1.0.0')).toBeDefined();
  });

  it('publishes to a registry that wants a password, and prints no secret', async () => {
    const r = await withPassword(PASSWORD, [
      'build',
      'http-endpoint-c',
      '--arch',
      'amd64',
      '--strategy',
      'minimal',
      '--push',
      `${reg.address}/mab/built`,
      '--json',
    ]);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    const digest = (JSON.parse(r.stdout) as { index: { digest: string } }).index.digest;
    expect(
      (await new RegistryClient(reg.address, { credentials: GOOD }).headManifest('mab/built', '1.0.0'))?.digest,
    ).toBe(digest);
  });
});

describe('AWS ECR (real SDK, loopback stand-in for the ECR API, real registry)', () => {
  let reg: TestRegistry;
  let api: FakeEcr;
  beforeAll(async () => {
    // The registry takes user AWS with the password GetAuthorizationToken hands out, as ECR does.
    reg = await basicAuthRegistry({ AWS: 'ecr-password-from-token' });
    api = await fakeEcrApi({
      accessKeyId: 'AKIAMABENGINE',
      token: { user: 'AWS', password: 'ecr-password-from-token' },
    });
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIAMABENGINE',
      AWS_SECRET_ACCESS_KEY: 'engine-test-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });
  afterAll(async () => {
    api?.close();
    await reg?.stop();
  });

  it('pushes with the token from GetAuthorizationToken; skopeo reads it back', async () => {
    const client = new RegistryClient(reg.address, {
      ecr: { region: 'eu-west-1', endpoint: api.endpoint },
      env: { ...process.env, DOCKER_CONFIG: '/nonexistent' },
    });
    const digest = await pushImage(client, 'edge/sysbench', '1.0.20');
    const raw = await sh('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      'AWS:ecr-password-from-token',
      `docker://${reg.address}/edge/sysbench:1.0.20`,
    ]);
    expect(sha256Digest(raw)).toBe(digest);
    expect(api.calls).toEqual(['GetAuthorizationToken']);
  });
});

describe('token auth scopes', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await tokenAuthRegistry({ ann: PASSWORD, bob: PASSWORD }, { bob: ['mab/ann-only'] });
  });
  afterAll(async () => reg?.stop());
  afterEach(showLogOnFailure(() => reg));

  it('a mount from a repository the user may not read falls back to an upload; one it may read mounts', async () => {
    const blob = Buffer.from('a layer in two repositories');
    const digest = sha256Digest(blob);
    const ann = new RegistryClient(reg.address, { credentials: GOOD });
    expect(await ann.pushBlob('mab/ann-only', digest, blob.length, blob)).toBe('uploaded');
    const bob = new RegistryClient(reg.address, { credentials: { username: 'bob', password: PASSWORD } });
    expect(await bob.pushBlob('mab/bob', digest, blob.length, blob, { mountFrom: ['mab/ann-only'] })).toBe('uploaded');
    expect(await ann.pushBlob('mab/ann-too', digest, blob.length, blob, { mountFrom: ['mab/ann-only'] })).toBe(
      'mounted',
    );
    expect((await bob.getBlob('mab/bob', digest)).equals(blob)).toBe(true);
  });

  it('anonymous callers may pull but not push; the token asked for names the repository', async () => {
    await pushImage(new RegistryClient(reg.address, { credentials: GOOD }), 'mab/public', 'v1');
    const anon = new RegistryClient(reg.address, { env: { ...process.env, DOCKER_CONFIG: '/nonexistent' } });
    expect(await anon.headManifest('mab/public', 'v1')).toBeDefined();
    await expect(pushImage(anon, 'mab/public', 'v2')).rejects.toThrow(/→ 401/);
    expect(reg.tokenRequests.some((q) => decodeURIComponent(q).includes('scope=repository:mab/public:pull'))).toBe(
      true,
    );
  });
});
