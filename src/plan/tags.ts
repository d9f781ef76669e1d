/**
 * Which tags a publish moves. From a semantic version, as users expect of release tags:
 * 1.2.3 → 1.2.3, 1.2, 1 and latest, but a floating tag (1.2, 1, latest) moves only when this
 * version is the highest release on its line among the tags already in the repository, so
 * publishing a fix for an old line never drags `latest` backwards. Prereleases (1.3.0-rc.1) get
 * only their own tag. `--tag` templates replace the rule: {version}, {major}, {minor}, {patch},
 * {strategy}. A template with {arch} (the platform's slug: amd64, arm64, arm-v7, amd64-v3) is a
 * per-platform tag: it names each platform's own manifest, for boards whose tooling cannot read an
 * index, while the other templates (or, with none, the semver rule) name the index.
 */
import semver from 'semver';
import { MabError } from '../errors.js';
import { formatPlatform, platformSlug, type Platform } from '../platform/platform.js';

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** The tags to push for version, given the tags the repository already has. */
export function semverTags(version: string, existing: string[]): string[] {
  const v = semver.parse(version);
  if (!v) throw new MabError('E_TAG', `"${version}" is not a semantic version`, 'write MAJOR.MINOR.PATCH');
  if (v.prerelease.length) return [v.version];
  const releases = existing
    .map((t) => semver.parse(t))
    .filter((t): t is semver.SemVer => t !== null && t.prerelease.length === 0);
  const highest = (same: (t: semver.SemVer) => boolean) => releases.filter(same).every((t) => semver.gte(v, t));
  const tags = [v.version];
  if (highest((t) => t.major === v.major && t.minor === v.minor)) tags.push(`${v.major}.${v.minor}`);
  if (highest((t) => t.major === v.major)) tags.push(`${v.major}`);
  if (highest(() => true)) tags.push('latest');
  return tags;
}

/** Whether a --tag template names each platform's manifest rather than the index. */
export const perPlatform = (template: string) => template.includes('{arch}');

/** Expands --tag templates; every result must be a valid tag. {arch} only when vars has one. */
export function templateTags(
  templates: string[],
  vars: { version: string; strategy?: string; arch?: string },
): string[] {
  const v = semver.parse(vars.version);
  const values: Record<string, string> = {
    version: vars.version,
    ...(vars.strategy ? { strategy: vars.strategy } : {}),
    major: String(v?.major ?? ''),
    minor: String(v?.minor ?? ''),
    patch: String(v?.patch ?? ''),
    ...(vars.arch ? { arch: vars.arch } : {}),
  };
  return templates.map((t) => {
    const tag = t.replace(/\{(\w+)\}/g, (m, k: string) => {
      if (!(k in values))
        throw new MabError(
          'E_TAG',
          `--tag "${t}": unknown placeholder {${k}}`,
          `use ${Object.keys(values)
            .map((x) => `{${x}}`)
            .join(', ')}`,
        );
      return values[k]!;
    });
    if (!TAG_RE.test(tag))
      throw new MabError(
        'E_TAG',
        `--tag "${t}" gives "${tag}", which is not a valid tag`,
        'tags are letters, digits, ".", "_" and "-", at most 128, not starting with "." or "-"',
      );
    return tag;
  });
}

/**
 * Per-platform tags from the {arch} templates, keyed by platform; a tag two platforms (or a
 * platform and the index) would share is refused, since the second push would move it.
 */
export function platformTags(
  templates: string[],
  vars: { version: string; strategy?: string },
  platforms: Platform[],
  indexTags: string[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const owner = new Map(indexTags.map((t) => [t, 'the index']));
  for (const p of platforms) {
    const platform = formatPlatform(p);
    out[platform] = templateTags(templates.filter(perPlatform), { ...vars, arch: platformSlug(p) });
    for (const tag of out[platform]) {
      const other = owner.get(tag);
      if (other)
        throw new MabError(
          'E_TAG',
          `tag "${tag}" would name both ${other} and ${platform}`,
          'per-platform --tag templates need {arch}; index templates must not give the same tag',
        );
      owner.set(tag, platform);
    }
  }
  return out;
}

/** A tag that reads as a version: v1, 1.2, 1.2.3, 1.2.3-rc.1, 1.0.20-cross, 1.2.3+build. */
const VERSION_TAG = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * The order a listing of a repository's tags should have: version tags first, by their numbers
 * (1.9 before 1.10, a shorter tag before the releases it floats over: 1, 1.0, 1.0.0), a
 * prerelease or suffixed tag before its release as semver orders them; then every other tag
 * (latest, edge, a commit) by name.
 */
export function compareTags(a: string, b: string): number {
  const va = VERSION_TAG.exec(a);
  const vb = VERSION_TAG.exec(b);
  if (!va || !vb) return va ? -1 : vb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  for (const i of [1, 2, 3]) {
    const d = Number(va[i] ?? -1) - Number(vb[i] ?? -1);
    if (d) return d;
  }
  const [pa, pb] = [va[4], vb[4]];
  if (pa !== pb) {
    if (pa === undefined) return 1;
    if (pb === undefined) return -1;
    return semver.compare(`0.0.0-${pa}`, `0.0.0-${pb}`);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export const sortTags = (tags: readonly string[]): string[] => [...tags].sort(compareTags);
