import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildersOf } from './config.js';

const io = (cwd: string, env: NodeJS.ProcessEnv = {}) => ({ out: () => {}, err: () => {}, env, cwd });

describe('builders from mab.yaml, $MAB_BUILDERS and --builder', () => {
  it('takes the file, then the environment, then the flags, platform by platform', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-config-'));
    await writeFile(
      path.join(dir, 'mab.yaml'),
      'builders:\n  linux/arm64: from-file\n  linux/amd64: from-file\n  linux/arm/v7: board\n',
    );
    const got = await buildersOf(
      { builder: ['arm64=from-flag'] },
      io(dir, { MAB_BUILDERS: 'linux/amd64=from-env,linux/arm64=from-env' }),
    );
    expect(Object.fromEntries(got)).toEqual({
      'linux/arm64': 'from-flag',
      'linux/amd64': 'from-env',
      'linux/arm/v7': 'board',
    });
    expect(
      Object.fromEntries(await buildersOf({}, io(await mkdtemp(path.join(os.tmpdir(), 'mab-noconfig-'))))),
    ).toEqual({});
  });

  it('names the file and line of a bad entry, and a MAB_CONFIG that cannot be read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-config-'));
    await writeFile(path.join(dir, 'mab.yaml'), 'builders:\n  linux/arm64: ok\n  arm64 board: x\n');
    await expect(buildersOf({}, io(dir))).rejects.toThrow(/mab\.yaml:3:3: .*a platform such as linux\/arm64/);
    await writeFile(path.join(dir, 'other.yaml'), 'builder: {}\n');
    await expect(buildersOf({}, io(dir, { MAB_CONFIG: 'other.yaml' }))).rejects.toThrow(
      /other\.yaml:1:1: unknown key "builder" in the config file/,
    );
    await expect(buildersOf({}, io(dir, { MAB_CONFIG: 'missing.yaml' }))).rejects.toThrow(
      /cannot read the config file .*missing\.yaml: ENOENT/,
    );
  });
});
