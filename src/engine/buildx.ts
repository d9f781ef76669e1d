/**
 * One platform, one `docker buildx build`. The engine's docker driver refuses multi-platform builds
 * and OCI output, and that is fine: mab builds each platform on its own and assembles the index
 * itself. --provenance=false keeps attestation manifests (platform unknown/unknown), which old
 * clients choke on, out of the result.
 *
 * --pull is not optional: BuildKit in engine 20.10 takes a base image from the local image store
 * whatever its platform, so with an armhf `debian:bookworm-slim` pulled locally, an arm64 build
 * gets armhf content under an arm64 config (seen here; test/engine/build-variants.test.ts).
 * --pull makes it resolve the base for the requested platform from the registry every time.
 *
 * SOURCE_DATE_EPOCH, as a build argument, makes BuildKit (0.11 and later) write that time, not the
 * build's, into the config's created and its history (never into the base's own entries). No
 * stage declares it, so it is in no step's cache key: a new commit changes no cached step. Its
 * exporter option rewrite-timestamp, which would clamp file times too, the docker driver refuses
 * ("conflicts with unpack"): the export does that (pipeline/reproducible.ts).
 */
import path from 'node:path';
import type { TargetPlan } from '../plan/plan.js';
import { docker, dockerStreaming } from './docker.js';
import { secretArgs, type BuildSecret } from './secrets.js';
import { MabError } from '../errors.js';
import { formatPlatform, parsePlatform, platformSlug, samePlatform } from '../platform/platform.js';
import { cacheArgs, type CacheSpec } from './cache.js';

export interface BuildOutput {
  /** Image ID (config digest) in the engine. */
  id: string;
  seconds: number;
  /** The image's layers, by diff_id, bottom first (for the export to find those stored before). */
  diffIds?: string[];
}

export async function buildTarget(
  target: TargetPlan,
  context: string,
  onLine: (l: string) => void,
  env?: NodeJS.ProcessEnv,
  o: { noCache?: boolean; secrets?: BuildSecret[]; cache?: { from?: CacheSpec[]; to?: CacheSpec[] } } = {},
): Promise<BuildOutput> {
  const started = Date.now();
  const platform = formatPlatform(target.platform);
  await dockerStreaming(
    [
      'buildx',
      'build',
      '--pull',
      ...(o.noCache ? ['--no-cache'] : []),
      ...secretArgs(o.secrets ?? []),
      ...(o.cache ? cacheArgs(o.cache, platformSlug(target.platform)) : []),
      ...(target.sourceDateEpoch !== undefined ? ['--build-arg', `SOURCE_DATE_EPOCH=${target.sourceDateEpoch}`] : []),
      '--platform',
      platform,
      '--provenance=false',
      '--progress=plain',
      '--load',
      '-t',
      target.image,
      '-f',
      path.join(context, 'Dockerfile'),
      context,
    ],
    onLine,
    { env, what: `build of ${platform}` },
  );
  const seconds = (Date.now() - started) / 1000;
  // JSON, not a Go template: engine 20.10 omits Variant when empty and the template then fails.
  const [info] = JSON.parse(await docker(['image', 'inspect', target.image], { env })) as {
    Id: string;
    Os: string;
    Architecture: string;
    Variant?: string;
    RootFS?: { Layers?: string[] };
  }[];
  const { Id: id, Os: os_, Architecture: arch, Variant: variant } = info!;
  // The image config must say the platform we asked for: the legacy builder, for one, writes the
  // host's architecture into foreign images, and a wrong config means a wrong index entry.
  const built = parsePlatform([os_, arch, variant].filter(Boolean).join('/'));
  if (!samePlatform(built, target.platform)) {
    throw new MabError(
      'E_BUILD_PLATFORM',
      `the image built for ${platform} says it is ${formatPlatform(built)} in its config`,
      'build with BuildKit (docker buildx), not the legacy builder',
    );
  }
  return { id, seconds, ...(info!.RootFS?.Layers ? { diffIds: info!.RootFS.Layers } : {}) };
}
