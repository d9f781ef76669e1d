/**
 * Build secrets reach the build steps through BuildKit secret mounts and nowhere else. A fixture
 * recipe hashes its secret into the image (proof that it arrived) and prints it (a careless
 * step). The test then searches every place a secret could end up for it: mab's stdout and
 * stderr, the plan, the Dockerfile, every layer and the config of the image in the engine, its
 * history, every blob in the store and in the registry after a push, mab's records and the report.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { REGISTRY, ROOT, mab, sh } from './helpers.js';

const RECIPES = path.join(ROOT, 'test/fixtures/recipes');
const SECRET = `mab-test-secret-${randomBytes(12).toString('hex')}`;
const env = { MAB_TEST_INDEX_TOKEN: SECRET };
const base = ['build', 'private-index', '--recipes', RECIPES, '--arch', 'amd64,arm64', '--strategy', 'multistage'];

/** Where the secret was found among the named texts or byte blobs (gzip ones unpacked). */
function findings(where: Record<string, string | Buffer>): string[] {
  return Object.entries(where)
    .filter(([, v]) => {
      const bytes = Buffer.isBuffer(v) ? (v[0] === 0x1f && v[1] === 0x8b ? gunzipSync(v) : v) : Buffer.from(v);
      return bytes.includes(SECRET) || bytes.includes(Buffer.from(SECRET).toString('base64'));
    })
    .map(([k]) => k);
}

async function filesUnder(dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[path.join(e.parentPath, e.name)] = await readFile(path.join(e.parentPath, e.name));
  }
  return out;
}

describe('a recipe that declares a build secret', () => {
  it('is refused without it, or with one it does not declare, naming the fix', async () => {
    const missing = await mab([...base, '--quiet']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('[E_SECRET]: recipe');
    expect(missing.stderr).toContain('needs the build secret "index_token"');
    expect(missing.stderr).toContain('--secret id=index_token,env=VARIABLE or --secret id=index_token,src=FILE');
    const unknown = await mab(
      [...base, '--secret', 'id=index_token,env=MAB_TEST_INDEX_TOKEN', '--secret', 'id=other,env=HOME'],
      env,
    );
    expect(unknown.stderr).toContain('--secret other: recipe');
    const unset = await mab([...base, '--secret', 'id=index_token,env=MAB_TEST_UNSET_VARIABLE']);
    expect(unset.stderr).toContain(
      'build secret "index_token": the variable MAB_TEST_UNSET_VARIABLE is unset or empty',
    );
  });
});

describe('a build with a secret, pushed', () => {
  let store: string;
  let repo: string;
  let out: { stdout: string; stderr: string };
  beforeAll(async () => {
    store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-secret-')), 'store');
    repo = `mabtest/secret-${randomBytes(4).toString('hex')}`;
    // BuildKit's cache does not key on a secret's value: without --no-cache a rerun of this test
    // would keep the steps (and the hash) of the last run's secret.
    const r = await mab(
      [
        ...base,
        '--secret',
        'id=index_token,env=MAB_TEST_INDEX_TOKEN',
        '--store',
        store,
        '--push',
        `${REGISTRY}/${repo}`,
        '--verbose',
        '--json',
        '--no-cache',
      ],
      env,
    );
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    out = r;
  });

  it('got the secret into the build step, and blanked it where the step printed it', async () => {
    const hash = createHash('sha256').update(SECRET).digest('hex');
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      expect((await sh('docker', ['run', '--rm', '--platform', platform, `${REGISTRY}/${repo}:1.0.0`])).trim()).toBe(
        hash,
      );
    }
    expect(out.stderr).toMatch(/token is \*\*\*/);
  });

  it('is nowhere: output, plan, Dockerfile, layers, config, history, store, registry, records, report', async () => {
    const where: Record<string, string | Buffer> = { stdout: out.stdout, stderr: out.stderr };
    const plan = await mab([...base, '--secret', 'id=index_token,env=MAB_TEST_INDEX_TOKEN', '--print'], env);
    where.plan = plan.stdout;
    where.dockerfile = (
      await mab(['generate', 'private-index', '--recipes', RECIPES, '--arch', 'arm64', '--strategy', 'multistage'])
    ).stdout;
    for (const platform of ['amd64', 'arm64']) {
      const image = `mab/private-index:1.0.0-multistage-${platform}`;
      where[`${image} inspect`] = await sh('docker', ['image', 'inspect', image]);
      where[`${image} history`] = await sh('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', image]);
      // docker save: every layer tar and the config, as the engine holds them.
      const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-secret-save-'));
      await sh('sh', ['-c', `docker save ${image} | tar -x -C ${dir}`]);
      Object.assign(where, await filesUnder(dir));
    }
    const stored = await filesUnder(store);
    expect(Object.keys(stored).filter((f) => f.includes('/blobs/sha256/')).length).toBeGreaterThan(6);
    Object.assign(where, stored);
    // Every manifest and blob in the registry, read back without mab's store.
    const client = new RegistryClient(REGISTRY);
    const index = await client.getManifest(repo, '1.0.0');
    where.index = index.bytes;
    for (const m of (JSON.parse(index.bytes.toString()) as { manifests: { digest: string }[] }).manifests) {
      const manifest = await client.getManifest(repo, m.digest);
      where[m.digest] = manifest.bytes;
      const json = JSON.parse(manifest.bytes.toString()) as {
        config: { digest: string };
        layers: { digest: string }[];
      };
      for (const b of [json.config, ...json.layers]) where[b.digest] = await client.getBlob(repo, b.digest);
    }
    where.report = (await mab(['report', 'private-index:latest', '--store', store, '--json'])).stdout;
    expect(Object.keys(where).length).toBeGreaterThan(20);
    expect(findings(where)).toEqual([]);
    // The search itself finds a secret where there is one.
    expect(findings({ canary: Buffer.concat([Buffer.from('x'), Buffer.from(SECRET)]) })).toEqual(['canary']);
  });
});
