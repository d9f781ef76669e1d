/**
 * A rebuild that cannot change anything is not sent to the engine. When a platform's plan digest
 * (Dockerfile, context files, sources, smoke checks: plan/digest.ts) and the digests its base
 * images' tags point at now are those of a stored build, and the engine still holds that build's
 * image under the target's name, BuildKit would answer every step from its cache and give that
 * very image back: after 1.5-2.5 s of its own per build on the 20.10 engines measured here
 * (docs/performance.md). mab says so and uses the image.
 *
 * The bases are resolved the way `buildx build --pull` resolves them, by the engine itself (its
 * registry mirrors and insecure-registry settings apply), with its distribution endpoint. Whatever
 * cannot be checked means "build": an engine whose API is behind TLS or SSH, a base the engine
 * cannot resolve (a private registry needs the credentials BuildKit would use), a record from
 * before bases were recorded. A tag that moves between this check and BuildKit's own pull is
 * recorded with the digest seen here, so the next run builds again: never the reverse.
 */
import http from 'node:http';
import { DockerfileParser } from 'dockerfile-ast';
import { formatPlatform } from '../platform/platform.js';
import type { TargetPlan } from '../plan/plan.js';
import { isDigest } from '../oci/digest.js';
import { buildRecord, type BuildRecord } from '../store/builds.js';
import { storedExport, type Exported } from './export.js';
import type { Store } from '../store/layout.js';
import { hostOf } from '../engine/builders.js';
import { docker } from '../engine/docker.js';

/** The images a Dockerfile's stages start from (not scratch, not its own stages), deduplicated. */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const bases = new Set<string>();
  for (const from of DockerfileParser.parse(dockerfile).getFROMs()) {
    const image = from.getImage();
    if (image && image !== 'scratch' && !stages.has(image)) bases.add(image);
    const stage = from.getBuildStage();
    if (stage) stages.add(stage);
  }
  return [...bases].sort();
}

/** Where the engine's API answers plain HTTP: its unix socket, or a tcp:// endpoint without TLS. */
export type EngineApi = { socketPath: string } | { host: string; port: number };

export function engineApi(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineApi | undefined {
  if (endpoint?.startsWith('unix://')) return { socketPath: endpoint.slice('unix://'.length) };
  if (!endpoint?.startsWith('tcp://') || env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH) return undefined;
  const host = hostOf(endpoint);
  return host ? { host, port: Number(/:(\d+)\/?$/.exec(endpoint)?.[1] ?? 2375) } : undefined;
}

/** What the engine's registry says a tag points at now (GET /distribution/NAME/json). */
function distributionDigest(api: EngineApi, image: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ ...api, path: `/distribution/${image}/json`, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          const digest = (JSON.parse(Buffer.concat(chunks).toString()) as { Descriptor?: { digest?: string } })
            .Descriptor?.digest;
          resolve(typeof digest === 'string' && isDigest(digest) ? digest : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Each base image → the digest its tag points at now; undefined if any cannot be resolved.
 * `api` is engineApi's answer, asked once per run.
 */
export async function resolveBases(
  dockerfile: string,
  api: EngineApi | undefined,
): Promise<Record<string, string> | undefined> {
  const images = baseImages(dockerfile);
  // A digest-pinned base is its digest; anything else but a plain name:tag is not resolved.
  const pinned = (i: string) => /@(sha256:[a-f0-9]{64})$/.exec(i)?.[1];
  if (images.some((i) => !pinned(i) && (!/^[\w./:-]+$/.test(i) || !api))) return undefined;
  const digests = await Promise.all(images.map((i) => pinned(i) ?? distributionDigest(api!, i)));
  if (digests.some((d) => d === undefined)) return undefined;
  return Object.fromEntries(images.map((i, n) => [i, digests[n]!]));
}

/** The stored build this one would repeat, with its image ID, when the engine still has it. */
export async function unchangedBuild(
  store: Store,
  t: TargetPlan,
  planDigest: string,
  bases: Record<string, string>,
  env?: NodeJS.ProcessEnv,
): Promise<{ id: string; stored: Exported; record: BuildRecord } | undefined> {
  const out = await docker(['image', 'inspect', '--format', '{{.Id}}', t.image], { env }).catch(() => '');
  const id = out.trim();
  const stored = id ? await storedExport(store, id) : undefined;
  const record = stored && (await buildRecord(store.dir, stored.manifest.digest));
  if (
    !stored ||
    !record ||
    record.planDigest !== planDigest ||
    record.platform !== formatPlatform(t.platform) ||
    !record.bases
  )
    return undefined;
  const same = JSON.stringify(Object.entries(record.bases).sort()) === JSON.stringify(Object.entries(bases).sort());
  return same ? { id, stored, record } : undefined;
}
