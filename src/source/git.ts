/**
 * A git source: the tree of one commit, fetched on the host with git (shallow, by commit id) and
 * cached as the `git archive` tar of that commit. The commit id is the pin: git checks every
 * object it receives against its id, so a mirror cannot hand over a different tree. `paths` limits
 * the archive to part of the tree (a large repository whose build needs a few directories).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { MabError } from '../errors.js';
import { atomicWrite } from '../util/io.js';
import { candidates, type Mirror } from './mirror.js';

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };

class LocationFailed extends Error {}

type GitSource = { file: string; url: string; commit: string; paths?: string[] };

/** git without prompts or the system's config, its failures as results (reject: false). */
export const git = (args: string[], opts: { cwd?: string; timeout?: number } = {}) =>
  execa('git', args, { env: GIT_ENV, reject: false, stdin: 'ignore', ...opts });
const lastLine = (r: { stderr: string; exitCode?: number }) =>
  r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;

/** The whole tree: one shallow fetch, then `git archive`. Returns an error line or undefined. */
async function archiveWhole(s: GitSource, location: string, repo: string, tmp: string): Promise<string | undefined> {
  await git(['init', '--quiet', '--bare', repo]);
  const r = await git(['-C', repo, 'fetch', '--quiet', '--depth=1', location, s.commit], { timeout: 30 * 60_000 });
  if (r.exitCode !== 0) return lastLine(r);
  const a = await git(['-C', repo, 'archive', '--format=tar', '-o', tmp, s.commit]);
  return a.exitCode === 0 ? undefined : lastLine(a);
}

/**
 * Part of the tree: a shallow fetch without blobs, a sparse checkout of `paths` (git fetches just
 * those blobs, in one batch, and checks each against its id), then a tar of the work tree in a
 * fixed order with fixed owners and times so the same paths give the same bytes.
 */
async function archivePaths(
  s: GitSource & { paths: string[] },
  location: string,
  repo: string,
  tmp: string,
): Promise<string | undefined> {
  await git(['init', '--quiet', repo]);
  // Local and ssh mirrors run our upload-pack: allow the blob filter and by-id wants there.
  const steps = [
    ['remote', 'add', 'origin', location],
    [
      'config',
      'remote.origin.uploadpack',
      'git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack',
    ],
    ['fetch', '--quiet', '--filter=blob:none', '--depth=1', 'origin', s.commit],
    ['sparse-checkout', 'set', '--no-cone', ...s.paths.map((p) => `/${p}`)],
    ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', s.commit],
  ];
  for (const args of steps) {
    const r = await git(['-C', repo, ...args], { timeout: 30 * 60_000 });
    if (r.exitCode !== 0) return lastLine(r);
  }
  const missing = [];
  for (const p of s.paths) if (!(await stat(path.join(repo, p)).catch(() => undefined))) missing.push(p);
  if (missing.length)
    throw new MabError(
      'E_GIT_PATHS',
      `${s.file}: commit ${s.commit.slice(0, 12)} has no ${missing.join(', ')}`,
      'check the paths: list in the recipe against the repository at that commit',
    );
  const t = await execa(
    'tar',
    ['-cf', tmp, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', repo, ...s.paths],
    { reject: false },
  );
  return t.exitCode === 0 ? undefined : lastLine(t);
}

export async function fetchGit(
  s: GitSource,
  cacheDir: string,
  mirrors: Mirror[],
  log: (m: string) => void,
): Promise<string> {
  const dir = path.join(cacheDir, 'sources', 'git');
  // A subset of the tree is its own cache entry, named by a digest of the path list.
  const subset = s.paths ? `-${createHash('sha256').update(s.paths.join('\0')).digest('hex').slice(0, 16)}` : '';
  const dest = path.join(dir, `${s.commit}${subset}.tar`);
  if (await stat(dest).catch(() => undefined)) return dest;
  await mkdir(dir, { recursive: true });
  const tried: string[] = [];
  for (const location of candidates(s.url, mirrors)) {
    const repo = await mkdtemp(path.join(dir, '.fetch-'));
    try {
      // A failed location throws inside atomicWrite, so no partial tar is left behind.
      const error = await atomicWrite(dest, async (tmp) => {
        const why = s.paths
          ? await archivePaths({ ...s, paths: s.paths }, location, repo, tmp)
          : await archiveWhole(s, location, repo, tmp);
        if (why) throw new LocationFailed(why);
      }).then(
        () => undefined,
        (e: unknown) => {
          if (e instanceof LocationFailed) return e.message;
          throw e;
        },
      );
      if (!error) {
        log(
          `fetched ${s.file} (git ${s.commit.slice(0, 12)}${s.paths ? `, ${s.paths.length} paths` : ''}) from ${location}`,
        );
        return dest;
      }
      tried.push(`${location}: ${error}`);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  }
  throw new MabError(
    'E_FETCH',
    `cannot fetch ${s.file} (git commit ${s.commit}); tried:\n  ${tried.join('\n  ')}`,
    `give a mirror with --mirror ${s.url}=/path/to/a/clone (any clone that has the commit)`,
  );
}
