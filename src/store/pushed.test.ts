import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PushedBlobs } from './pushed.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

describe('the record of where blobs were pushed', () => {
  it('remembers repositories per registry, most recent first, across opens, once each', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-pushed-'));
    const a = await PushedBlobs.open(dir, '127.0.0.1:5000');
    await a.record(D1, 'edge/one');
    await a.record(D1, 'edge/two');
    await a.record(D1, 'edge/one');
    await a.record(D2, 'edge/two');
    const b = await PushedBlobs.open(dir, '127.0.0.1:5000');
    expect(b.repositories(D1)).toEqual(['edge/two', 'edge/one']);
    expect(b.repositories(D2)).toEqual(['edge/two']);
    expect((await PushedBlobs.open(dir, 'registry.example.com')).repositories(D1)).toEqual([]);
    // A record already known is not written again.
    expect(
      (await readFile(path.join(dir, 'mab', 'pushed', '127.0.0.1_5000.jsonl'), 'utf8')).trim().split('\n'),
    ).toHaveLength(3);
  });

  it('skips a torn line left by a killed process, and keeps what follows it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-pushed-'));
    const file = path.join(dir, 'mab', 'pushed', 'r.example.jsonl');
    await (await PushedBlobs.open(dir, 'r.example')).record(D1, 'x/a');
    await appendFile(file, '{"digest": "sha256:22');
    await appendFile(file, '\n' + JSON.stringify({ digest: D2, repository: 'x/b' }) + '\n');
    const p = await PushedBlobs.open(dir, 'r.example');
    expect([p.repositories(D1), p.repositories(D2)]).toEqual([['x/a'], ['x/b']]);
  });

  it('keeps every line when many processes append at once', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-pushed-'));
    const writers = await Promise.all(Array.from({ length: 20 }, () => PushedBlobs.open(dir, 'r.example')));
    await Promise.all(writers.map((w, i) => w.record(D1, `repo/${i}`)));
    expect((await PushedBlobs.open(dir, 'r.example')).repositories(D1).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `repo/${i}`).sort(),
    );
  });
});
