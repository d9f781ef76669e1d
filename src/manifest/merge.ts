/**
 * The merge step of split CI runners: build metadata files (metadata.ts) from several runners
 * become one index. Everything is checked before anything is written: the files must describe
 * one recipe version, one strategy and one repository, no platform twice, and every platform
 * manifest must be in the repository with a config that says that platform. Only then is the
 * index pushed under its tags. An OCI index lists each image's attestation manifest (SBOM,
 * provenance) that its runner pushed beside it, as `mab build --push` would have.
 */
import { MabError } from '../errors.js';
import type { Descriptor, IndexFormat } from '../oci/types.js';
import { formatPlatform, parsePlatform, samePlatform, type Platform } from '../platform/platform.js';
import { parseReference, repositoryName, type Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { publishIndex, type PublishedIndex } from '../registry/publish.js';
import type { BuildMetadata } from './metadata.js';

export interface MergePlan {
  recipe: string;
  version: string;
  strategy: string;
  /** Where the runners pushed. */
  repository: Reference;
  format: IndexFormat;
  children: { platform: Platform; digest: string; file: string; attestation?: Descriptor }[];
}

/** What the files agree on, or an error naming the files that disagree. */
export function mergePlan(files: { file: string; metadata: BuildMetadata }[]): MergePlan {
  if (!files.length)
    throw new MabError(
      'E_USAGE',
      'mab manifest merge needs at least one metadata file',
      'e.g. mab manifest merge out/*.json',
    );
  const first = files[0]!;
  for (const key of ['repository', 'recipe', 'version', 'strategy', 'format'] as const) {
    const other = files.find((f) => f.metadata[key] !== first.metadata[key]);
    if (other) {
      throw new MabError(
        'E_MERGE',
        `${first.file} and ${other.file} disagree on ${key} (${first.metadata[key]} / ${other.metadata[key]})`,
        'merge only the metadata of one build: same recipe version, strategy, repository and --index-format on every runner',
      );
    }
  }
  const children: MergePlan['children'] = [];
  for (const { file, metadata } of files) {
    for (const p of metadata.platforms) {
      const platform = parsePlatform(p.platform);
      const twice = children.find((c) => samePlatform(c.platform, platform));
      if (twice)
        throw new MabError(
          'E_MERGE',
          `${p.platform} is in both ${twice.file} and ${file}`,
          'each platform is built by one runner; drop one of the files',
        );
      children.push({ platform, digest: p.digest, file, ...(p.attestation ? { attestation: p.attestation } : {}) });
    }
  }
  const { recipe, version, strategy, repository, format } = first.metadata;
  return { recipe, version, strategy, repository: parseReference(repository), format, children };
}

/**
 * Confirms every child is in the repository (all missing ones are named at once, and nothing is
 * tagged), then publishes the index, which reads each child's config and refuses one whose
 * platform is not the one its runner said.
 */
export async function mergeIndex(
  client: RegistryClient,
  repo: string,
  plan: MergePlan,
  tags: string[],
  format: IndexFormat,
): Promise<PublishedIndex> {
  const attestations = format === 'oci' ? plan.children.flatMap((c) => (c.attestation ? [c.attestation] : [])) : [];
  const missing = [];
  for (const c of plan.children) {
    if (!(await client.headManifest(repo, c.digest)))
      missing.push(`${formatPlatform(c.platform)} ${c.digest} (${c.file})`);
    if (format === 'oci' && c.attestation && !(await client.headManifest(repo, c.attestation.digest)))
      missing.push(`the attestations of ${formatPlatform(c.platform)}, ${c.attestation.digest} (${c.file})`);
  }
  if (missing.length) {
    throw new MabError(
      'E_MERGE_CHILD_MISSING',
      `not in ${repositoryName(plan.repository)}: ${missing.join('; ')}; nothing was tagged`,
      'the runner that built it did not finish its push; run it again, then merge',
    );
  }
  return publishIndex(
    client,
    repo,
    plan.children.map((c) => ({ reference: c.digest, expected: c.platform })),
    tags,
    format,
    undefined,
    attestations,
  );
}
