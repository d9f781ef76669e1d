import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerCredentials } from './auth.js';
import { parseChallenge } from './challenge.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'mab-auth-'));

describe('WWW-Authenticate challenges', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"',
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/debian:pull',
        },
      },
    ],
    ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ['bearer realm=https://x/t, service=s', { scheme: 'bearer', params: { realm: 'https://x/t', service: 's' } }],
    [
      'Bearer realm="a\\"b",scope="repository:a:pull,push repository:b:pull"',
      { scheme: 'bearer', params: { realm: 'a"b', scope: 'repository:a:pull,push repository:b:pull' } },
    ],
  ])('%s', (header, want) => {
    expect(parseChallenge(header)).toEqual(want);
  });

  it('ignores schemes it does not speak', () => {
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('credentials from docker config', () => {
  async function config(content: unknown, helpers: Record<string, string> = {}) {
    const dir = await tmp();
    await writeFile(path.join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content));
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    for (const [name, script] of Object.entries(helpers)) {
      await writeFile(path.join(bin, `docker-credential-${name}`), script);
      await chmod(path.join(bin, `docker-credential-${name}`), 0o755);
    }
    return { DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH}` };
  }
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('reads auths, under the bare host or its URL, and docker.io under its legacy key', async () => {
    const env = await config({
      auths: {
        'https://reg.example:5000': { auth: b64('ann:pa:ss') },
        'https://index.docker.io/v1/': { auth: b64('bob:hub') },
      },
    });
    expect(await dockerCredentials('reg.example:5000', env)).toEqual({ username: 'ann', password: 'pa:ss' });
    expect(await dockerCredentials('docker.io', env)).toEqual({ username: 'bob', password: 'hub' });
    expect(await dockerCredentials('other.example', env)).toBeUndefined();
  });

  it('asks a credential helper (credHelpers before credsStore), and takes "not found" as none', async () => {
    const helper = (user: string) =>
      `#!/bin/sh\nread reg\nif [ "$reg" = "ecr.example" ] || [ "$reg" = "store.example" ]; then echo '{"ServerURL":"'$reg'","Username":"${user}","Secret":"s3cret-'$reg'"}'; else echo "credentials not found in native keychain"; exit 1; fi\n`;
    const env = await config(
      { credHelpers: { 'ecr.example': 'per' }, credsStore: 'all' },
      { per: helper('AWS'), all: helper('store') },
    );
    expect(await dockerCredentials('ecr.example', env)).toEqual({ username: 'AWS', password: 's3cret-ecr.example' });
    expect(await dockerCredentials('store.example', env)).toEqual({
      username: 'store',
      password: 's3cret-store.example',
    });
    expect(await dockerCredentials('nowhere.example', env)).toBeUndefined();
  });

  it('says which helper failed, without anything it printed', async () => {
    const env = await config({ credsStore: 'broken' }, { broken: '#!/bin/sh\necho "leaked-secret" >&2\nexit 3\n' });
    const err = await dockerCredentials('reg.example', env).catch((e: Error) => e);
    expect(String(err)).toMatch(/docker-credential-broken failed for reg\.example \(exit 3\)/);
    expect(String(err)).not.toContain('leaked-secret');
  });

  it('rejects a broken config or auth entry with the file named', async () => {
    await expect(dockerCredentials('r', await config('{nope'))).rejects.toThrow(/config\.json is not valid JSON/);
    await expect(dockerCredentials('r', await config({ auths: { r: { auth: b64('nocolon') } } }))).rejects.toThrow(
      /the "auth" entry for r is not base64 of USER:PASSWORD/,
    );
    expect(await dockerCredentials('r', { DOCKER_CONFIG: '/nonexistent' })).toBeUndefined();
  });
});
