/**
 * The package preflight against Debian's real archive (the one every build installs from): every
 * package of every shipped recipe is there for each strategy and platform, and a misspelt one
 * stops `mab build` before the engine is touched, at its recipe line, with the name Debian has.
 */
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPackages, openSuite } from '../../src/pipeline/packages.js';
import { planBuild, supportedStrategies } from '../../src/plan/plan.js';
import { parsePlatform } from '../../src/platform/platform.js';
import { loadRecipeFile } from '../../src/recipe/load.js';
import { defaultCacheDir } from '../../src/util/io.js';
import { mab, ROOT } from './helpers.js';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const check = {
  archive: 'http://deb.debian.org/debian',
  keyring: KEYRING,
  cacheDir: defaultCacheDir(process.env),
  mirrors: [],
};

describe('package preflight against deb.debian.org', () => {
  it('finds every package of every shipped and fixture recipe, for each strategy and platform', async () => {
    const dirs = [path.join(ROOT, 'recipes'), path.join(ROOT, 'test/fixtures/recipes')];
    const template = {
      dockerfile: await readFile(path.join(ROOT, 'templates/app.Dockerfile'), 'utf8'),
      dir: path.join(ROOT, 'templates'),
    };
    let plans = 0;
    let installing = 0;
    const logs: string[] = [];
    for (const dir of dirs) {
      for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
        const recipe = await loadRecipeFile(path.join(dir, file));
        for (const strategy of supportedStrategies(recipe)) {
          const plan = planBuild({
            recipe,
            recipePath: file,
            strategy,
            platforms: recipe.platforms,
            template,
            indexFormat: 'docker',
          });
          const log = (m: string) => logs.push(m);
          await checkPackages(plan, parsePlatform('linux/amd64'), () => openSuite(plan, check, log), log);
          plans++;
          if (plan.targets.some((t) => t.packages.length)) installing++;
        }
      }
    }
    expect(plans).toBeGreaterThan(20);
    expect(installing).toBeGreaterThan(20);
    expect(logs.filter((l) => /package preflight: every package name found in Debian bookworm/.test(l))).toHaveLength(
      installing,
    );
  });

  it('stops a build naming python3-yamll at its line, with python3-yaml as the suggestion, before any engine call', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-preflight-'));
    await cp(path.join(ROOT, 'recipes/http-endpoint-python'), path.join(dir, 'http-endpoint-python'), {
      recursive: true,
    });
    const text = (await readFile(path.join(ROOT, 'recipes/http-endpoint-python.yaml'), 'utf8')).replace(
      /^(build:\n  packages: \[)python3\]/m,
      '$1python3, python3-yamll]',
    );
    await writeFile(path.join(dir, 'http-endpoint-python.yaml'), text);
    const line = text.split('\n').findIndex((l) => l.includes('python3-yamll')) + 1;
    // An engine that is not there: the preflight must fail first, so it is never asked.
    const r = await mab(['build', 'http-endpoint-python', '--recipes', dir, '--strategy', 'multistage'], {
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('[E_PACKAGE]');
    expect(r.stderr).toContain(
      `http-endpoint-python.yaml:${line}:23: python3-yamll is not a package for amd64, arm64, armhf; did you mean python3-yaml?`,
    );
    expect(r.stderr).not.toContain('E_ENGINE_DOWN');

    const skipped = await mab(
      ['build', 'http-endpoint-python', '--recipes', dir, '--strategy', 'multistage', '--no-preflight'],
      { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    );
    expect(skipped.stderr).toContain('package preflight skipped (--no-preflight)');
    expect(skipped.stderr).toContain('E_ENGINE_DOWN');
  });
});
