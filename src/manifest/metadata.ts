/**
 * Build metadata, for split CI runners: each runner builds its platforms, pushes them by digest
 * (`mab build … --push REPO --by-digest --metadata-file out/ARCH.json`) and writes what it built;
 * the last job merges the files into one index (`mab manifest merge out/*.json`). The file is the
 * only thing the runners share besides the registry.
 *
 *   { "kind": "mab.build-metadata", "schemaVersion": 1, "recipe", "version", "strategy",
 *     "repository": "REGISTRY/REPO", "format": "docker" | "oci", "builtAt": ISO time,
 *     "platforms": [{ "platform", "digest", "size": {compressed, uncompressed, layers},
 *                     "buildSeconds", "smoke": [{name, passed, seconds}],
 *                     "attestation": the index entry of its attestation manifest (SBOM, provenance),
 *                                    pushed by digest beside it, for the merged index to list }] }
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildResult } from '../pipeline/execute.js';
import type { BuildRecord } from '../store/builds.js';
import { MabError } from '../errors.js';
import { attestationEntries } from '../oci/attestation.js';
import { isDigest } from '../oci/digest.js';
import type { Descriptor, IndexFormat } from '../oci/types.js';
import { parsePlatform, formatPlatform } from '../platform/platform.js';

export const METADATA_KIND = 'mab.build-metadata';

export interface BuildMetadata {
  kind: typeof METADATA_KIND;
  schemaVersion: 1;
  recipe: string;
  version: string;
  strategy: string;
  repository: string;
  format: IndexFormat;
  builtAt: string;
  platforms: {
    platform: string;
    digest: string;
    size?: { compressed: number; uncompressed: number; layers: number };
    buildSeconds: number;
    smoke: { name: string; passed: boolean; seconds: number }[];
    attestation?: Descriptor;
  }[];
}

export function buildMetadata(r: BuildResult, format: IndexFormat): BuildMetadata {
  if (!r.repository)
    throw new MabError(
      'E_USAGE',
      '--metadata-file describes what a push put in a registry',
      'add --push REGISTRY/REPOSITORY (with --by-digest on split runners)',
    );
  return {
    kind: METADATA_KIND,
    schemaVersion: 1,
    recipe: r.recipe,
    version: r.version,
    strategy: r.strategy,
    repository: r.repository,
    format,
    builtAt: new Date().toISOString(),
    platforms: r.platforms.map((p) => ({
      platform: p.platform,
      digest: p.manifest!,
      ...(p.size
        ? { size: { compressed: p.size.compressed, uncompressed: p.size.uncompressed, layers: p.size.layers } }
        : {}),
      buildSeconds: p.buildSeconds,
      smoke: p.smoke.map(({ name, passed, seconds }) => ({ name, passed, seconds })),
      ...(p.attestation ? { attestation: p.attestation } : {}),
    })),
  };
}

/** The build records (for reports) the metadata files hold, by platform manifest digest. */
export function metadataRecords(files: BuildMetadata[]): Map<string, BuildRecord> {
  const out = new Map<string, BuildRecord>();
  for (const m of files) {
    for (const p of m.platforms) {
      out.set(p.digest, {
        recipe: m.recipe,
        version: m.version,
        strategy: m.strategy,
        platform: p.platform,
        builtAt: m.builtAt,
        buildSeconds: p.buildSeconds,
        smoke: p.smoke,
      });
    }
  }
  return out;
}

/** Written whole or not at all (temp file, then rename), so a killed runner leaves no half file. */
export async function writeMetadata(file: string, m: BuildMetadata): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(m, null, 2) + '\n');
  await rename(tmp, file);
}

/** Reads one metadata file, refusing anything that is not one mab wrote (named, with the field). */
export async function readMetadata(file: string): Promise<BuildMetadata> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new MabError(
      'E_METADATA',
      `cannot read build metadata ${file}: ${e.code ?? e.message}`,
      'give the files mab build --metadata-file wrote',
    );
  });
  let m: Partial<BuildMetadata>;
  try {
    m = JSON.parse(text) as Partial<BuildMetadata>;
  } catch {
    throw new MabError('E_METADATA', `${file} is not JSON`, 'give the files mab build --metadata-file wrote');
  }
  const bad = (what: string) =>
    new MabError('E_METADATA', `${file}: ${what}`, 'give the files mab build --metadata-file wrote, unedited');
  if (m.kind !== METADATA_KIND) throw bad(`kind is ${JSON.stringify(m.kind)}, not "${METADATA_KIND}"`);
  if (m.schemaVersion !== 1)
    throw bad(`schemaVersion ${JSON.stringify(m.schemaVersion)} is not 1 (written by another mab version?)`);
  for (const k of ['recipe', 'version', 'strategy', 'repository'] as const)
    if (typeof m[k] !== 'string' || !m[k]) throw bad(`${k} is missing`);
  if (m.format !== 'docker' && m.format !== 'oci') throw bad('format is not docker or oci');
  if (!Array.isArray(m.platforms) || !m.platforms.length) throw bad('platforms is empty');
  for (const [i, p] of m.platforms.entries()) {
    if (!isDigest(String(p?.digest))) throw bad(`platforms[${i}].digest is not a sha256 digest`);
    // An attestation manifest about another image would put a false statement in the index.
    if (p.attestation !== undefined) {
      const a = p.attestation as unknown;
      const [found] = a && typeof a === 'object' ? attestationEntries({ manifests: [a as Descriptor] }) : [];
      if (!found || found.subject !== p.digest || !isDigest(String(p.attestation.digest)))
        throw bad(`platforms[${i}].attestation is not an attestation manifest of ${String(p.digest)}`);
    }
    try {
      p.platform = formatPlatform(parsePlatform(String(p.platform)));
    } catch {
      throw bad(`platforms[${i}].platform "${String(p?.platform)}" is not a platform`);
    }
  }
  return m as BuildMetadata;
}
