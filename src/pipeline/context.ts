/**
 * A target's build context on disk: the generated Dockerfile, the fetched sources and artifacts,
 * and the recipe's own files, each checked to be a plain file inside the recipe's directory.
 */
import { copyFile, lstat, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MabError } from '../errors.js';
import type { ResolvedSource, TargetPlan } from '../plan/plan.js';
import { cacheKey, placeSource, type Cached } from '../source/fetch.js';

/** One path of a build context and where it comes from: a pinned source, or a file on the host. */
export interface ContextEntry {
  path: string;
  source?: ResolvedSource;
  from?: string;
}

/** What makeContext writes for a target, path by path (the same layout), without writing it. */
export function contextEntries(target: TargetPlan): ContextEntry[] {
  return [
    { path: 'Dockerfile' },
    ...target.sources.map((s) => ({ path: `sources/${s.file}`, source: s })),
    ...target.artifacts.map((s) => ({ path: `artifacts/${s.file}`, source: s })),
    ...target.files.map((f) => ({ path: f.to, from: f.from })),
  ];
}

/** Writes a target's build context (Dockerfile, sources, recipe files) into `into`, or a temp dir. */
export async function makeContext(target: TargetPlan, cached: Map<string, Cached>, into?: string): Promise<string> {
  const dir = into ?? (await mkdtemp(path.join(os.tmpdir(), `mab-ctx-`)));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'Dockerfile'), target.dockerfile);
  for (const [sub, list] of [
    ['sources', target.sources],
    ['artifacts', target.artifacts],
  ] as const) {
    await mkdir(path.join(dir, sub), { recursive: true });
    for (const s of list) await placeSource(cached.get(cacheKey(s))!, path.join(dir, sub), s.file);
  }
  for (const f of target.files) {
    // A symlink could point anywhere on the host: recipe files must be plain files, and no
    // directory on the way may lead out of the recipe's own directory either.
    if ((await lstat(f.from).catch(() => undefined))?.isSymbolicLink()) {
      throw new MabError(
        'E_CONTEXT',
        `${f.from} is a symbolic link; recipe files must be regular files`,
        'replace the link with the file itself',
      );
    }
    if (f.within) {
      // The recipe's directory is taken where it stands in the recipes directory, not where a link
      // of that name leads: a recipe folder that is itself a link to /etc would let /etc in.
      const within = path.join(
        await realpath(path.dirname(f.within)).catch(() => path.dirname(f.within!)),
        path.basename(f.within),
      );
      const real = await realpath(f.from).catch(() => f.from);
      if (!real.startsWith(within + path.sep))
        throw new MabError(
          'E_CONTEXT',
          `${f.from} leads out of ${f.within} (it is ${real})`,
          "recipe files must be inside the recipe's own directory, which must not be a link; copy the files there",
        );
    }
    await mkdir(path.dirname(path.join(dir, f.to)), { recursive: true });
    await copyFile(f.from, path.join(dir, f.to)).catch((e: Error) => {
      throw new MabError(
        'E_CONTEXT',
        `cannot copy ${f.from} into the build context: ${e.message}`,
        'the recipe lists a file that is not next to it (recipes/NAME/FILE)',
      );
    });
  }
  return dir;
}

export async function removeContext(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
