import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { loadRecipeFile } from '../recipe/load.js';
import { formatPlatform, platformInfo } from '../platform/platform.js';
import { supportedStrategies } from '../plan/plan.js';
import { generateDockerfile } from './generate.js';
import { validateDockerfile } from './validate.js';

const template = readFileSync(path.resolve('templates/app.Dockerfile'), 'utf8');
const recipeFiles = readdirSync(path.resolve('recipes')).filter((f) => f.endsWith('.yaml'));
const recipes = await Promise.all(recipeFiles.map((f) => loadRecipeFile(path.resolve('recipes', f))));
const cases = recipes.flatMap((r) =>
  supportedStrategies(r).flatMap((s) => r.platforms.map((p) => [r.name, s, formatPlatform(p), r, p] as const)),
);

describe('every shipped recipe × strategy × platform', () => {
  it('covers all recipes', () => {
    expect(recipes.map((r) => r.name).sort()).toEqual([
      'coap-service',
      'http-endpoint-c',
      'http-endpoint-go',
      'http-endpoint-node',
      'http-endpoint-python',
      'model-serving',
      'openface',
      'sysbench',
      'tf-serving',
    ]);
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases)(
    '%s %s %s: parses, zero diagnostics, matches its golden file',
    async (name, strategy, platform, recipe, p) => {
      const text = generateDockerfile(template, strategy, recipe, p, `recipes/${name}.yaml`);
      expect(validate(text)).toEqual([]);
      const froms = DockerfileParser.parse(text)
        .getFROMs()
        .map((f) => f.getImage());
      if (strategy === 'single') expect(froms).toEqual(['debian:bookworm']);
      if (strategy === 'multistage') expect(froms).toEqual(['debian:bookworm', 'debian:bookworm-slim']);
      if (strategy === 'minimal') {
        expect(froms).toEqual(['debian:bookworm', 'scratch']);
        expect(text).toContain('RUN sh /usr/local/lib/mab/collect-closure.sh /out ');
        expect(text).not.toMatch(/FROM scratch[\s\S]*apt-get/); // no package manager on scratch
      }
      if (strategy === 'minimal-cross') {
        expect(froms).toEqual(['debian:bookworm', 'scratch']);
        expect(text).toContain(
          `RUN sh /usr/local/lib/mab/collect-closure.sh --cross ${platformInfo(p).gnu} /mab/root /out `,
        );
      }
      if (strategy === 'cross' || strategy === 'minimal-cross') {
        if (strategy === 'cross') expect(froms.slice(-2)).toEqual(['debian:bookworm', 'debian:bookworm-slim']);
        // Nothing runs under emulation: every RUN is in a stage pinned to the build platform.
        for (const stage of text.split(/^(?=FROM )/m).filter((st) => st.startsWith('FROM '))) {
          if (/^RUN /m.test(stage)) expect(stage).toMatch(/^FROM --platform=\$BUILDPLATFORM /);
        }
      }
      await expect(text).toMatchFileSnapshot(
        `../../test/golden/${name}/${strategy}.${platform.replaceAll('/', '_')}.Dockerfile`,
      );
    },
  );
});

describe('generated details', async () => {
  const sysbench = recipes.find((r) => r.name === 'sysbench')!;
  const amd64 = sysbench.platforms[0]!;

  it('quotes ENV values so $ and quotes stay literal', () => {
    const text = generateDockerfile(
      template,
      'multistage',
      { ...sysbench, env: { GREETING: 'say "hi" $HOME' } },
      amd64,
      'r.yaml',
    );
    expect(text).toContain('ENV GREETING="say \\"hi\\" \\$HOME"');
    expect(validate(text)).toEqual([]);
  });

  it('writes extra labels and the healthcheck in exec form', () => {
    const text = generateDockerfile(
      template,
      'multistage',
      {
        ...sysbench,
        labels: { 'org.example.note': 'a $b' },
        healthcheck: { run: ['sysbench', '--version'], interval: '30s', retries: 2 },
      },
      amd64,
      'r.yaml',
    );
    expect(text).toContain('LABEL org.example.note="a \\$b"');
    expect(text).toMatch(/^HEALTHCHECK --interval=30s --retries=2 CMD \["sysbench","--version"\]$/m);
    expect(validate(text)).toEqual([]);
  });

  it('single installs runtime packages in its only stage', () => {
    const text = generateDockerfile(template, 'single', sysbench, amd64, 'r.yaml');
    expect(text).toMatch(/apt-get install -y --no-install-recommends libaio1 libluajit-5\.1-2 libmariadb3 libpq5/);
    expect(text).not.toContain('COPY --from=build');
  });

  it("mounts apt's caches per architecture and kind of stage, and the recipe's caches on each step", () => {
    const go = recipes.find((r) => r.name === 'http-endpoint-go')!;
    const arm64 = go.platforms[1]!;
    const apt = (text: string) =>
      [...text.matchAll(/id=(mab-apt-[^,]+),target=([^,]+),sharing=locked/g)].map((m) => `${m[1]} ${m[2]}`);
    const multistage = generateDockerfile(template, 'multistage', go, arm64, 'r.yaml');
    expect(apt(multistage)).toEqual([
      'mab-apt-var-cache-apt-arm64 /var/cache/apt',
      'mab-apt-var-lib-apt-lists-arm64 /var/lib/apt/lists',
    ]);
    const cross = generateDockerfile(template, 'cross', go, arm64, 'r.yaml');
    expect(apt(cross)).toEqual([
      'mab-apt-var-cache-apt-cross-arm64 /var/cache/apt',
      'mab-apt-var-lib-apt-lists-cross-arm64 /var/lib/apt/lists',
    ]);
    // Every apt install clears docker-clean's hooks for itself only, and lists stay in the mount.
    expect(multistage.match(/zz-mab-keep-debs/g)).toHaveLength(2);
    expect(multistage).not.toContain('rm -rf /var/lib/apt/lists');
    expect(cross).toMatch(
      /^RUN --mount=type=cache,id=mab-http-endpoint-go-cross-arm64-root-\.cache-go-build,target=\/root\/\.cache\/go-build CGO_ENABLED=0 go build/m,
    );
    const secret = generateDockerfile(template, 'multistage', { ...go, secrets: ['token'] }, arm64, 'r.yaml');
    expect(secret).toMatch(
      /^RUN --mount=type=cache,id=mab-http-endpoint-go-arm64-root-\.cache-go-build,target=\/root\/\.cache\/go-build --mount=type=secret,id=token,required CGO_ENABLED=0/m,
    );
    expect(validate(secret)).toEqual([]);
  });

  it('a runtime of packages alone (keep: []) copies nothing from the build stage but /out itself', () => {
    const text = generateDockerfile(
      template,
      'multistage',
      { ...sysbench, runtime: { ...sysbench.runtime, keep: [] } },
      amd64,
      'r.yaml',
    );
    expect(text).toMatch(/^RUN mkdir -p \/out$/m);
    expect(text).not.toContain('cp -a --parents');
    expect(validate(text)).toEqual([]);
  });

  it("minimal keeps the strategy's extra paths after the recipe's", () => {
    const py = recipes.find((r) => r.name === 'http-endpoint-python')!;
    const text = generateDockerfile(template, 'minimal', py, amd64, 'r.yaml');
    expect(text).toContain('collect-closure.sh /out usr/local/lib/http-endpoint usr/bin/python3.11 usr/lib/python3.11');
    expect(text).toMatch(/^USER 65534$/m);
    expect(text).toMatch(/^EXPOSE 8080\/tcp$/m);
  });
});

describe('validateDockerfile', () => {
  it('fails with line numbers on a broken Dockerfile', () => {
    expect(() => validateDockerfile('FROM debian\nRUNN make\nEXPOSE abc\n', 'demo')).toThrow(
      /demo has 2 problem\(s\):\n  line 2: [\s\S]*line 3:/,
    );
  });
});
