import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePlatformList } from '../platform/platform.js';
import { planBuild, type BuildPlan } from '../plan/plan.js';
import { parseRecipe } from '../recipe/load.js';
import {
  BUILD_TYPE,
  checkProvenance,
  provenanceInput,
  provenanceStatement,
  sourceDescriptor,
  type ProvenanceFacts,
  type Statement,
} from './provenance.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const IMAGE = `sha256:${'1'.repeat(64)}`;
const BASE = `sha256:${'2'.repeat(64)}`;
const SECRET = 'hunter2-index-token-value';

const RECIPE = `name: demo
version: 2.0.0
platforms: [amd64, arm64]
secrets: [index_token]
files: [demo.conf]
sources:
  - file: demo.deb
    url: https://example.org/demo_{version}_{debian_arch}.deb
    sha256: { amd64: ${'a'.repeat(64)}, arm64: ${'b'.repeat(64)} }
  - file: app
    git: https://git.example.org/app.git
    commit: ${'c'.repeat(40)}
  - debian: libdemo=1:2.0-1
    sha256: ${'d'.repeat(64)}
  - file: s.deb
    apt: http://apt.example.org/repo/
    suite: stable
    component: main
    package: server=1:2.8.0+dfsg-1
    key: https://apt.example.org/key.gpg
    fingerprint: ${'f'.repeat(40)}
artifacts:
  - file: model.bin
    url: https://models.example.org/model.bin.xz
    md5: ${'9'.repeat(32)}
    unpack: xz
    path: /usr/share/demo/model.bin
strategies:
  minimal:
runtime: { packages: [libdemo2], keep: [/usr/bin/demo] }
entrypoint: [demo]
`;

let plan: BuildPlan;
let facts: ProvenanceFacts;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-provenance-'));
  const file = path.join(dir, 'recipes', 'demo.yaml');
  await mkdir(path.join(dir, 'recipes', 'demo'), { recursive: true });
  await writeFile(path.join(dir, 'recipes', 'demo', 'demo.conf'), 'threads = 4\n');
  await writeFile(file, RECIPE);
  const templates = path.resolve('templates');
  plan = planBuild({
    recipe: parseRecipe(file, RECIPE),
    recipePath: 'recipes/demo.yaml',
    strategy: 'minimal',
    platforms: parsePlatformList('arm64'),
    template: { dockerfile: await readFile(path.join(templates, 'app.Dockerfile'), 'utf8'), dir: templates },
    indexFormat: 'oci',
    checkout: { source: 'https://git.example.org/edge/recipes', revision: 'e'.repeat(40) },
    sourceDateEpoch: 1_700_000_000,
    labels: { team: 'edge' },
  });
  facts = {
    subject: { name: 'r.example/edge/demo', digest: IMAGE },
    recipeDigest: sha(RECIPE),
    bases: { 'debian:bookworm': BASE },
    builder: { mab: '0.1.0', engine: '27.5.1', buildx: 'v0.20.1' },
    startedOn: '2026-12-01T10:00:00Z',
    finishedOn: '2026-12-01T10:04:00Z',
    labels: { team: 'edge' },
  };
});

async function statement(more: Partial<ProvenanceFacts> = {}): Promise<Statement> {
  return provenanceStatement(await provenanceInput(plan, plan.targets[0]!, { ...facts, ...more }));
}

describe('provenanceStatement', () => {
  it('is an in-toto Statement of SLSA provenance for the image, by digest', async () => {
    const s = await statement();
    expect(s._type).toBe('https://in-toto.io/Statement/v1');
    expect(s.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(s.subject).toEqual([{ name: 'r.example/edge/demo', digest: { sha256: '1'.repeat(64) } }]);
    expect(s.predicate.buildDefinition.buildType).toBe(BUILD_TYPE);
  });

  it('records what the user chose: recipe, strategy, platform, time, labels; secrets by id only', async () => {
    const { externalParameters, internalParameters } = (await statement()).predicate.buildDefinition;
    expect(externalParameters).toStrictEqual({
      recipe: { name: 'demo', version: '2.0.0', path: 'recipes/demo.yaml', digest: { sha256: sha(RECIPE) } },
      strategy: 'minimal',
      platform: 'linux/arm64',
      sourceDateEpoch: 1_700_000_000,
      labels: { team: 'edge' },
      buildArgs: { SOURCE_DATE_EPOCH: '1700000000' },
      secrets: ['index_token'],
    });
    expect(internalParameters).toStrictEqual({
      dockerfile: { sha256: sha(plan.targets[0]!.dockerfile) },
      templates: {
        'mab/collect-closure.sh': { sha256: sha(await readFile(path.resolve('templates/collect-closure.sh'))) },
      },
      recipeFiles: { 'files/demo.conf': { sha256: sha('threads = 4\n') } },
    });
  });

  it('lists the base images, every pinned source and artifact, and the checkout as resolved dependencies', async () => {
    expect((await statement()).predicate.buildDefinition.resolvedDependencies).toStrictEqual([
      {
        name: 'debian:bookworm',
        uri: 'pkg:docker/debian@bookworm?platform=linux%2Farm64',
        digest: { sha256: '2'.repeat(64) },
      },
      { name: 'demo.deb', uri: 'https://example.org/demo_2.0.0_arm64.deb', digest: { sha256: 'b'.repeat(64) } },
      {
        name: 'app',
        uri: `git+https://git.example.org/app.git@${'c'.repeat(40)}`,
        digest: { gitCommit: 'c'.repeat(40) },
      },
      {
        name: 'libdemo',
        uri: 'http://deb.debian.org/debian/pool/main/libd/libdemo/libdemo_2.0-1.dsc',
        digest: { sha256: 'd'.repeat(64) },
      },
      {
        name: 's.deb',
        uri: 'pkg:deb/debian/server@1:2.8.0%2Bdfsg-1?arch=arm64',
        annotations: {
          repo: 'http://apt.example.org/repo',
          suite: 'stable',
          component: 'main',
          fingerprint: 'F'.repeat(40),
        },
      },
      { name: 'model.bin', uri: 'https://models.example.org/model.bin.xz', digest: { md5: '9'.repeat(32) } },
      {
        name: 'recipes/demo.yaml',
        uri: 'git+https://git.example.org/edge/recipes',
        digest: { gitCommit: 'e'.repeat(40) },
      },
    ]);
  });

  it('names the builder and the run', async () => {
    expect((await statement({ invocationId: 'ci-run-42' })).predicate.runDetails).toStrictEqual({
      builder: {
        id: 'https://mab.dev/builder@v0.1.0',
        version: { mab: '0.1.0', engine: '27.5.1', buildx: 'v0.20.1' },
      },
      metadata: { invocationId: 'ci-run-42', startedOn: '2026-12-01T10:00:00Z', finishedOn: '2026-12-01T10:04:00Z' },
    });
    expect((await statement()).predicate.runDetails.metadata).not.toHaveProperty('invocationId');
  });

  it("never holds a secret's value, even with it in the environment", async () => {
    process.env.MAB_TEST_INDEX_TOKEN = SECRET;
    try {
      const json = JSON.stringify(await statement());
      expect(json).toContain('index_token');
      expect(json).not.toContain(SECRET);
    } finally {
      delete process.env.MAB_TEST_INDEX_TOKEN;
    }
  });

  it('gives the same bytes for the same input, whatever order its maps came in, with no undefined field', async () => {
    const a = JSON.stringify(await statement({ labels: { b: '2', a: '1' } }));
    const b = JSON.stringify(await statement({ labels: { a: '1', b: '2' } }));
    expect(a).toBe(b);
    expect(a.indexOf('"a":"1"')).toBeLessThan(a.indexOf('"b":"2"'));
    const s = await statement({ labels: {} });
    expect(s).toStrictEqual(JSON.parse(JSON.stringify(s)));
    expect(s.predicate.buildDefinition.externalParameters).not.toHaveProperty('labels');
  });

  it('leaves the platform off a base a cross build pulls for the build platform, and names a registry', async () => {
    const templates = path.resolve('templates');
    const cross = planBuild({
      recipe: parseRecipe(
        'recipes/demo.yaml',
        RECIPE.replace('strategies:\n', 'strategies:\n  cross:\n    steps: [make]\n'),
      ),
      recipePath: 'recipes/demo.yaml',
      strategy: 'cross',
      platforms: parsePlatformList('arm64'),
      template: { dockerfile: await readFile(path.join(templates, 'app.Dockerfile'), 'utf8'), dir: templates },
      indexFormat: 'oci',
    });
    const target = { ...cross.targets[0]!, files: [] };
    expect(target.dockerfile).toMatch(/^FROM --platform=\$BUILDPLATFORM debian:bookworm AS build$/m);
    const bases = { 'debian:bookworm': BASE, 'debian:bookworm-slim': IMAGE };
    const s = provenanceStatement(await provenanceInput(cross, target, { ...facts, bases }));
    expect(s.predicate.buildDefinition.resolvedDependencies.slice(0, 2)).toEqual([
      { name: 'debian:bookworm', uri: 'pkg:docker/debian@bookworm', digest: { sha256: '2'.repeat(64) } },
      {
        name: 'debian:bookworm-slim',
        uri: 'pkg:docker/debian@bookworm-slim?platform=linux%2Farm64',
        digest: { sha256: '1'.repeat(64) },
      },
    ]);
    const elsewhere = { 'r.example:5000/edge/debian:12': BASE };
    const own = provenanceStatement(await provenanceInput(cross, target, { ...facts, bases: elsewhere }));
    expect(own.predicate.buildDefinition.resolvedDependencies[0]!.uri).toBe(
      'pkg:docker/edge/debian@12?platform=linux%2Farm64&repository_url=r.example%3A5000',
    );
  });
});

describe('checkProvenance', () => {
  const expectation = () => ({
    digest: IMAGE,
    recipeDigest: sha(RECIPE),
    sources: [...plan.targets[0]!.sources, ...plan.targets[0]!.artifacts].map(sourceDescriptor),
    bases: { 'debian:bookworm': BASE },
  });

  it('finds nothing wrong with the statement of the image it describes', async () => {
    expect(checkProvenance(JSON.parse(JSON.stringify(await statement())), expectation())).toEqual([]);
  });

  it('reports a statement of another type or predicate, and one that is no object', async () => {
    const s = await statement();
    expect(checkProvenance({ ...s, _type: 'https://in-toto.io/Statement/v0.1' }, expectation())).toEqual([
      expect.stringMatching(/^_type is https:\/\/in-toto.io\/Statement\/v0.1/),
    ]);
    expect(checkProvenance({ ...s, predicateType: 'https://spdx.dev/Document' }, expectation())).toEqual([
      expect.stringMatching(/^predicateType is https:\/\/spdx.dev\/Document/),
    ]);
    expect(checkProvenance('not json', expectation())).toEqual(['the provenance is not a JSON object']);
  });

  it("reports a subject that is not the image, and a recipe digest that is not the recipe's", async () => {
    const s = await statement();
    expect(checkProvenance(s, { ...expectation(), digest: `sha256:${'7'.repeat(64)}` })).toEqual([
      `no subject is the image sha256:${'7'.repeat(64)} (subjects: ${IMAGE})`,
    ]);
    expect(checkProvenance(s, { ...expectation(), recipeDigest: sha('another recipe') })).toEqual([
      `recipe digest is ${sha(RECIPE)}, not ${sha('another recipe')}`,
    ]);
  });

  it('reports a source missing or pinned otherwise, and a base image of another digest', async () => {
    const s = await statement();
    const e = expectation();
    const moved = { uri: e.sources[0]!.uri, digest: { sha256: '0'.repeat(64) } };
    expect(checkProvenance(s, { ...e, sources: [moved, { uri: 'https://example.org/extra.tar.gz' }] })).toEqual([
      `source https://example.org/demo_2.0.0_arm64.deb: sha256 is ${'b'.repeat(64)}, not ${'0'.repeat(64)}`,
      'source https://example.org/extra.tar.gz is not among the resolved dependencies',
    ]);
    expect(checkProvenance(s, { ...e, bases: { 'debian:bookworm': `sha256:${'3'.repeat(64)}` } })).toEqual([
      `base image debian:bookworm is sha256:${'2'.repeat(64)}, not sha256:${'3'.repeat(64)}`,
    ]);
    expect(checkProvenance(s, { ...e, bases: { 'alpine:3.20': BASE } })).toEqual([
      'base image alpine:3.20 is not among the resolved dependencies',
    ]);
  });
});
