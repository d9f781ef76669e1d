/**
 * SLSA Build Provenance v1 (slsa.dev/spec/v1.0/provenance) for one platform's image, wrapped in an
 * in-toto Statement v1 (github.com/in-toto/attestation, spec/v1): what was built (the subject, by
 * digest), from what (the recipe, its pinned sources and artifacts, the base images by digest),
 * how (strategy, platform, SOURCE_DATE_EPOCH, the generated Dockerfile) and by which mab and engine.
 *
 * The statement is a function of its input alone: keys come in a fixed order (maps sorted), no
 * field is undefined, and nothing is read from the environment, so a build secret's value cannot
 * reach it; only the secrets' ids are recorded.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { digestHex } from '../oci/digest.js';
import { formatPlatform } from '../platform/platform.js';
import type { BuildPlan, ResolvedSource, TargetPlan } from '../plan/plan.js';
import { DOCKER_HUB, parseReference } from '../ref/reference.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PROVENANCE_TYPE = 'https://slsa.dev/provenance/v1';
/**
 * mab's build type: an image built from a recipe by a strategy for one platform. Its parameters
 * are the externalParameters below; a new version of the URI comes with any change to their meaning.
 */
export const BUILD_TYPE = 'https://mab.dev/buildtypes/recipe/v1';
/** The builder, versioned as SLSA suggests (`@v` + mab's version): who vouches for the statement. */
export const BUILDER_ID = 'https://mab.dev/builder';

/** in-toto's ResourceDescriptor, with the fields mab fills. */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof PROVENANCE_TYPE;
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown>;
      internalParameters: Record<string, unknown>;
      resolvedDependencies: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string; version: Record<string, string> };
      metadata: { invocationId?: string; startedOn: string; finishedOn: string };
    };
  };
}

/** Digests are sha256, as `sha256:HEX` or HEX; times RFC 3339. */
export interface ProvenanceInput {
  subject: { name: string; digest: string };
  /** path: the recipe file as the plan writes it (relative to the project); digest: of its bytes. */
  recipe: { name: string; version: string; path: string; digest: string };
  strategy: string;
  platform: string;
  sourceDateEpoch?: number;
  /** --label KEY=VALUE. */
  labels?: Record<string, string>;
  /** Build args the build is given (never a secret); secrets by id, their values never. */
  buildArgs?: Record<string, string>;
  secrets?: string[];
  dockerfileDigest: string;
  /** Build-context path → digest: mab's helper scripts (mab/…), the recipe's files (files/…). */
  templates?: Record<string, string>;
  recipeFiles?: Record<string, string>;
  /** Image ref → digest, and the platform pulled (absent: the build platform's, in a cross build). */
  bases?: Record<string, { digest: string; platform?: string }>;
  sources?: ResolvedSource[];
  /** The git checkout the recipe is in. */
  checkout?: { source?: string; revision: string };
  builder: { mab: string; engine: string; buildx: string };
  invocationId?: string;
  startedOn: string;
  finishedOn: string;
}

const sha256 = (digest: string) => ({ sha256: digestHex(digest) });

/** The same entries, keys sorted (JSON.stringify writes keys in insertion order), values mapped. */
function sorted<T, U = T>(r: Record<string, T>, f: (v: T) => U = (v) => v as unknown as U): Record<string, U> {
  // The default sort compares code units: the same order on every machine, unlike localeCompare.
  const keys = Object.keys(r).sort();
  return Object.fromEntries(keys.map((k) => [k, f(r[k]!)]));
}

/** `{ [key]: value }` when there is something to say, else nothing (never an undefined field). */
function some<T>(key: string, value: T | undefined): Record<string, T> {
  const empty =
    value === undefined ||
    value === '' ||
    (Array.isArray(value) ? !value.length : typeof value === 'object' && !Object.keys(value!).length);
  return empty ? {} : { [key]: value };
}

/** A purl (github.com/package-url/purl-spec) for an image: name and tag, with the registry as repository_url. */
function dockerPurl(ref: string, platform: string | undefined): string {
  const r = parseReference(ref);
  const name = r.registry === DOCKER_HUB ? r.repository.replace(/^library\//, '') : r.repository;
  const qualifiers = [
    ...(platform ? [`platform=${encodeURIComponent(platform)}`] : []),
    ...(r.registry !== DOCKER_HUB ? [`repository_url=${encodeURIComponent(r.registry)}`] : []),
  ];
  const version = r.tag ?? r.digest;
  return `pkg:docker/${name}${version ? `@${encodeURIComponent(version)}` : ''}${qualifiers.length ? `?${qualifiers.join('&')}` : ''}`;
}

/** How a pinned source or artifact appears among the resolved dependencies (and how a verifier expects it). */
export function sourceDescriptor(s: ResolvedSource): ResourceDescriptor & { uri: string } {
  switch (s.kind) {
    case 'url':
      return { name: s.file, uri: s.url, digest: { ...some('sha256', s.sha256), ...some('md5', s.md5) } };
    case 'git':
      return { name: s.file, uri: `git+${s.url}@${s.commit}`, digest: { gitCommit: s.commit } };
    case 'debian':
      return { name: s.file, uri: s.url, digest: { sha256: s.sha256 } };
    case 'apt':
      // The signed index pins the package; the plan holds no digest of the .deb itself, only the
      // fingerprint of the key that signs the index.
      return {
        name: s.file,
        uri: `pkg:deb/debian/${s.package}@${encodeURIComponent(s.version).replace(/%3A/g, ':')}?arch=${s.arch}`,
        annotations: { repo: s.repo, suite: s.suite, component: s.component, fingerprint: s.fingerprint },
      };
  }
}

export function provenanceStatement(input: ProvenanceInput): Statement {
  const { recipe, checkout, builder, startedOn, finishedOn } = input;
  // The recipe itself: the commit of the checkout it was read from.
  const recipeCommit: ResourceDescriptor | undefined = checkout && {
    name: recipe.path,
    ...some('uri', checkout.source && `git+${checkout.source}`),
    digest: { gitCommit: checkout.revision },
  };
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: input.subject.name, digest: sha256(input.subject.digest) }],
    predicateType: PROVENANCE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: {
          recipe: { name: recipe.name, version: recipe.version, path: recipe.path, digest: sha256(recipe.digest) },
          strategy: input.strategy,
          platform: input.platform,
          ...some('sourceDateEpoch', input.sourceDateEpoch),
          ...some('labels', input.labels && sorted(input.labels)),
          ...some('buildArgs', input.buildArgs && sorted(input.buildArgs)),
          ...some('secrets', input.secrets && [...input.secrets].sort()),
        },
        internalParameters: {
          // mab's Dockerfile template is known by the Dockerfile generated from it.
          dockerfile: sha256(input.dockerfileDigest),
          ...some('templates', input.templates && sorted(input.templates, sha256)),
          ...some('recipeFiles', input.recipeFiles && sorted(input.recipeFiles, sha256)),
        },
        resolvedDependencies: [
          ...Object.entries(sorted(input.bases ?? {})).map(([ref, b]) => ({
            name: ref,
            uri: dockerPurl(ref, b.platform),
            digest: sha256(b.digest),
          })),
          ...(input.sources ?? []).map(sourceDescriptor),
          ...(recipeCommit ? [recipeCommit] : []),
        ],
      },
      runDetails: {
        builder: {
          id: `${BUILDER_ID}@v${builder.mab}`,
          version: { mab: builder.mab, engine: builder.engine, buildx: builder.buildx },
        },
        metadata: { ...some('invocationId', input.invocationId), startedOn, finishedOn },
      },
    },
  };
}

/**
 * What the plan does not hold. recipeDigest: of the recipe file's bytes; bases: image ref as the
 * Dockerfile names it → the digest the build resolved; labels: --label (the plan has them only
 * merged into the Dockerfile's LABELs); checkout: without it, the plan's annotations stand in, but
 * there a recipe's own org.opencontainers.image.source label (its upstream) wins over the checkout's.
 */
export type ProvenanceFacts = Pick<
  ProvenanceInput,
  'subject' | 'builder' | 'startedOn' | 'finishedOn' | 'invocationId' | 'labels' | 'checkout'
> & { recipeDigest: string; bases?: Record<string, string> };

const hash = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The input for one target of a plan: reads the bytes of the files its build context is given. */
export async function provenanceInput(
  plan: BuildPlan,
  target: TargetPlan,
  facts: ProvenanceFacts,
): Promise<ProvenanceInput> {
  const templates: Record<string, string> = {};
  const recipeFiles: Record<string, string> = {};
  for (const f of target.files)
    (f.to.startsWith('mab/') ? templates : recipeFiles)[f.to] = hash(await readFile(f.from));
  const revision = plan.annotations['org.opencontainers.image.revision'];
  const source = plan.annotations['org.opencontainers.image.source'];
  const platform = formatPlatform(target.platform);
  // A cross build pulls its build stage's base for the build platform, which the plan does not know.
  const from = (re: RegExp) => [...target.dockerfile.matchAll(re)].map((m) => m[1]);
  const forBuild = from(/^FROM\s+--platform=\$BUILDPLATFORM\s+(\S+)/gm);
  const forTarget = from(/^FROM\s+(?!--)(\S+)/gm);
  const base = (digest: string, ref: string) =>
    forBuild.includes(ref) && !forTarget.includes(ref) ? { digest } : { digest, platform };
  const epoch = target.sourceDateEpoch;
  const { recipeDigest, bases = {}, ...run } = facts;
  return {
    ...run,
    recipe: {
      name: plan.recipe.name,
      version: plan.recipe.version,
      // As the generated Dockerfile's first line names it (relative to the project).
      path: /^# Generated by mab from (\S+) /.exec(target.dockerfile)?.[1] ?? path.basename(plan.recipe.file),
      digest: recipeDigest,
    },
    strategy: plan.strategy,
    platform,
    sourceDateEpoch: epoch,
    // SOURCE_DATE_EPOCH is the one build arg mab passes (src/engine/buildx.ts); the plan holds no other.
    buildArgs: epoch === undefined ? {} : { SOURCE_DATE_EPOCH: String(epoch) },
    secrets: plan.secrets,
    dockerfileDigest: hash(target.dockerfile),
    templates,
    recipeFiles,
    bases: Object.fromEntries(Object.entries(bases).map(([ref, d]) => [ref, base(d, ref)])),
    sources: [...target.sources, ...target.artifacts],
    checkout: facts.checkout ?? (revision ? { ...some('source', source), revision } : undefined),
  };
}

/** What a verifier finds wrong with a statement it was handed for an image (none: it holds). */
export function checkProvenance(
  statement: unknown,
  expect: {
    digest: string;
    recipeDigest?: string;
    sources?: { uri: string; digest?: Record<string, string> }[];
    /** Base image ref → its digest, or undefined where any digest will do (a tag that may have moved since). */
    bases?: Record<string, string | undefined>;
  },
): string[] {
  if (typeof statement !== 'object' || statement === null) return ['the provenance is not a JSON object'];
  const s = statement as Partial<Statement>;
  const problems: string[] = [];
  if (s._type !== STATEMENT_TYPE) problems.push(`_type is ${String(s._type)}, not ${STATEMENT_TYPE}`);
  if (s.predicateType !== PROVENANCE_TYPE)
    problems.push(`predicateType is ${String(s.predicateType)}, not ${PROVENANCE_TYPE}`);
  const subjects = Array.isArray(s.subject) ? s.subject.map((x) => x?.digest?.sha256) : [];
  if (!subjects.includes(digestHex(expect.digest)))
    problems.push(
      `no subject is the image sha256:${digestHex(expect.digest)} (subjects: ${subjects.map((d) => `sha256:${d}`).join(', ') || 'none'})`,
    );
  const definition = s.predicate?.buildDefinition;
  if (expect.recipeDigest !== undefined) {
    const recipe = (definition?.externalParameters?.recipe as { digest?: { sha256?: string } } | undefined)?.digest;
    if (recipe?.sha256 !== digestHex(expect.recipeDigest))
      problems.push(`recipe digest is ${recipe?.sha256 ?? 'missing'}, not ${digestHex(expect.recipeDigest)}`);
  }
  const deps = Array.isArray(definition?.resolvedDependencies) ? definition.resolvedDependencies : [];
  for (const want of expect.sources ?? []) {
    const got = deps.find((d) => d?.uri === want.uri);
    if (!got) problems.push(`source ${want.uri} is not among the resolved dependencies`);
    else
      for (const [algorithm, value] of Object.entries(want.digest ?? {}))
        if (got.digest?.[algorithm] !== value)
          problems.push(`source ${want.uri}: ${algorithm} is ${got.digest?.[algorithm] ?? 'missing'}, not ${value}`);
  }
  for (const [ref, digest] of Object.entries(expect.bases ?? {})) {
    const got = deps.find((d) => d?.name === ref && d.uri?.startsWith('pkg:docker/'));
    if (digest === undefined) {
      if (!got?.digest?.sha256) problems.push(`base image ${ref} is not among the resolved dependencies with a digest`);
    } else if (!got) problems.push(`base image ${ref} is not among the resolved dependencies`);
    else if (got.digest?.sha256 !== digestHex(digest))
      problems.push(`base image ${ref} is sha256:${got.digest?.sha256 ?? 'missing'}, not sha256:${digestHex(digest)}`);
  }
  return problems;
}
