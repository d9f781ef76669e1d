import { describe, expect, it } from 'vitest';
import type { SmokeCheck } from '../recipe/types.js';
import { smokeFailure } from './smoke.js';

const checks: SmokeCheck[] = [
  { name: 'version', at: 'recipes/demo.yaml:20:5', run: ['demo', '--version'], expect: '^demo 1\\.2' },
  { name: 'greeting', at: 'recipes/demo.yaml:23:5', run: ['demo', 'hi'], expect: '^hello$' },
  { name: 'GET /', at: 'recipes/demo.yaml:26:5', http: { port: 8080, path: '/' }, expect: 'ok' },
];
const results = [
  { name: 'version', passed: false, seconds: 0.2, output: 'demo 1.1\n' },
  { name: 'greeting', passed: true, seconds: 0.1, output: 'hello' },
  { name: 'GET /', passed: false, seconds: 3, output: '' },
];

describe('smokeFailure', () => {
  it('names every failed check with its recipe line, the pattern it expected and its output', () => {
    expect(smokeFailure('linux/arm64', 'mab/demo:1-arm64', checks, results, true).message).toBe(
      [
        'linux/arm64: 2 of 3 smoke checks failed',
        'smoke check "version" (recipes/demo.yaml:20:5) expected /^demo 1\\.2/; output:',
        'demo 1.1',
        'smoke check "GET /" (recipes/demo.yaml:26:5) expected /ok/; output:',
        '(none)',
      ].join('\n'),
    );
  });

  it('offers a shell where the image has one, and a file listing where it has none', () => {
    expect(smokeFailure('linux/arm64', 'mab/demo:1-arm64', checks, results, true).hint).toBe(
      'the image is in the engine as mab/demo:1-arm64 to debug: docker run --rm -it --platform linux/arm64 --entrypoint sh mab/demo:1-arm64',
    );
    expect(smokeFailure('linux/arm64', 'mab/demo:1-arm64', checks, results, false).hint).toMatch(
      /it has no shell: list its files with docker export \$\(docker create --platform linux\/arm64 mab\/demo:1-arm64\) \| tar -t/,
    );
  });
});
