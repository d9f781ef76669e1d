/**
 * Index spec files (manifests/*.yaml): assemble a multi-arch index from images that are already
 * in a registry, e.g. an arm64 image built natively on a board next to an amd64 one from CI.
 *
 *   image: registry.example.com/edge/sysbench      # where the index goes
 *   tags: [1.0.20, latest]
 *   format: docker         # or oci (which also carries annotations); default: docker when every
 *                          # image is a Docker v2 manifest and there are no annotations, else oci
 *   annotations: { org.opencontainers.image.source: https://… }
 *   manifests:
 *     - image: registry.example.com/edge/sysbench-amd64:1.0.20
 *       platform: linux/amd64
 *     - image: registry.example.com/boards/rpi4/sysbench@sha256:…
 *       platform: linux/arm64
 *
 * Read with positions kept, like recipes: every error says file:line:col.
 */
import { readFile } from 'node:fs/promises';
import type { Node } from 'yaml';
import { MabError } from '../errors.js';
import { MediaType, type IndexFormat } from '../oci/types.js';
import { formatPlatform, type Platform } from '../platform/platform.js';
import { parseReference, type Reference } from '../ref/reference.js';
import { Reader, platformAt, seq } from '../recipe/reader.js';

export interface ManifestSpec {
  file: string;
  target: Reference;
  tags: string[];
  /** Unset: chosen from the images (formatFor). */
  format?: IndexFormat;
  annotations?: Record<string, string>;
  manifests: { image: Reference; platform: Platform; source: string }[];
}

function reference(r: Reader, node: Node | undefined, text: string): Reference {
  try {
    return parseReference(text);
  } catch (e) {
    throw r.fail(node, (e as MabError).message, (e as MabError).hint);
  }
}

export function parseManifestSpec(file: string, text: string): ManifestSpec {
  const r = new Reader(file, text, 'E_MANIFEST_SPEC');
  const top = r.map(
    r.parse(),
    'the spec',
    ['image', 'tags', 'format', 'annotations', 'manifests'],
    ['image', 'tags', 'manifests'],
  );
  const target = reference(r, r.node(top, 'image'), r.str(top, 'image', 'spec')!);
  if (target.tag || target.digest)
    throw r.fail(
      r.node(top, 'image'),
      `image "${r.str(top, 'image', 'spec')}" names a tag or digest`,
      'give the repository only; tags go in "tags:"',
    );
  const tags = r.list(top, 'tags', 'spec', /^[\w][\w.-]{0,127}$/, 'a tag (letters, digits, . _ -)');
  if (!tags.length) throw r.fail(r.node(top, 'tags'), 'tags is empty', 'list at least one tag');
  const format = r.str(top, 'format', 'spec', /^(docker|oci)$/, 'docker or oci') as IndexFormat | undefined;
  const annotations = top.has('annotations')
    ? r.stringMap(
        r.node(top, 'annotations')!,
        'annotations',
        /^[a-z0-9][a-z0-9.-]*(\.[a-z0-9-]+)+$|^[a-z0-9.-]+\/[\w.-]+$/,
        'a reverse-DNS key, e.g. org.opencontainers.image.source',
      )
    : undefined;
  if (annotations && format === 'docker')
    throw r.fail(
      r.node(top, 'annotations'),
      'a Docker manifest list has no annotations',
      'set format: oci, or drop annotations',
    );
  const seen = new Map<string, number>();
  const manifests = seq(r, r.node(top, 'manifests'), 'manifests', 'image: REF, platform: linux/arm64').map(
    (item, i) => {
      const m = r.map(item, `manifests[${i}]`, ['image', 'platform'], ['image', 'platform']);
      const imageText = r.str(m, 'image', `manifests[${i}]`)!;
      const image = reference(r, r.node(m, 'image'), imageText);
      if (image.registry !== target.registry)
        throw r.fail(
          r.node(m, 'image'),
          `${imageText} is in ${image.registry}, the index goes to ${target.registry}`,
          'an index can only name images in its own registry; copy the image there first (skopeo copy)',
        );
      if (!image.tag && !image.digest)
        throw r.fail(
          r.node(m, 'image'),
          `${imageText} has no tag or digest`,
          'pin the image: add @sha256:… (best) or :TAG',
        );
      const platform = platformAt(r, r.node(m, 'platform'), r.str(m, 'platform', `manifests[${i}]`)!);
      const prior = seen.get(formatPlatform(platform));
      if (prior !== undefined)
        throw r.fail(
          r.node(m, 'platform'),
          `${formatPlatform(platform)} is listed twice (manifests[${prior}] and manifests[${i}])`,
          'list each platform once: clients would pick one at random',
        );
      seen.set(formatPlatform(platform), i);
      return { image, platform, source: `${file}: manifests[${i}] (${imageText})` };
    },
  );
  return { file, target, tags, ...(format ? { format } : {}), ...(annotations ? { annotations } : {}), manifests };
}

export async function loadManifestSpec(file: string): Promise<ManifestSpec> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new MabError(
      'E_MANIFEST_SPEC',
      `cannot read ${file}: ${e.code ?? e.message}`,
      'give the path of a manifests/*.yaml spec',
    );
  });
  return parseManifestSpec(file, text);
}

/** The index format a spec asks for, or, unset, docker where every image allows it, else oci. */
export function formatFor(spec: Pick<ManifestSpec, 'format' | 'annotations'>, childTypes: string[]): IndexFormat {
  return (
    spec.format ?? (!spec.annotations && childTypes.every((t) => t === MediaType.DockerManifest) ? 'docker' : 'oci')
  );
}
