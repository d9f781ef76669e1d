import path from 'node:path';
import { executePlan } from '../pipeline/execute.js';
import { buildMetadata, writeMetadata } from '../manifest/metadata.js';
import { planJson } from '../plan/plan.js';
import { formatBuildReport } from '../report/table.js';
import { RegistryClient } from '../registry/client.js';
import { signPushed } from '../supply/attest.js';
import { defaultCacheDir } from '../util/io.js';
import { needing, type Command } from './command.js';
import {
  ATTEST_OPTIONS,
  BUILDER_OPTION,
  JOBS_OPTION,
  PREFLIGHT_OPTIONS,
  REGISTRY_OPTIONS,
  SIGN_OPTION,
  signingKeyOf,
  SECRET_OPTION,
  CACHE_OPTIONS,
  cacheOf,
  buildLogger,
  secretsOf,
  hostOf,
  jobsOf,
  messageLogger,
  PROGRESS_OPTION,
  mirrorsOf,
  debianOf,
  registryOptions,
  storeDirOf,
  SHARED_OPTIONS,
  INDEX_FORMATS,
} from './context.js';
import { createEcrRepository, credentialsOf } from './push.js';
import { buildersOf } from './config.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';
import { mabVersion } from './root.js';

export const build: Command = {
  name: 'build',
  args: 'RECIPE',
  description: [
    'Generates the Dockerfile for each platform from the recipe and the strategy template, checks the',
    'engine, buildx and QEMU, fetches sources on the host (checksums verified), builds each platform',
    "with one `docker buildx build`, runs the recipe's smoke checks in every image and reports sizes.",
    'With --push, pushes each platform image, assembles the multi-arch index itself and tags it with',
    'the recipe version and latest. Build output goes to stderr, the report to stdout.',
  ].join('\n'),
  options: {
    ...PLAN_OPTIONS,
    ...needing('push', REGISTRY_OPTIONS),
    ...SECRET_OPTION,
    ...CACHE_OPTIONS,
    ...BUILDER_OPTION,
    ...PREFLIGHT_OPTIONS,
    push: {
      type: 'string',
      value: 'REPOSITORY',
      description: 'publish to REGISTRY/REPOSITORY, e.g. 127.0.0.1:5000/mab/sysbench',
    },
    tag: {
      needs: 'push',
      type: 'string',
      value: 'TEMPLATE',
      multiple: true,
      description:
        "with --push, push under exactly these tags ({version}, {major}, {minor}, {patch}, {strategy}); one with {arch} (amd64, arm64, arm-v7, …) tags each platform's own manifest instead; default: VERSION, and MAJOR.MINOR, MAJOR and latest unless the repository has a higher release",
    },
    username: {
      needs: 'push',
      type: 'string',
      value: 'USER',
      description: "with --push: registry user name (with --password-stdin); default: docker's credentials",
    },
    'password-stdin': {
      needs: 'push',
      type: 'boolean',
      description: 'with --push: read the registry password from stdin',
    },
    sign: { ...SIGN_OPTION.sign!, needs: 'push' },
    'create-repository': {
      needs: 'push',
      type: 'boolean',
      description:
        'with --push to AWS ECR: create the repository first if missing (checked before building, so bad AWS credentials fail fast)',
    },
    'by-digest': {
      needs: 'push',
      type: 'boolean',
      description:
        "with --push: push each platform's manifest (and its attestations) by digest only, no tags and no index (one CI runner per platform; then mab manifest merge)",
    },
    'metadata-file': {
      needs: 'push',
      type: 'string',
      value: 'FILE',
      description:
        'with --push: write what was built and pushed (platform, manifest digest, sizes, smoke results) as JSON, for mab manifest merge',
    },
    'index-format': {
      choices: INDEX_FORMATS,
      needs: 'push',
      type: 'string',
      value: 'FORMAT',
      description:
        'fat manifest format: oci (image index; the default while SBOM or provenance is on, as only it carries them) or docker (manifest list v2, for engines older than 20.10; the default with --sbom=false --provenance=false)',
    },
    referrers: {
      needs: 'push',
      type: 'boolean',
      description:
        "with --push: also attach each image's SBOM and provenance as OCI 1.1 referrers (artifacts whose subject is the image, which oras discover lists): by the registry's referrers API, or where it has none under the sha256-DIGEST tag's index; needs the OCI index format",
    },
    ...ATTEST_OPTIONS,
    smoke: {
      type: 'string',
      value: 'WHICH',
      default: 'quick',
      choices: ['quick', 'all'],
      description:
        'smoke checks to run in each image: quick (skips checks the recipe marks slow, such as benchmark workloads) or all',
    },
    print: { type: 'boolean', description: 'print the resolved build plan as JSON and stop; touches no engine' },
    mirror: SHARED_OPTIONS.mirror,
    cache: SHARED_OPTIONS.cache,
    store: SHARED_OPTIONS.store,
    'rerun-smoke': {
      type: 'boolean',
      description: 'run the smoke checks even when this same image passed them in an earlier build with the same plan',
    },
    'no-cache': {
      type: 'boolean',
      description:
        "run every build step again instead of taking it from BuildKit's cache (cold timings); without it, a platform whose plan and base image digests are those of a stored build, whose image the engine still has, is not built at all",
    },
    'keep-context': { type: 'boolean', description: 'keep each generated build context and print its path' },
    jobs: JOBS_OPTION,
    ...PROGRESS_OPTION,
    verbose: {
      type: 'boolean',
      short: 'v',
      description: 'stream every line of build output (default: step headers only)',
    },
    quiet: SHARED_OPTIONS.quiet,
    json: { type: 'boolean', description: 'print the report as JSON on stdout' },
  },
  examples: [
    'mab build sysbench --arch arm64,amd64',
    'mab build sysbench --arch arm64,amd64 --push 127.0.0.1:5000/mab/sysbench',
    'mab build sysbench --arch arm/v7 --print',
    'mab build sysbench --arch arm64 --push 127.0.0.1:5000/mab/sysbench --by-digest --metadata-file out/arm64.json',
    'mab build sysbench --arch arm64,amd64 --builder linux/arm64=arm-board',
  ],
  async run(args, opts, io) {
    const plan = await resolvePlan(args[0], opts, io, opts.push as string | undefined);
    const say = messageLogger(io, opts);
    if (!opts.strategy && plan.strategy === 'cross' && !opts.print)
      say(
        `strategy cross: the recipe supports it, so no build step is emulated (--strategy multistage for the emulated build)`,
      );
    if (opts.print) {
      io.out(JSON.stringify(planJson(plan), null, 2) + '\n');
      return 0;
    }
    // --tag, --by-digest, --username and the rest are declared `needs: 'push'`: refused without it.
    const credentials = await credentialsOf(opts);
    if (opts['create-repository'] && plan.publish) {
      const ref = plan.publish.repository;
      await createEcrRepository(ref.registry, ref.repository, io.env, say);
    }
    // Read now: a wrong password must not cost a build.
    const signingKey = opts.sign ? await signingKeyOf(opts.sign, io) : undefined;
    const progress = buildLogger(io, opts);
    const registry = plan.publish
      ? {
          ...(await registryOptions(plan.publish.repository.registry, opts, io, progress.log)),
          ...(credentials ? { credentials } : {}),
        }
      : undefined;
    const cacheDir = (opts.cache as string | undefined) ?? defaultCacheDir(io.env);
    const mirrors = mirrorsOf(opts, io);
    const result = await executePlan(plan, {
      host: hostOf(io),
      cacheDir,
      ...(registry ? { registry } : {}),
      storeDir: storeDirOf(opts, io),
      mirrors,
      ...debianOf(opts, io, cacheDir, mirrors),
      keepContext: Boolean(opts['keep-context']),
      jobs: jobsOf(opts),
      noCache: Boolean(opts['no-cache']),
      secrets: secretsOf(opts, io),
      ...(cacheOf(opts) ? { cache: cacheOf(opts) } : {}),
      builders: await buildersOf(opts, io),
      rerunSmoke: Boolean(opts['rerun-smoke']),
      verbose: Boolean(opts.verbose),
      tool: `mab-${mabVersion()}`,
      log: progress.log,
    }).finally(progress.done);
    // The index (none with --by-digest) and every platform manifest, as mab sign --recursive.
    // With attestations in the index, each image's are signed into its .att too.
    const signing =
      signingKey && registry && plan.publish
        ? await signPushed(
            new RegistryClient(plan.publish.repository.registry, registry),
            plan.publish.repository.repository,
            [result.index?.digest, ...result.platforms.map((p) => p.manifest)].filter((d): d is string => !!d),
            result.index?.digest,
            { key: signingKey, log: say },
          )
        : undefined;
    if (opts['metadata-file'])
      await writeMetadata(
        path.resolve(io.cwd, String(opts['metadata-file'])),
        buildMetadata(result, plan.publish!.indexFormat),
      );
    io.out(
      opts.json
        ? JSON.stringify({ schemaVersion: 1, ...result, ...signing }, null, 2) + '\n'
        : formatBuildReport(result) + '\n',
    );
    return 0;
  },
};
