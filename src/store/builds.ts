/**
 * What mab knows about how a stored image was made, beside the image: build time, smoke results,
 * the recipe, strategy and base image. Keyed by the platform manifest's digest, so a report on a
 * store tag finds it for every platform, and a rebuild that gives the same image updates it.
 *
 *   DIR/mab/builds/HEX.json
 *
 * Written with atomicWrite: a reader sees the old record or the new one, never half of one.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { atomicWrite } from '../util/io.js';
import type { Descriptor } from '../oci/types.js';
import { recordFile } from './layout.js';

export interface BuildRecord {
  recipe: string;
  version: string;
  strategy: string;
  platform: string;
  /** ISO time the build finished. */
  builtAt: string;
  buildSeconds: number;
  smoke: { name: string; passed: boolean; seconds: number }[];
  /** The FROM of the image's last stage, as the Dockerfile names it (scratch: none). */
  base?: string;
  /** targetDigest of the plan that built it: the same digest would build the same image. */
  planDigest?: string;
  /** Each base image as the Dockerfile names it → the digest its tag pointed at for this build. */
  bases?: Record<string, string>;
  /** When the build ran: a provenance made again for the same image says the same. */
  ran?: { startedOn: string; finishedOn: string };
  /** The image's attestation manifest as the store index lists it, and the predicate types it holds. */
  attestation?: { entry: Descriptor; predicateTypes: string[] };
}

const fileOf = (storeDir: string, digest: string) => recordFile(storeDir, 'builds', digest);

export async function recordBuild(storeDir: string, manifestDigest: string, record: BuildRecord): Promise<void> {
  await atomicWrite(fileOf(storeDir, manifestDigest), (tmp) => writeFile(tmp, JSON.stringify(record, null, 2) + '\n'));
}

export async function buildRecord(storeDir: string, manifestDigest: string): Promise<BuildRecord | undefined> {
  const text = await readFile(fileOf(storeDir, manifestDigest), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as BuildRecord;
  } catch {
    return undefined;
  }
}
