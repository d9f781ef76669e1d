import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { loadRecipeFile } from '../recipe/load.js';
import { parsePlatform } from '../platform/platform.js';
import { DEFAULT_BASES, generateDockerfile } from './generate.js';
import { validateDockerfile } from './validate.js';

const template = readFileSync(path.resolve('templates/multistage.Dockerfile'), 'utf8');

describe('multistage Dockerfile for sysbench', async () => {
  const recipe = await loadRecipeFile(path.resolve('recipes/sysbench.yaml'));
  it.each(['linux/amd64', 'linux/arm64', 'linux/arm/v7'])('%s parses and has zero diagnostics; matches its golden file', async (platform) => {
    const text = generateDockerfile(template, 'multistage', recipe, parsePlatform(platform), DEFAULT_BASES.multistage, 'recipes/sysbench.yaml');
    expect(validate(text)).toEqual([]);
    const froms = DockerfileParser.parse(text).getFROMs().map((f) => f.getImage());
    expect(froms).toEqual(['debian:bookworm', 'debian:bookworm-slim']);
    await expect(text).toMatchFileSnapshot(`../../test/golden/sysbench.multistage.${platform.replaceAll('/', '_')}.Dockerfile`);
  });

  it('quotes ENV values so $ and quotes stay literal', () => {
    const text = generateDockerfile(template, 'multistage', { ...recipe, env: { GREETING: 'say "hi" $HOME' } }, parsePlatform('amd64'), DEFAULT_BASES.multistage, 'r.yaml');
    expect(text).toContain('ENV GREETING="say \\"hi\\" \\$HOME"');
    expect(validate(text)).toEqual([]);
  });
});

describe('validateDockerfile', () => {
  it('fails with line numbers on a broken Dockerfile', () => {
    expect(() => validateDockerfile('FROM debian\nRUNN make\nEXPOSE abc\n', 'demo')).toThrow(/demo has 2 problem\(s\):\n  line 2: [\s\S]*line 3:/);
  });
});
