/**
 * The CI workflows the docs show are files (docs/examples/), checked by real linters: actionlint
 * for GitHub Actions, GitLab's schema for GitLab CI (test/fixtures/workflow-lint.ts says what each
 * covers). The docs quote those files whole, so what a reader copies is what was linted; and each
 * linter is shown to catch a broken workflow, so a clean result means something.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionlint, gitlabLint } from '../fixtures/workflow-lint.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLES = path.join(ROOT, 'docs/examples');

async function examples(dir: string): Promise<string[]> {
  return (await readdir(path.join(EXAMPLES, dir))).map((f) => `${dir}/${f}`).sort();
}

/** Every fenced block that follows a line linking a file under examples/, with that file's name. */
function quotes(markdown: string): { file: string; block: string }[] {
  const lines = markdown.split('\n');
  const out: { file: string; block: string }[] = [];
  lines.forEach((line, i) => {
    const file = /\]\(examples\/([^)]+)\)/.exec(line)?.[1];
    const fence = lines.findIndex((l, j) => j > i && l.trim() !== '');
    if (!file || !lines[fence]?.startsWith('```')) return;
    const end = lines.findIndex((l, j) => j > fence && l.startsWith('```'));
    out.push({ file, block: lines.slice(fence + 1, end).join('\n') + '\n' });
  });
  return out;
}

const BROKEN_GITHUB = `on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: docker/setup-qemu-action@v3
        with: { platform: arm64 }
      - run: echo \${{ matrix.arch }}
        if: \${{ runner.arc == 'X64' }}
`;

const BROKEN_GITLAB = `stages: [build]
.tool:
  image: debian:trixie
build:
  extends: .tool
  scripts: [make]
publish:
  extends: .tools
  stage: deploy
  needs: [bulid]
  script: make publish
`;

describe('CI examples in the docs', () => {
  it('GitHub Actions workflows pass actionlint', async () => {
    const files = await examples('github');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(await actionlint(await readFile(path.join(EXAMPLES, f), 'utf8'), f), f).toEqual([]);
  });

  it('actionlint reports a broken workflow: unknown input, undefined matrix key, misspelled context', async () => {
    const found = await actionlint(BROKEN_GITHUB, 'broken.yml');
    expect(found.map((f) => f.line).sort()).toEqual([7, 8, 9]);
    expect(found.map((f) => f.message).join('\n')).toMatch(
      /input "platform" is not defined in action "docker\/setup-qemu-action@v3"/,
    );
  });

  it("GitLab CI files pass GitLab's schema, and their stages, needs and extends name what exists", async () => {
    const files = await examples('gitlab');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(await gitlabLint(await readFile(path.join(EXAMPLES, f), 'utf8')), f).toEqual([]);
  });

  it('the GitLab check reports a broken file: unknown key, undeclared stage, missing job and template', async () => {
    const messages = (await gitlabLint(BROKEN_GITLAB)).map((f) => f.message);
    expect(messages).toContain('/build must NOT have additional properties');
    expect(messages).toContain('/publish/stage deploy is not in stages');
    expect(messages).toContain('/publish/needs names no job: bulid');
    expect(messages).toContain('/publish/extends names no job: .tools');
  });

  it('the docs quote every example whole, and docs/ci.md shows no workflow that is not one', async () => {
    const all = [...(await examples('github')), ...(await examples('gitlab'))];
    const quoted = new Set<string>();
    for (const doc of (await readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md'))) {
      const text = await readFile(path.join(ROOT, 'docs', doc), 'utf8');
      for (const q of quotes(text)) {
        expect(q.block, `docs/${doc} quoting examples/${q.file}`).toBe(
          await readFile(path.join(EXAMPLES, q.file), 'utf8'),
        );
        quoted.add(q.file);
      }
      if (doc === 'ci.md')
        expect(text.split('```yaml').length - 1, 'yaml blocks in docs/ci.md').toBe(quotes(text).length);
    }
    expect([...quoted].sort()).toEqual(all);
  });
});
