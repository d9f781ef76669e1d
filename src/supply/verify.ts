/**
 * `mab verify`: a list of checks run against each digest a reference names (the manifest it
 * names and, with `recursive`, each image of an index). A check is a function from a subject to a
 * result, so signatures, SBOMs and provenance are checked by one runner and reported alike: adding
 * a check is writing one function and listing it.
 */
import { imageEntries } from '../oci/index.js';
import { INDEX_TYPES, type Index } from '../oci/types.js';
import { formatPlatform } from '../platform/platform.js';
import type { Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';

/** One manifest to check. */
export interface Subject {
  client: RegistryClient;
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  /** The platform an index lists it under (undefined for the manifest REF names). */
  platform?: string;
}

export interface CheckResult {
  /** What was checked: "signature", later "sbom", "provenance". */
  check: string;
  ok: boolean;
  /** One line: what passed, or what failed. */
  summary: string;
  /** What a JSON reader needs to see why (per-signature results, …). */
  details?: unknown;
}

export type Check = (subject: Subject) => Promise<CheckResult>;

export interface VerifyReport {
  /** REGISTRY/REPOSITORY[:TAG] as given. */
  reference: string;
  repository: string;
  /** The digest the reference names. */
  digest: string;
  ok: boolean;
  subjects: { digest: string; mediaType: string; platform?: string; checks: CheckResult[] }[];
}

/** Runs every check on every subject of ref; none stops the others, so the report is whole. */
export async function verifyReference(
  client: RegistryClient,
  ref: Reference,
  checks: Check[],
  /** top: the manifest REF names, when the caller has read it already (one read, one digest). */
  o: { recursive?: boolean; top?: Awaited<ReturnType<RegistryClient['getManifest']>> } = {},
): Promise<VerifyReport> {
  const top = o.top ?? (await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest'));
  const base = { client, registry: client.registry, repository: ref.repository };
  const subjects: Subject[] = [{ ...base, digest: top.digest, mediaType: top.mediaType }];
  if (o.recursive && INDEX_TYPES.includes(top.mediaType))
    for (const e of imageEntries(JSON.parse(top.bytes.toString('utf8')) as Index))
      subjects.push({
        ...base,
        digest: e.digest,
        mediaType: e.mediaType,
        ...(e.platform ? { platform: formatPlatform(e.platform) } : {}),
      });
  const report: VerifyReport['subjects'] = [];
  for (const s of subjects) {
    const results: CheckResult[] = [];
    for (const check of checks) results.push(await check(s));
    report.push({
      digest: s.digest,
      mediaType: s.mediaType,
      ...(s.platform ? { platform: s.platform } : {}),
      checks: results,
    });
  }
  const repository = `${client.registry}/${ref.repository}`;
  return {
    reference: `${repository}${ref.tag ? `:${ref.tag}` : ''}`,
    repository,
    digest: top.digest,
    ok: report.every((s) => s.checks.every((c) => c.ok)),
    subjects: report,
  };
}

/** The report as lines: each subject, then one line per check. */
export function formatVerifyReport(r: VerifyReport): string {
  const lines: string[] = [];
  for (const s of r.subjects) {
    lines.push(`${r.repository}@${s.digest}${s.platform ? ` (${s.platform})` : ''}`);
    const width = Math.max(...s.checks.map((c) => c.check.length));
    for (const c of s.checks) lines.push(`  ${c.check.padEnd(width)}  ${c.ok ? 'ok    ' : 'FAILED'}  ${c.summary}`);
  }
  return lines.join('\n');
}

/** What failed, one line each, for the error that ends a failed verification. */
export function failures(r: VerifyReport): string[] {
  return r.subjects.flatMap((s) =>
    s.checks.filter((c) => !c.ok).map((c) => `${c.check} of ${s.platform ?? s.digest}: ${c.summary}`),
  );
}
