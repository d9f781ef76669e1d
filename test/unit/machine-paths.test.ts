/**
 * The repository names nothing outside itself: no file of it points at a place that exists only
 * on the machine it was written on. Data a test needs from outside (upstream snapshots) comes
 * from documented environment variables, and a doc cites its sources rather than a file nobody
 * else has. Checked over every tracked file (git ls-files), so a new one is covered at once.
 *
 * Two kinds of path are refused:
 *   - everywhere: a home or workspace directory (/home/USER, /Users/USER, /work/…), and a
 *     relative path that climbs out of the repository (../shared/… from the repository's root);
 *   - in the files that run or describe the host (docs, scripts, src/ outside its tests, test
 *     fixtures): a fixed place under /tmp or /root. Inside an image those are ordinary (a
 *     recipe's /root/.cache/go-build, a build step's /tmp/examples), so recipes, templates,
 *     golden Dockerfiles and the tests' recipe texts are not held to it, and neither are mab's
 *     own temporary names (/tmp/mab-…).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SELF = path.relative(ROOT, import.meta.filename);

/** Absolute paths into a home or a workspace: never data a checkout elsewhere has. */
const HOME_OR_WORKSPACE = /(?<![\w.~-])\/(?:home|Users)\/[\w.-]+|(?<![\w.~/-])\/work\/[\w.-]+/g;
/** A fixed file or directory under /tmp or /root. */
const SCRATCH = /(?<![\w.~/:-])\/(?:tmp|root)\/[\w.-]+/g;
/** mab's own temporary names, and a cache directory inside an image (recipes' build.caches). */
const SCRATCH_ALLOWED = /^\/tmp\/mab-|^\/root\/\.cache$/;
/** A relative path quoted whole (in backticks, quotes or a link), as a file names a file it uses. */
const RELATIVE = /(?<=[`'"(])\.\.(?:\/\.\.)*\/[\w./-]*(?=[`'")])/g;

/** Image contents, where /tmp and /root are ordinary: recipes, templates, goldens, the tests' recipe texts. */
const inImage = (file: string) => /^(recipes|templates|test\/golden)\//.test(file) || file.endsWith('.test.ts');

/** Paths that are not places on any machine, each said why. */
const ALLOWED = new Set([
  'test/fixtures/known-image.ts: /tmp/big', // a file inside the fixture's synthetic image
  'src/recipe/fuzz.test.ts: ../../etc/shadow', // a hostile package name the loader must refuse
  'src/recipe/schema.test.ts: ../schema/recipe.schema.json', // relative to recipes/, as each recipe's first line says
]);

/**
 * Whether a relative path leads to a file of the repository: from the file's folder (a doc also
 * writes paths from the root), and for an import, the .ts file a .js specifier names.
 */
function inRepository(file: string, p: string): boolean {
  const bases = [path.dirname(file), ...(file.endsWith('.md') ? ['.'] : [])];
  return bases.some((d) => {
    const at = path.resolve(ROOT, d, p);
    return !path.relative(ROOT, at).startsWith('..') && (existsSync(at) || existsSync(at.replace(/\.js$/, '.ts')));
  });
}

/** The findings of one file: "file:line: path". */
function machinePaths(file: string, text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const at = (p: string) => ALLOWED.has(`${file}: ${p}`) || out.push(`${file}:${i + 1}: ${p}`);
    for (const [p] of line.matchAll(HOME_OR_WORKSPACE)) at(p);
    if (!inImage(file)) for (const [p] of line.matchAll(SCRATCH)) if (!SCRATCH_ALLOWED.test(p)) at(p);
    for (const [p] of line.matchAll(RELATIVE)) if (!inRepository(file, p)) at(p);
  });
  return out;
}

describe('paths of the machine a file was written on', () => {
  it('no tracked file names one', async () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f && f !== SELF && f !== 'package-lock.json');
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const f of files) {
      const text = await readFile(path.join(ROOT, f), 'utf8').catch(() => '');
      if (!text.includes('\0')) found.push(...machinePaths(f, text));
    }
    expect(found).toEqual([]);
  });

  it('finds the ones that were once there, and lets in-image and system paths be', () => {
    const bad = [
      ['docs/table3.md', 'reported the sizes (Table 3, in `../shared/design/FACTS.md`).'],
      ['test/fixtures/openface/fixtures.ts', "const GIT = process.env.MAB_OPENFACE_GIT ?? '/work/upstream/openface';"],
      ['docs/openface-research.md', 'All scratch files are under /tmp (`/tmp/x`, `/tmp/dlibsrc`).'],
      ['test/fixtures/tf-serving/fixtures.ts', "const GIT = process.env.MAB_TF_SERVING_GIT ?? '/root/serving';"],
      ['scripts/x.sh', 'cp /home/builder/models/*.dat .'],
    ];
    for (const [file, line] of bad) expect(machinePaths(file!, line!), line).not.toEqual([]);
    const good = [
      ['docs/recipes.md', '`build.caches`: e.g. `[/root/.cache/go-build]` for Go'],
      ['recipes/openface.yaml', '  - python3 embed-examples.py /opt/openface /tmp/examples'],
      ['src/source/apt.ts', "const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';"],
      ['scripts/setup-host.sh', 'echo "Free space (old /tmp/mab-* directories)"; cat /proc/sys/fs/binfmt_misc/status'],
      ['src/cli/main.ts', "import { bake } from './bake.js'; import { x } from '../errors.js';"],
      ['docs/ci.md', 'See [scaling.md](scaling.md) and [the example](examples/github/publish.yml), or ../README.md.'],
      ['test/engine/errors.test.ts', "DOCKER_HOST: 'unix:///tmp/mab-no-such-engine.sock'"],
    ];
    for (const [file, line] of good) expect(machinePaths(file!, line!), line).toEqual([]);
  });
});
