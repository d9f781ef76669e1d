/**
 * BuildKit cache outside the engine, for CI runners that start empty: `--cache-from` and
 * `--cache-to` as docker buildx takes them (`type=registry,ref=…`, `type=local,dest=…`,
 * `type=gha`, `type=inline`, or a bare reference for type=registry).
 *
 * mab builds each platform on its own, so one cache location per platform: the registry ref's
 * tag, a local directory and a gha scope get the platform's slug (`…:buildcache-arm64`,
 * `DIR/arm64`, `buildkit-arm64`); otherwise the platforms would overwrite each other's cache.
 * Where the location has `{arch}`, the slug goes there instead (an inline cache is read from the
 * platform's own image: `ref=registry.example.org/app:1.0-{arch}` with `--tag '{version}-{arch}'`).
 */
import { MabError } from '../errors.js';
import { parseReference } from '../ref/reference.js';
import { docker } from './docker.js';

export interface CacheSpec {
  type: string;
  attrs: Record<string, string>;
  /** As the user wrote it, for messages. */
  text: string;
}

const TYPES = ['registry', 'local', 'gha', 'inline', 's3', 'azblob'];

export function parseCacheSpec(text: string, flag: 'cache-from' | 'cache-to'): CacheSpec {
  const bad = (why: string) =>
    new MabError(
      'E_USAGE',
      `--${flag} "${text}": ${why}`,
      `write it as docker buildx does, e.g. --${flag} type=registry,ref=registry.example.org/team/app-cache${flag === 'cache-to' ? ',mode=max' : ''}`,
    );
  // A bare reference means type=registry (buildx's shorthand).
  if (!text.includes('=')) return parseCacheSpec(`type=registry,ref=${text}`, flag);
  const attrs: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) throw bad(`"${part}" is not KEY=VALUE`);
    attrs[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const { type, ...rest } = attrs;
  if (!type) throw bad('no type=');
  if (!TYPES.includes(type)) throw bad(`unknown type "${type}" (${TYPES.join(', ')})`);
  if (type === 'registry') {
    if (!rest.ref) throw bad('type=registry needs ref=REPOSITORY[:TAG]');
    const ref = parseReference(rest.ref.replaceAll('{arch}', 'amd64'));
    if (ref.digest) throw bad('a cache is written under a tag, not a digest');
  }
  if (type === 'local' && !rest[flag === 'cache-to' ? 'dest' : 'src'])
    throw bad(`type=local needs ${flag === 'cache-to' ? 'dest' : 'src'}=DIRECTORY`);
  if (type === 'inline' && flag === 'cache-from') throw bad('an inline cache is read with type=registry,ref=IMAGE');
  return { type, attrs: rest, text };
}

/** The spec for one platform's build, its location made that platform's own. */
export function forPlatform(spec: CacheSpec, slug: string): CacheSpec {
  const attrs = { ...spec.attrs };
  const placed = ['ref', 'src', 'dest', 'scope'].filter((k) => attrs[k]?.includes('{arch}'));
  for (const k of placed) attrs[k] = attrs[k]!.replaceAll('{arch}', slug);
  if (placed.length) return { ...spec, attrs };
  if (spec.type === 'registry') {
    const ref = parseReference(attrs.ref!);
    attrs.ref = `${ref.registry}/${ref.repository}:${ref.tag ?? 'buildcache'}-${slug}`;
  } else if (spec.type === 'local') {
    for (const key of ['src', 'dest'] as const)
      if (attrs[key]) attrs[key] = `${attrs[key].replace(/\/+$/, '')}/${slug}`;
  } else if (spec.type === 'gha' || spec.type === 's3' || spec.type === 'azblob') {
    attrs.scope = `${attrs.scope ?? 'buildkit'}-${slug}`;
  }
  return { ...spec, attrs };
}

/** buildx arguments for one platform. */
export function cacheArgs(o: { from?: CacheSpec[]; to?: CacheSpec[] }, slug: string): string[] {
  const write = (s: CacheSpec) =>
    [`type=${s.type}`, ...Object.entries(forPlatform(s, slug).attrs).map(([k, v]) => `${k}=${v}`)].join(',');
  return [
    ...(o.from ?? []).flatMap((s) => ['--cache-from', write(s)]),
    ...(o.to ?? []).flatMap((s) => ['--cache-to', write(s)]),
  ];
}

/**
 * An engine's own builder (buildx's docker driver) writes an inline cache always, any other only
 * with the containerd image store (Engine 24+, the default from 29): refused before any build
 * rather than after the first platform's, with the ways out.
 */
export async function checkCacheExport(to: CacheSpec[], env?: NodeJS.ProcessEnv): Promise<void> {
  const needing = to.filter((s) => s.type !== 'inline');
  if (!needing.length) return;
  const status = await docker(['info', '--format', '{{json .DriverStatus}}'], { env });
  if (status.includes('io.containerd.snapshotter')) return;
  throw new MabError(
    'E_CACHE_UNSUPPORTED',
    `--cache-to ${needing[0]!.text}: this engine keeps images in its own layer store (not the containerd image store), and its builder then writes only inline caches`,
    'use --cache-to type=inline (read back with --cache-from type=registry,ref=IMAGE), enable the containerd image store ("features": {"containerd-snapshotter": true} in daemon.json), or build on a buildx builder with --builder',
  );
}
