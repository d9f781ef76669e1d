import path from 'node:path';
import { MabError } from '../errors.js';
import { readMetadata } from '../manifest/metadata.js';
import { mergeIndex, mergePlan } from '../manifest/merge.js';
import { perPlatform, semverTags, templateTags } from '../plan/tags.js';
import { formatFor, loadManifestSpec } from '../manifest/spec.js';
import { assembleIndex } from '../oci/index.js';
import { readTarget } from '../oci/model.js';
import { INDEX_TYPES, type Index } from '../oci/types.js';
import { formatPlatform } from '../platform/platform.js';
import { parseReference, repositoryName } from '../ref/reference.js';
import { RegistryClient } from '../registry/client.js';
import { ensureInRepo } from '../registry/copy.js';
import { publishIndex, readChild, type PublishedIndex } from '../registry/publish.js';
import { signedSummary, signPushed } from '../supply/attest.js';
import { table } from '../report/table.js';
import type { Command } from './command.js';
import {
  REGISTRY_OPTIONS,
  SIGN_OPTION,
  indexFormatOf,
  logger,
  registryOptions,
  SHARED_OPTIONS,
  INDEX_FORMATS,
  signingKeyOf,
} from './context.js';

export const manifest: Command = {
  name: 'manifest',
  args: 'push SPEC.yaml | merge METADATA... | inspect REFERENCE',
  description: [
    '`push` reads a spec (manifests/*.yaml: image, tags, format, annotations, and the',
    'per-platform images), brings every image into the target repository (blobs by cross-repository',
    "mount, else copied), checks each image's config against the platform it is listed under, and",
    'only then pushes the index under its tags. `merge` takes the files `mab build --push REPO',
    '--by-digest --metadata-file FILE` wrote on each CI runner: it checks they describe one build,',
    'that every platform manifest is in the repository and says the platform its runner built, and',
    'only then pushes the index (with the attestation manifests the runners pushed: SBOM,',
    'provenance), under --tag templates or the semver tags mab push would use.',
    '`inspect` shows an index (or a single image) as a table of platforms, or the raw JSON with',
    '--json. Credentials as for mab push.',
  ].join('\n'),
  options: {
    quiet: SHARED_OPTIONS.quiet,
    json: { type: 'boolean', description: 'push, merge: the result as JSON; inspect: the raw manifest JSON' },
    tag: {
      type: 'string',
      value: 'TEMPLATE',
      multiple: true,
      description:
        'merge: tag the index with these ({version}, {major}, {minor}, {patch}, {strategy}); default: VERSION, and MAJOR.MINOR, MAJOR and latest unless the repository has a higher release',
    },
    'index-format': {
      choices: INDEX_FORMATS,
      type: 'string',
      value: 'FORMAT',
      description: 'merge: docker (manifest list v2) or oci (image index); default: the format the runners pushed for',
    },
    ...SIGN_OPTION,
    ...REGISTRY_OPTIONS,
  },
  examples: [
    'mab manifest push manifests/sysbench.yaml',
    'mab manifest merge out/amd64.json out/arm64.json',
    'COSIGN_PASSWORD=… mab manifest merge out/*.json --sign release.key',
    'mab manifest inspect 127.0.0.1:5000/mab/sysbench:1.0.20',
  ],
  async run(args, opts, io) {
    const [action, arg] = args;
    const log = logger(io, Boolean(opts.quiet));
    if (opts.sign && action === 'inspect')
      throw new MabError('E_USAGE', '--sign is for manifest push and merge', 'leave it out of inspect');
    const signingKey = opts.sign ? await signingKeyOf(opts.sign, io) : undefined;
    // The index and every image in it, with the attestations it lists (as mab sign --recursive
    // --attestations), once the index is tagged.
    const sign = (client: RegistryClient, repo: string, published: PublishedIndex) =>
      signingKey
        ? signPushed(
            client,
            repo,
            [published.digest, ...published.children.map((c) => c.manifest.digest)],
            published.digest,
            { key: signingKey, log },
          )
        : undefined;
    if (action === 'push' && arg && args.length === 2) {
      const spec = await loadManifestSpec(arg);
      const client = new RegistryClient(
        spec.target.registry,
        await registryOptions(spec.target.registry, opts, io, log),
      );
      const repo = spec.target.repository;
      // Check every image against its listed platform (and the format) where it is now, before
      // anything is copied into the target repository.
      const sources = await Promise.all(
        spec.manifests.map((m) =>
          readChild(client, m.image.repository, {
            reference: m.image.digest ?? m.image.tag!,
            expected: m.platform,
          }),
        ),
      );
      const format = formatFor(
        spec,
        sources.map((c) => c.manifest.mediaType),
      );
      assembleIndex(
        sources.map((c, i) => ({ ...c, source: spec.manifests[i]!.source })),
        format,
      );
      const children = [];
      for (const [i, m] of spec.manifests.entries()) {
        // By the digest readChild resolved: an index listed in the spec was unwrapped to its image.
        const r = await ensureInRepo(client, { ...m.image, digest: sources[i]!.manifest.digest }, repo);
        log(
          `[${formatPlatform(m.platform)}] ${repo}@${r.digest}${m.image.repository === repo ? '' : ` (from ${m.image.repository}: ${r.blobs.mounted} blobs mounted, ${r.blobs.copied} copied, ${r.blobs.present} there)`}`,
        );
        children.push({ reference: r.digest, expected: m.platform });
      }
      const published = await publishIndex(client, repo, children, spec.tags, format, spec.annotations);
      const signing = await sign(client, repo, published);
      const ref = `${spec.target.registry}/${repo}`;
      io.out(
        opts.json
          ? JSON.stringify(
              {
                schemaVersion: 1,
                reference: ref,
                digest: published.digest,
                mediaType: published.index.mediaType,
                tags: spec.tags,
                manifests: published.index.manifests,
                ...signing,
              },
              null,
              2,
            ) + '\n'
          : `${ref}@${published.digest} tagged ${spec.tags.join(', ')} (${published.index.manifests.map((m) => formatPlatform(m.platform!)).join(', ')})${signedSummary(signing)}\n`,
      );
      return 0;
    }
    if (action === 'merge' && arg) {
      const files = await Promise.all(
        args.slice(1).map(async (file) => ({ file, metadata: await readMetadata(path.resolve(io.cwd, file)) })),
      );
      const plan = mergePlan(files);
      const ref = plan.repository;
      const format = indexFormatOf(opts['index-format']) ?? plan.format;
      const templates = (opts.tag as string[] | undefined) ?? [];
      if (templates.some(perPlatform))
        throw new MabError(
          'E_USAGE',
          "merge tags the index; an {arch} tag names one platform's manifest",
          'tag platform manifests on the runners, or use mab push',
        );
      const client = new RegistryClient(ref.registry, await registryOptions(ref.registry, opts, io, log));
      const tags = templates.length
        ? templateTags(templates, plan)
        : semverTags(plan.version, await client.listTags(ref.repository));
      const published = await mergeIndex(client, ref.repository, plan, tags, format);
      const signing = await sign(client, ref.repository, published);
      const repository = repositoryName(ref);
      for (const c of plan.children) log(`[${formatPlatform(c.platform)}] ${repository}@${c.digest} (${c.file})`);
      io.out(
        opts.json
          ? JSON.stringify(
              {
                schemaVersion: 1,
                reference: repository,
                digest: published.digest,
                mediaType: published.index.mediaType,
                tags,
                recipe: plan.recipe,
                version: plan.version,
                strategy: plan.strategy,
                manifests: published.index.manifests,
                ...signing,
              },
              null,
              2,
            ) + '\n'
          : `${repository}@${published.digest} tagged ${tags.join(', ')} (${plan.children.map((c) => formatPlatform(c.platform)).join(', ')})${signedSummary(signing)}\n`,
      );
      return 0;
    }
    if (action === 'inspect' && arg && args.length === 2) {
      const ref = parseReference(arg);
      const client = new RegistryClient(ref.registry, await registryOptions(ref.registry, opts, io, log));
      const top = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
      if (opts.json) {
        io.out(top.bytes.toString() + '\n');
        return 0;
      }
      const entries = INDEX_TYPES.includes(top.mediaType)
        ? (JSON.parse(top.bytes.toString()) as Index).manifests
        : undefined;
      const rows = entries
        ? entries.map((m) => [
            m.platform ? formatPlatform(m.platform) : '?',
            m.digest,
            String(m.size),
            m.mediaType.replace('application/vnd.', ''),
          ])
        : (await readTarget(client.repository(ref.repository), top.digest)).images.map((i) => [
            formatPlatform(i.platform),
            top.digest,
            String(top.bytes.length),
            top.mediaType.replace('application/vnd.', ''),
          ]);
      io.out(`${arg} ${top.digest} ${top.mediaType}\n${table(['PLATFORM', 'DIGEST', 'SIZE', 'TYPE'], rows)}\n`);
      return 0;
    }
    throw new MabError(
      'E_USAGE',
      'mab manifest takes push SPEC.yaml, merge METADATA... or inspect REFERENCE',
      'e.g. mab manifest push manifests/sysbench.yaml',
    );
  },
};
