import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { loadRecipeFile } from '../recipe/load.js';
import { parsePlatform } from '../platform/platform.js';
import { generateDockerfile } from './generate.js';
import { cleanInstruction, recipeInstruction } from './instruction.js';

const template = readFileSync(path.resolve('templates/app.Dockerfile'), 'utf8');
const recipe = await loadRecipeFile(path.resolve('recipes/http-endpoint-c.yaml'));
const arm64 = parsePlatform('linux/arm64');

describe('cleanInstruction', () => {
  it.each([
    // As BuildKit 0.13 wrote them into the history of images mab built.
    [
      'RUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c gcc -O2 -static -s -o /usr/local/bin/http-endpoint server.c # buildkit',
      'RUN gcc -O2 -static -s -o /usr/local/bin/http-endpoint server.c',
    ],
    ['RUN |2 A=1 B=two words /bin/sh -c make # buildkit', 'RUN make'],
    // Exec form: no shell, the build args go by their count.
    ['RUN |1 A=1 make install # buildkit', 'RUN make install'],
    ['RUN /bin/sh -c make install # buildkit', 'RUN make install'],
    ['RUN |0 /bin/bash -o pipefail -c curl x | sh # buildkit', 'RUN curl x | sh'],
    ['COPY files/ /src/ # buildkit', 'COPY files/ /src/'],
    ['WORKDIR /src', 'WORKDIR /src'],
    // The classic builder.
    ['/bin/sh -c #(nop) ADD file:0a1b2c in / ', 'ADD file:0a1b2c in /'],
    ['/bin/sh -c apt-get update', 'RUN apt-get update'],
    // A Dockerfile line, or BuildKit's progress: the flags go.
    [
      'RUN --mount=type=cache,id=mab-apt-var-cache-apt-arm64,target=/var/cache/apt,sharing=locked --mount=type=secret,id=token,required make',
      'RUN make',
    ],
    [
      'mab base debian:bookworm: mmdebstrap --variant=minbase',
      'mab base debian:bookworm: mmdebstrap --variant=minbase',
    ],
  ])('%s', (createdBy, clean) => {
    expect(cleanInstruction(createdBy)).toBe(clean);
  });
});

describe('recipeInstruction', () => {
  /** The RUN and COPY lines of a generated Dockerfile's last stage, continuations joined. */
  const lastStage = (strategy: 'single' | 'multistage' | 'cross' | 'minimal') => {
    const text = generateDockerfile(template, strategy, recipe, arm64, 'recipes/http-endpoint-c.yaml');
    const all = DockerfileParser.parse(text).getInstructions();
    const from = all.map((i) => i.getKeyword()).lastIndexOf('FROM');
    return all
      .slice(from + 1)
      .filter((i) => ['RUN', 'COPY'].includes(i.getKeyword()))
      .map((i) => i.getTextContent().replace(/\\\n/g, ' '));
  };

  it("names the template's apt step by its packages, from the line the template writes", () => {
    const apt = lastStage('single')[0]!;
    expect(apt).toContain('--mount=type=cache');
    expect(recipeInstruction(cleanInstruction(apt))).toBe('RUN apt-get install gcc libc6-dev');
    // The same step as BuildKit records it in the history (no flags, the build arg in front).
    const history = `RUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c ${apt.replace(/^RUN (--mount=\S+ )+/, '')} # buildkit`;
    expect(recipeInstruction(cleanInstruction(history))).toBe('RUN apt-get install gcc libc6-dev');
  });

  it("names the runtime stage's copy by the recipe's kept paths, and what else the strategy put there", () => {
    // BuildKit records COPY --from=build /out/ / as COPY /out/ /.
    const copy = (s: 'multistage' | 'cross' | 'minimal') =>
      recipeInstruction(cleanInstruction('COPY /out/ / # buildkit'), { recipe, strategy: s });
    for (const s of ['multistage', 'minimal'] as const)
      expect(lastStage(s).map((l) => l.replace(/\s+/g, ' '))).toContain('COPY --from=build /out/ /');
    expect(copy('multistage')).toBe('COPY --from=build /usr/local/bin/http-endpoint');
    expect(copy('minimal')).toBe('COPY --from=build /usr/local/bin/http-endpoint + the shared libraries they load');
    const withPackages = { ...recipe, runtime: { packages: ['libssl3'], keep: ['/usr/bin/app'] } };
    expect(recipeInstruction('COPY /out/ /', { recipe: withPackages, strategy: 'cross' })).toBe(
      'COPY --from=build /usr/bin/app + the runtime packages libssl3, unpacked',
    );
  });

  it('leaves everything else as it is: a recipe step, a copy without the recipe, another image', () => {
    expect(recipeInstruction('RUN gcc -O2 x.c', { recipe, strategy: 'single' })).toBe('RUN gcc -O2 x.c');
    expect(recipeInstruction('COPY /out/ /')).toBe('COPY /out/ /');
    expect(recipeInstruction('RUN apt-get update && apt-get install -y --no-install-recommends curl')).toBe(
      'RUN apt-get update && apt-get install -y --no-install-recommends curl',
    );
  });
});
