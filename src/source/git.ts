/**
 * A git source: the tree of one commit, fetched on the host with git (shallow, by commit id) and
 * cached as the `git archive` tar of that commit. The commit id is the pin: git checks every
 * object it receives against its id, so a mirror cannot hand over a different tree.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import { atomicWrite } from '../util/io.js';
import { candidates, type Mirror } from './mirror.js';

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };

export async function fetchGit(s: { file: string; url: string; commit: string }, cacheDir: string, mirrors: Mirror[], log: (m: string) => void): Promise<string> {
  const dir = path.join(cacheDir, 'sources', 'git');
  const dest = path.join(dir, `${s.commit}.tar`);
  if (await stat(dest).catch(() => undefined)) return dest;
  await mkdir(dir, { recursive: true });
  const repo = await mkdtemp(path.join(dir, '.fetch-'));
  try {
    await execa('git', ['init', '--quiet', '--bare', repo], { env: GIT_ENV });
    const tried: string[] = [];
    for (const location of candidates(s.url, mirrors)) {
      const r = await execa('git', ['-C', repo, 'fetch', '--quiet', '--depth=1', location, s.commit], { env: GIT_ENV, reject: false, timeout: 30 * 60_000 });
      if (r.exitCode === 0) {
        await atomicWrite(dest, (tmp) => execa('git', ['-C', repo, 'archive', '--format=tar', '-o', tmp, s.commit], { env: GIT_ENV }));
        log(`fetched ${s.file} (git ${s.commit.slice(0, 12)}) from ${location}`);
        return dest;
      }
      tried.push(`${location}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`}`);
    }
    throw new MabError('E_FETCH', `cannot fetch ${s.file} (git commit ${s.commit}); tried:\n  ${tried.join('\n  ')}`, `give a mirror with --mirror ${s.url}=/path/to/a/clone (any clone that has the commit)`);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}
