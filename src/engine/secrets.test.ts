import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSecret, redactor, secretArgs, secretValues } from './secrets.js';

describe('--secret', () => {
  it('reads id with env= or src= (resolved against the working directory), and nothing else', () => {
    expect(parseSecret('id=token,env=NPM_TOKEN', '/w')).toEqual({ id: 'token', env: 'NPM_TOKEN' });
    expect(parseSecret('id=token,src=secrets/t.txt', '/w')).toEqual({ id: 'token', src: '/w/secrets/t.txt' });
    for (const bad of ['token', 'id=token', 'id=token,env=A,src=B', 'id=Token,env=A', 'id=t,type=env', 'env=A']) {
      expect(() => parseSecret(bad, '/w'), bad).toThrow(/is not id=ID with one of env= or src=/);
    }
    // The message never repeats what follows an '=', in case a value was typed there by mistake.
    expect(() => parseSecret('id=hunter2-value', '/w')).toThrow(/--secret "id=…"/);
    expect(
      secretArgs([
        { id: 'a', env: 'A' },
        { id: 'b', src: '/f' },
      ]),
    ).toEqual(['--secret', 'id=a,env=A', '--secret', 'id=b,src=/f']);
  });

  it('must give exactly the declared secrets, each with a value', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-secret-unit-'));
    await writeFile(path.join(dir, 'tok'), 'from-file\n');
    await expect(secretValues(['a'], [], {}, 'r.yaml')).rejects.toThrow('recipe r.yaml needs the build secret "a"');
    await expect(secretValues([], [{ id: 'x', env: 'X' }], { X: '1' }, 'r.yaml')).rejects.toThrow(
      '--secret x: recipe r.yaml declares no such build secret',
    );
    await expect(secretValues(['a'], [{ id: 'a', env: 'A' }], { A: '' }, 'r.yaml')).rejects.toThrow(
      'the variable A is unset or empty',
    );
    await expect(secretValues(['a'], [{ id: 'a', src: path.join(dir, 'none') }], {}, 'r.yaml')).rejects.toThrow(
      /cannot read .*none, or it is empty/,
    );
    expect(
      await secretValues(
        ['a', 'b'],
        [
          { id: 'a', env: 'A' },
          { id: 'b', src: path.join(dir, 'tok') },
        ],
        { A: 'from-env' },
        'r.yaml',
      ),
    ).toEqual(['from-env', 'from-file\n', 'from-file']);
  });

  it('blanks every value, longest first, wherever it appears', () => {
    const redact = redactor(['abc', 'abcdef']);
    expect(redact('x abcdef y abc z abcabc')).toBe('x *** y *** z ******');
    expect(redactor([])('unchanged')).toBe('unchanged');
  });
});
