/**
 * Runs a BuildPlan: preflight, host-side fetches, one build + smoke test per platform, export of
 * every platform into the local OCI store with its index, then (with --push) the push from the
 * store. Produces the data the report prints.
 */
import { MabError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { formatPlatform } from '../platform/platform.js';
import type { BuildPlan } from '../plan/plan.js';
import { RegistryClient, type ClientOptions } from '../registry/client.js';
import { EarlyUploads, publishBuild, type PublishedBuild } from './push.js';
import { targetDigest } from '../plan/digest.js';
import { fetchAll, type Mirror } from '../source/fetch.js';
import { Store } from '../store/layout.js';
import { recordBuild, type BuildRecord } from '../store/builds.js';
import { exportImage, storedExport, storeIndex, type Exported } from './export.js';
import { builderEnv, engineEndpoint, hostOf, resolveBuilders } from '../engine/builders.js';
import { buildTarget, type BuildOutput } from '../engine/buildx.js';
import { makeContext, removeContext } from './context.js';
import { redactor, secretValues, type BuildSecret } from '../engine/secrets.js';
import { checkCacheExport, type CacheSpec } from '../engine/cache.js';
import { checkEmulation, checkEngine, type Host } from '../engine/preflight.js';
import { checkPackages, openSuite, type DebianSource } from './packages.js';
import { removeOrphanedSmokeContainers, runSmoke, smokeFailure, type SmokeResult } from '../engine/smoke.js';
import { earlierSmoke, smokeShells } from './smoke.js';
import { mapLimited } from '../util/limit.js';
import { engineApi, resolveBases, unchangedBuild } from './unchanged.js';
import { clampOf } from './reproducible.js';
import { attestImages, ranOf } from './attest.js';
import { baseLookup } from '../report/base.js';

export interface ExecuteOptions {
  host: Host;
  cacheDir: string;
  mirrors: Mirror[];
  keepContext: boolean;
  /** The local OCI store every image goes to (and is pushed from). */
  storeDir: string;
  /**
   * For --push: credentials (otherwise docker's config, or ECR's token) and trust settings; the
   * client's retries are logged either way.
   */
  registry?: ClientOptions;
  /** Run the smoke checks even on an image an earlier build already checked. */
  rerunSmoke?: boolean;
  /** Build every step again (buildx --no-cache): for cold timings. */
  noCache?: boolean;
  /** Where the recipe's build secrets come from (--secret). */
  secrets?: BuildSecret[];
  /** BuildKit's cache outside the engine (--cache-from, --cache-to), one location per platform. */
  cache?: { from: CacheSpec[]; to: CacheSpec[] };
  /** Platforms that build elsewhere (--builder PLATFORM=NAME): a docker context or buildx builder. */
  builders?: Map<string, string>;
  /**
   * Where Debian's package indexes are read: for the package preflight, run before anything else
   * unless `preflight` is false (--no-preflight), and for the smoke checks' helper shell.
   */
  debian?: DebianSource;
  preflight?: boolean;
  /** Platforms built at once (default 1). */
  jobs?: number;
  /** Print every build line, or only step headers. */
  verbose: boolean;
  /** mab-VERSION: the creator an SBOM names, the builder a provenance names. */
  tool?: string;
  log: (msg: string) => void;
}

/** Sizes as a board experiences them: compressed is what a pull downloads, uncompressed what the layers unpack to. */
export interface ImageSize {
  compressed: number;
  uncompressed: number;
  layers: number;
  /** true when compressed is mab's own gzip of the layers (the store's), not a registry's figure. */
  estimated: boolean;
}

export interface PlatformResult {
  platform: string;
  image: string;
  imageId: string;
  buildSeconds: number;
  smoke: SmokeResult[];
  /** The smoke results are those of an earlier build of this same image (same plan). */
  smokeReused?: boolean;
  /** Not built: the same plan and base images as a stored build whose image the engine still has (buildSeconds is that build's). */
  unchanged?: boolean;
  size: ImageSize;
  /** Manifest digest in the registry, and its attestation manifest's index entry, when pushed. */
  manifest?: string;
  attestation?: Descriptor;
  context?: string;
}

export interface BuildResult {
  recipe: string;
  version: string;
  strategy: string;
  platforms: PlatformResult[];
  index?: PublishedBuild['index'];
  /** With --push: the repository the platform manifests (`manifest` of each platform) are in. */
  repository?: string;
  /** Where the images went without --push: the store, the index's digest and its tags there. */
  store?: { dir: string; digest: string; tags: string[] };
  /** What the push sent: zero blob bytes when the repository had everything. */
  push?: PublishedBuild['push'];
}

/**
 * Builds, checks, stores and pushes. With build secrets, whatever the build prints passes through
 * a filter that blanks their values, errors included.
 */
export async function executePlan(plan: BuildPlan, options: ExecuteOptions): Promise<BuildResult> {
  const redact = redactor(
    await secretValues(plan.secrets, options.secrets ?? [], options.host.env ?? process.env, plan.recipe.file),
  );
  const o = { ...options, log: (m: string) => options.log(redact(m)) };
  return execute(plan, o).catch((e: unknown) => {
    throw e instanceof MabError ? new MabError(e.code, redact(e.message), e.hint) : e;
  });
}

async function execute(plan: BuildPlan, o: ExecuteOptions): Promise<BuildResult> {
  let suite: ReturnType<typeof openSuite> | undefined;
  const debian = o.debian;
  const openOnce = debian && (() => (suite ??= openSuite(plan, debian, o.log)));
  if (openOnce && o.preflight === false)
    o.log('package preflight skipped (--no-preflight): a missing package would show only when apt runs in the build');
  else if (openOnce) await checkPackages(plan, o.host.platform, openOnce, o.log);
  const engine = await checkEngine(o.host);
  o.log(`engine ${engine.server}, ${engine.buildx.split(' ').slice(0, 2).join(' ')}`);
  const builders = await resolveBuilders(
    o.builders ?? new Map(),
    plan.targets.map((t) => formatPlatform(t.platform)),
    o.host.env,
  );
  for (const [platform, b] of builders)
    o.log(
      `[${platform}] builds on ${b.kind === 'context' ? `docker context ${b.name}${b.host ? ` (${b.host})` : ''}` : `buildx builder ${b.name}`}`,
    );
  // Emulation here matters for what runs here: a context's platform builds, runs and exports on
  // its own engine (checked above); a buildx builder's image comes back here for its smoke checks.
  await checkEmulation(
    plan.targets.filter((t) => builders.get(formatPlatform(t.platform))?.kind !== 'context').map((t) => t.platform),
    o.host,
  );
  if (o.cache && plan.targets.some((t) => !builders.has(formatPlatform(t.platform))))
    await checkCacheExport(o.cache.to, o.host.env);
  const orphans = await removeOrphanedSmokeContainers(o.host.env);
  if (orphans) o.log(`removed ${orphans} smoke-check container${orphans > 1 ? 's' : ''} left by killed mab runs`);

  const cached = await fetchAll(plan, o.cacheDir, o.mirrors, o.log);
  const shells = await smokeShells(plan, openOnce, o);

  const store = await Store.open(o.storeDir);
  // Platforms build side by side (--jobs); every log line carries its platform's prefix.
  const jobs = Math.max(1, o.jobs ?? 1);
  if (jobs > 1 && plan.targets.length > 1) o.log(`building ${Math.min(jobs, plan.targets.length)} platforms at a time`);
  // Per target, found once after its build: its plan digest, and the store's earlier export of
  // the same image ID (which spares the smoke checks and the export).
  const known: {
    planDigest: string;
    stored?: Exported;
    bases?: Record<string, string>;
    unchanged?: BuildRecord;
    diffIds?: string[];
    /** When the build ran (a reused build's: its record's), for the provenance. */
    ran?: { startedOn: string; finishedOn: string };
  }[] = [];
  // The engine of the platforms not routed to a builder: its API resolves their base images, and
  // its machine (a tcp:// or ssh:// DOCKER_HOST; else this one) answers their HTTP smoke checks.
  const endpoint = plan.targets.some((t) => !builders.has(formatPlatform(t.platform)))
    ? await engineEndpoint(o.host.env)
    : undefined;
  const api = engineApi(endpoint, o.host.env ?? process.env);
  // The last stage's base: its layers are the image's bottom ones, and what a report counts as base.
  const base = plan.bases.runtime ?? plan.bases.build;
  const engineHost = endpoint ? hostOf(endpoint) : undefined;
  // Progress displays mark a platform finished on its `done:` or `failed:` line.
  const failed = (t: (typeof plan.targets)[number]) => (e: unknown) => {
    o.log(`[${formatPlatform(t.platform)}] failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    throw e;
  };
  const buildOne = async (t: (typeof plan.targets)[number], i: number): Promise<PlatformResult> => {
    // The written form: the key of the builder and helper-shell maps, and what the logs and report say.
    const platform = formatPlatform(t.platform);
    const builder = builders.get(platform);
    const prefix = `[${platform}]`;
    // The engine this platform's image lives in: its builder's (a docker context), else this host's.
    const engineEnv = builderEnv(builder, o.host.env, false);
    o.log(
      `${prefix} building ${plan.recipe.name} ${plan.recipe.version} (${i + 1}/${plan.targets.length}, ${plan.strategy})`,
    );
    const planDigest = await targetDigest(t);
    // On this host's engine, a build the store already has from the same plan and bases is not run again.
    const bases = builder ? undefined : await resolveBases(t.dockerfile, api);
    const same =
      bases && !o.noCache && !o.keepContext && !o.cache?.to.length
        ? await unchangedBuild(store, t, planDigest, bases, o.host.env)
        : undefined;
    let built: BuildOutput;
    let context: string | undefined;
    let startedOn: string | undefined;
    if (same) {
      o.log(
        `${prefix} unchanged: same plan and base images (${Object.entries(bases!)
          .map(([b, d]) => `${b}@${d.slice(7, 19)}`)
          .join(
            ', ',
          )}) as the build of ${same.record.builtAt}, whose image ${same.id.slice(7, 19)} the engine still has; not built again (--no-cache builds anyway)`,
      );
      built = { id: same.id, seconds: 0 };
    } else {
      startedOn = new Date().toISOString();
      context = await makeContext(t, cached);
      try {
        built = await buildTarget(
          t,
          context,
          (line) => {
            if (o.verbose || /^#\d+ \[/.test(line) || /^#\d+ (ERROR|DONE \d|CACHED$)/.test(line))
              o.log(`${prefix} ${line}`);
          },
          builderEnv(builder, o.host.env, true),
          { noCache: o.noCache, secrets: o.secrets, ...(o.cache ? { cache: o.cache } : {}) },
        );
      } finally {
        if (!o.keepContext) await removeContext(context);
      }
    }
    const stored = same?.stored ?? (await storedExport(store, built.id));
    known[i] = {
      planDigest,
      ...(stored ? { stored } : {}),
      ...(bases ? { bases } : {}),
      ...(same ? { unchanged: same.record } : {}),
      ...(built.diffIds ? { diffIds: built.diffIds } : {}),
      ran: same
        ? ranOf(same.record)
        : { startedOn: startedOn ?? new Date().toISOString(), finishedOn: new Date().toISOString() },
    };
    // The very image an earlier build with the same plan smoke-tested: its results stand.
    const earlier = o.rerunSmoke ? undefined : await earlierSmoke(store, stored, known[i]!.planDigest);
    o.log(
      `${prefix} ${same ? 'reused' : `built in ${built.seconds.toFixed(1)} s`}; ${earlier ? `smoke checks passed on this same image (${built.id.slice(7, 19)}) at ${earlier.builtAt}, not run again` : 'smoke testing'}`,
    );
    const smoke = earlier
      ? earlier.smoke.map((x) => ({ ...x, output: '' }))
      : await runSmoke(t.image, platform, t.smoke, {
          env: engineEnv,
          host: builder ? builder.host : engineHost,
          shellDir: shells.get(platform),
          log: (line) => o.log(`${prefix} ${line}`),
        });
    for (const s of smoke)
      o.log(
        `${prefix} smoke ${s.name}: ${s.passed ? 'pass' : 'FAIL'} (${earlier ? 'earlier run, ' : ''}${s.seconds.toFixed(1)} s)`,
      );
    if (smoke.some((s) => !s.passed))
      throw smokeFailure(platform, t.image, t.smoke, smoke, plan.strategy !== 'minimal');
    o.log(
      `${prefix} done: ${same ? 'reused' : `built in ${built.seconds.toFixed(1)} s`}, ${smoke.length} smoke check${smoke.length === 1 ? '' : 's'} passed`,
    );
    return {
      platform,
      image: t.image,
      imageId: built.id,
      buildSeconds: same ? same.record.buildSeconds : built.seconds,
      ...(same ? { unchanged: true } : {}),
      smoke,
      ...(earlier ? { smokeReused: true } : {}),
      size: { compressed: 0, uncompressed: 0, layers: 0, estimated: true },
      ...(o.keepContext ? { context } : {}),
    };
  };
  const results = await mapLimited(plan.targets, jobs, (t, i) => buildOne(t, i).catch(failed(t)));

  // With a push to come, each blob goes up as soon as the export stores it.
  const repoRef = plan.publish?.repository;
  const client = repoRef
    ? new RegistryClient(repoRef.registry, { env: o.host.env, onRetry: (m) => o.log(`retry: ${m}`), ...o.registry })
    : undefined;
  const early = repoRef && client ? new EarlyUploads(store, client, repoRef.repository) : undefined;
  // Into the local store: each platform's manifest, then the index over them, then the tags.
  const images = await mapLimited(results, jobs, async (r, i) => {
    // The same image ID as an earlier export is the same image: nothing to save or compress.
    const earlier = known[i]!.stored;
    const env = builderEnv(builders.get(r.platform), o.host.env, false);
    const t = plan.targets[i]!;
    const clamp = earlier ? undefined : await clampOf(t, base, known[i]!.bases, baseLookup(env ?? process.env));
    if (clamp?.why) o.log(`[${r.platform}] warning: file times not clamped (${clamp.why}): it will not reproduce`);
    o.log(
      earlier
        ? `[${r.platform}] already in the store ${o.storeDir} (image ${r.imageId.slice(7, 19)}), not exported again`
        : `[${r.platform}] exporting to the store ${o.storeDir}`,
    );
    const e =
      earlier ??
      (await exportImage(store, r.image, env, early && ((b) => early.add(b)), {
        diffIds: known[i]!.diffIds,
        clamp: clamp?.clamp,
      }));
    for (const [n, what] of [
      [e.reused, 'were compressed by an earlier export: hashed, not compressed again'],
      [e.clamped, `had their file times clamped to SOURCE_DATE_EPOCH ${t.sourceDateEpoch} (then compressed by mab)`],
      [e.copied, 'stored as the engine compressed them, not compressed again'],
    ] as const)
      if (n) o.log(`[${r.platform}] ${n} of ${e.layers} layers ${what}`);
    r.size = { compressed: e.compressed, uncompressed: e.uncompressed, layers: e.layers, estimated: !plan.publish };
    r.manifest = e.manifest.digest;
    return { exported: e, platform: t.platform, source: r.image };
  });
  const { name, version } = plan.recipe;
  const attestations = await attestImages(store, plan, images, {
    jobs,
    tool: o.tool ?? 'mab',
    engine,
    platforms: known.map((k) => ({ bases: k.bases, ran: k.ran! })),
    log: o.log,
  });
  for (const [i, r] of results.entries()) {
    // A build not run again keeps the record of the one that ran.
    if (known[i]!.unchanged) continue;
    await recordBuild(o.storeDir, r.manifest!, {
      recipe: name,
      version,
      strategy: plan.strategy,
      platform: r.platform,
      builtAt: new Date().toISOString(),
      buildSeconds: r.buildSeconds,
      smoke: r.smoke.map(({ name: n, passed, seconds }) => ({ name: n, passed, seconds })),
      ...(base !== 'scratch' ? { base } : {}),
      planDigest: known[i]!.planDigest,
      ...(known[i]!.bases ? { bases: known[i]!.bases } : {}),
      ran: known[i]!.ran,
      ...(attestations[i] ? { attestation: attestations[i] } : {}),
    });
  }
  const storeTags = [`${version}-${plan.strategy}`, version, 'latest'].map((t) => `${name}:${t}`);
  const stored = await storeIndex(store, images, storeTags, {
    title: name,
    version,
    strategy: plan.strategy,
    annotations: plan.annotations,
    attestations: attestations.flatMap((a) => (a ? [a.entry] : [])),
  });
  o.log(`store ${o.storeDir}: ${storeTags.join(', ')} → ${stored.digest}`);
  const result: BuildResult = {
    recipe: name,
    version,
    strategy: plan.strategy,
    platforms: results,
    store: { dir: o.storeDir, digest: stored.digest, tags: storeTags },
  };
  if (!plan.publish || !repoRef || !client) return result;

  const published = await publishBuild(store, storeTags[0]!, client, plan.publish, { version, early, log: o.log });
  for (const [i, r] of results.entries()) {
    const { digest, attestation } = published.children[i]!;
    Object.assign(r, { manifest: digest }, attestation ? { attestation } : {});
  }
  const { index, repository, push } = published;
  return { ...result, ...(index ? { index } : {}), repository, push };
}
