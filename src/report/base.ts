/**
 * The base image's layers, so a report can say which of an image's layers came with its base (and
 * are shared with every other image on that base). The base is looked up where the engine would
 * pull it: for Docker Hub names, through the engine's registry mirrors first (`docker info`), then
 * registry-1.docker.io. A base that cannot be reached is reported as unknown, never as an error.
 */
import { dockerResult } from '../engine/docker.js';
import { readTarget } from '../oci/model.js';
import { formatPlatform, samePlatform, type Platform } from '../platform/platform.js';
import { DOCKER_HUB, parseReference } from '../ref/reference.js';
import { RegistryClient } from '../registry/client.js';

export type BaseLookup = (name: string, platform: Platform) => Promise<string[] | undefined>;

/** The engine's registry mirrors, as hosts (none when the engine does not answer). */
async function engineMirrors(env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await dockerResult(['info', '--format', '{{json .RegistryConfig.Mirrors}}'], { env, timeout: 20_000 });
  try {
    return ((JSON.parse(r.stdout) as string[] | null) ?? []).map((m) => new URL(m).host);
  } catch {
    return [];
  }
}

/** A lookup of base layers (diff_ids) per platform, each base read once. */
export function baseLookup(env: NodeJS.ProcessEnv): BaseLookup {
  const cache = new Map<string, Promise<string[] | undefined>>();
  let mirrors: Promise<string[]> | undefined;
  return (name, platform) => {
    const key = `${name} ${formatPlatform(platform)}`;
    if (!cache.has(key)) {
      cache.set(
        key,
        (async () => {
          const ref = parseReference(name, { defaultTag: 'latest' });
          const hosts =
            ref.registry === DOCKER_HUB
              ? [...(await (mirrors ??= engineMirrors(env))), 'registry-1.docker.io']
              : [ref.registry];
          for (const host of hosts) {
            const found = await diffIds(
              new RegistryClient(host, { env, backoffMs: 100 }),
              ref.repository,
              ref.digest ?? ref.tag!,
              platform,
            ).catch(() => undefined);
            if (found) return found;
          }
          return undefined;
        })(),
      );
    }
    return cache.get(key)!;
  };
}

async function diffIds(
  client: RegistryClient,
  repo: string,
  reference: string,
  platform: Platform,
): Promise<string[] | undefined> {
  const t = await readTarget(client.repository(repo), reference, platform);
  // A base that is one image counts only for its own platform, like an index's entry.
  return t.images.find((i) => samePlatform(i.platform, platform))?.config.rootfs.diff_ids;
}

/** How many of an image's first layers are its base's. */
export function baseLayerCount(image: string[], base: string[]): number {
  let n = 0;
  while (n < image.length && n < base.length && image[n] === base[n]) n++;
  return n === base.length ? n : 0;
}
