/**
 * Which tags a publish moves. From a semantic version, as users expect of release tags:
 * 1.2.3 → 1.2.3, 1.2, 1 and latest, but a floating tag (1.2, 1, latest) moves only when this
 * version is the highest release on its line among the tags already in the repository, so
 * publishing a fix for an old line never drags `latest` backwards. Prereleases (1.3.0-rc.1) get
 * only their own tag. `--tag` templates replace the rule: {version}, {major}, {minor}, {patch},
 * {strategy}.
 */
import semver from 'semver';
import { MabError } from '../errors.js';

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** The tags to push for version, given the tags the repository already has. */
export function semverTags(version: string, existing: string[]): string[] {
  const v = semver.parse(version);
  if (!v) throw new MabError('E_TAG', `"${version}" is not a semantic version`, 'write MAJOR.MINOR.PATCH');
  if (v.prerelease.length) return [v.version];
  const releases = existing.map((t) => semver.parse(t)).filter((t): t is semver.SemVer => t !== null && t.prerelease.length === 0);
  const highest = (same: (t: semver.SemVer) => boolean) => releases.filter(same).every((t) => semver.gte(v, t));
  const tags = [v.version];
  if (highest((t) => t.major === v.major && t.minor === v.minor)) tags.push(`${v.major}.${v.minor}`);
  if (highest((t) => t.major === v.major)) tags.push(`${v.major}`);
  if (highest(() => true)) tags.push('latest');
  return tags;
}

/** Expands --tag templates; every result must be a valid tag. */
export function templateTags(templates: string[], vars: { version: string; strategy: string }): string[] {
  const v = semver.parse(vars.version);
  const values: Record<string, string> = { version: vars.version, strategy: vars.strategy, major: String(v?.major ?? ''), minor: String(v?.minor ?? ''), patch: String(v?.patch ?? '') };
  return templates.map((t) => {
    const tag = t.replace(/\{(\w+)\}/g, (m, k: string) => {
      if (!(k in values)) throw new MabError('E_TAG', `--tag "${t}": unknown placeholder {${k}}`, `use ${Object.keys(values).map((x) => `{${x}}`).join(', ')}`);
      return values[k]!;
    });
    if (!TAG_RE.test(tag)) throw new MabError('E_TAG', `--tag "${t}" gives "${tag}", which is not a valid tag`, 'tags are letters, digits, ".", "_" and "-", at most 128, not starting with "." or "-"');
    return tag;
  });
}
