/**
 * `mab base debian:SUITE[-slim]`: Debian base images for every requested platform, made from
 * Debian's packages and pushed as one multi-arch index, so `FROM debian:bookworm-slim` works in
 * sites (and CI machines) that cannot reach Docker Hub.
 */
import { stat } from 'node:fs/promises';
import { MabError } from '../errors.js';
import { formatPlatform, platformInfo, type Platform } from '../platform/platform.js';
import { parseReference } from '../ref/reference.js';
import { gzipLayer } from '../oci/layer.js';
import { RegistryClient } from '../registry/client.js';
import { publishIndex, type PublishedIndex } from '../registry/publish.js';
import { atomicWrite } from '../util/io.js';
import { singleLayerImage, type BuiltImage } from './image.js';
import { debianRootfs, type SecurityMode } from './rootfs.js';
import { baseExtras, keepInSlim, rewriteRootfs } from './slim.js';

export interface BaseSpec {
  /** As given: debian:bookworm-slim */
  image: string;
  suite: string;
  slim: boolean;
}

const SUITES = ['bullseye', 'bookworm', 'trixie', 'sid'];

export function parseBaseSpec(input: string): BaseSpec {
  const ref = parseReference(input, { defaultTag: 'latest' });
  const suite = ref.tag!.replace(/-slim$/, '');
  if (ref.registry !== 'docker.io' || ref.repository !== 'library/debian' || !SUITES.includes(suite)) {
    throw new MabError(
      'E_BASE_IMAGE',
      `mab base can make Debian images only, got "${input}"`,
      `write debian:SUITE or debian:SUITE-slim with SUITE one of ${SUITES.join(', ')}`,
    );
  }
  return { image: input, suite, slim: ref.tag!.endsWith('-slim') };
}

export interface BaseOptions {
  specs: BaseSpec[];
  platforms: Platform[];
  /** REGISTRY or REGISTRY/REPO; the repository defaults to library/debian (Docker Hub's path). */
  push: string;
  cacheDir: string;
  mirror: string;
  security: SecurityMode;
  refresh: boolean;
  log: (msg: string) => void;
}

export interface BaseResult {
  image: string;
  reference: string;
  digest: string;
  platforms: {
    platform: string;
    manifest: string;
    compressedSize: number;
    uncompressedSize: number;
    uploaded: boolean;
    securityUpdates: boolean;
  }[];
}

export async function makeBaseImages(o: BaseOptions): Promise<BaseResult[]> {
  const [registry, ...repoParts] = o.push.split('/');
  const repo = repoParts.length ? repoParts.join('/') : 'library/debian';
  const client = new RegistryClient(registry!);
  const results: BaseResult[] = [];
  for (const spec of o.specs) {
    const tag = `${spec.suite}${spec.slim ? '-slim' : ''}`;
    const images: { image: BuiltImage; uploaded: boolean; security: boolean }[] = [];
    for (const platform of o.platforms) {
      const { image, security } = await buildOne(spec, platform, o);
      const uploaded =
        (await client.pushBlob(repo, image.layer.digest, image.layer.size, { path: image.layer.path })) === 'uploaded';
      await client.pushBlob(repo, image.configDigest, image.config.length, image.config);
      await client.putManifest(
        repo,
        image.manifestDigest,
        JSON.parse(image.manifest.toString()).mediaType,
        image.manifest,
      );
      o.log(
        `${formatPlatform(platform)}: ${spec.image} layer ${uploaded ? 'uploaded' : 'already in registry'} (${(image.layer.size / 1e6).toFixed(1)} MB)`,
      );
      images.push({ image, uploaded, security });
    }
    const published: PublishedIndex = await publishIndex(
      client,
      repo,
      images.map(({ image }) => ({ reference: image.manifestDigest, expected: image.platform })),
      [tag],
      'docker',
    );
    o.log(`${registry}/${repo}:${tag} → ${published.digest} (${o.platforms.map(formatPlatform).join(', ')})`);
    results.push({
      image: spec.image,
      reference: `${registry}/${repo}:${tag}`,
      digest: published.digest,
      platforms: images.map(({ image, uploaded, security }) => ({
        platform: formatPlatform(image.platform),
        manifest: image.manifestDigest,
        compressedSize: image.layer.size,
        uncompressedSize: image.layer.uncompressedSize,
        uploaded,
        securityUpdates: security,
      })),
    });
  }
  return results;
}

async function buildOne(
  spec: BaseSpec,
  platform: Platform,
  o: BaseOptions,
): Promise<{ image: BuiltImage; security: boolean }> {
  const rootfs = await debianRootfs({
    suite: spec.suite,
    platform,
    cacheDir: o.cacheDir,
    mirror: o.mirror,
    security: o.security,
    refresh: o.refresh,
    log: o.log,
  });
  const arch = platformInfo(platform).debian;
  const variantTar = rootfs.path.replace('-minbase', spec.slim ? '-slim' : '-full');
  const source = await stat(rootfs.path);
  const derived = await stat(variantTar).catch(() => undefined);
  // The rootfs tar's mtime is the image's creation time, so re-running gives identical digests.
  const created = source.mtime;
  if (!derived || derived.mtimeMs < source.mtimeMs) {
    await atomicWrite(variantTar, (tmp) =>
      rewriteRootfs(rootfs.path, tmp, spec.slim ? keepInSlim : () => true, baseExtras(spec.slim), created),
    );
  }
  const layer = await gzipLayer(variantTar, `${variantTar}.gz`);
  const createdBy = `mab base ${spec.image}: mmdebstrap --variant=minbase --architectures=${arch} ${spec.suite}${spec.slim ? ' (slim)' : ''}${rootfs.security ? '' : ' WITHOUT security suite'}`;
  return {
    image: singleLayerImage(platform, layer, created.toISOString(), createdBy, ['bash']),
    security: rootfs.security,
  };
}
