import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { checkoutOf, publicUrl, sourceDateEpoch } from './checkout.js';

describe('publicUrl', () => {
  it.each([
    ['git@github.com:edge/mab-recipes.git', 'https://github.com/edge/mab-recipes'],
    ['ssh://git@gitlab.example.org:2222/team/recipes.git', 'https://gitlab.example.org/team/recipes'],
    ['https://ci-bot:glpat-SECRET@gitlab.example.org/team/recipes.git', 'https://gitlab.example.org/team/recipes'],
    ['https://git.example.org:8443/team/recipes/', 'https://git.example.org:8443/team/recipes'],
    ['http://10.0.0.5/recipes.git', 'http://10.0.0.5/recipes'],
    ['git://git.example.org/recipes', 'https://git.example.org/recipes'],
    ['/srv/git/recipes.git', undefined],
    ['file:///srv/git/recipes.git', undefined],
    ['mirrors/recipes.git', undefined],
    ['https://example.org/', undefined],
  ])('%s → %s', (remote, url) => {
    expect(publicUrl(remote)).toBe(url);
  });
});

describe('sourceDateEpoch', () => {
  it('reads whole seconds and refuses anything else, naming the value', () => {
    expect(sourceDateEpoch({})).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(1700000000);
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: '2026-12-04' })).toThrow(/SOURCE_DATE_EPOCH "2026-12-04"/);
  });
});

describe('checkoutOf', () => {
  async function repo(remote?: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-checkout-'));
    const git = (...args: string[]) =>
      execa('git', ['-C', dir, ...args], {
        env: {
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.org',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.org',
          GIT_COMMITTER_DATE: '2026-11-30T08:00:00Z',
          GIT_AUTHOR_DATE: '2026-11-30T08:00:00Z',
        },
      });
    await git('init', '--quiet');
    await mkdir(path.join(dir, 'recipes'));
    await writeFile(path.join(dir, 'recipes/demo.yaml'), 'name: demo\n');
    await git('add', '.');
    await git('commit', '--quiet', '-m', 'demo');
    if (remote) await git('remote', 'add', 'origin', remote);
    return dir;
  }

  it('gives the commit, its committer time and the origin without its credentials', async () => {
    const dir = await repo('https://bot:s3cr3t-token@git.example.org/edge/recipes.git');
    const head = (await execa('git', ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
    const c = await checkoutOf(path.join(dir, 'recipes/demo.yaml'), {});
    expect(c).toEqual({
      revision: head,
      source: 'https://git.example.org/edge/recipes',
      created: '2026-11-30T08:00:00Z',
      epoch: Date.parse('2026-11-30T08:00:00Z') / 1000,
    });
    expect(JSON.stringify(c)).not.toContain('s3cr3t');
  });

  it('takes SOURCE_DATE_EPOCH over the commit time, and gives no source for a remote that is a path', async () => {
    const dir = await repo('/srv/git/recipes.git');
    const c = await checkoutOf(path.join(dir, 'recipes/demo.yaml'), { SOURCE_DATE_EPOCH: '1700000000' });
    expect(c?.created).toBe('2023-11-14T22:13:20Z');
    expect(c?.epoch).toBe(1700000000);
    expect(c?.source).toBeUndefined();
  });

  it('gives nothing outside a checkout', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-no-checkout-'));
    await writeFile(path.join(dir, 'demo.yaml'), 'name: demo\n');
    expect(await checkoutOf(path.join(dir, 'demo.yaml'), {})).toBeUndefined();
  });
});
