import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError } from '../errors.js';
import { verifyRebuild, type RebuildResult } from '../pipeline/rebuild.js';
import { STRATEGY_NAMES } from '../recipe/types.js';
import { INDEX_TYPES, type Index } from '../oci/types.js';
import { sha256Digest } from '../oci/digest.js';
import { formatReference, parseReference, type Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { attestationCheck, type BuiltAs, type ExpectedBuild } from '../supply/attestation-check.js';
import { sourceDescriptor } from '../supply/provenance.js';
import { formatDiff } from '../report/image-diff.js';
import { readPublicKey } from '../sign/keys.js';
import { signatureCheck } from '../supply/signature-check.js';
import { failures, formatVerifyReport, verifyReference, type Check, type VerifyReport } from '../supply/verify.js';
import { defaultCacheDir, type Io } from '../util/io.js';
import type { Command, Values } from './command.js';
import {
  JOBS_OPTION,
  PREFLIGHT_OPTIONS,
  REGISTRY_OPTIONS,
  SECRET_OPTION,
  SHARED_OPTIONS,
  buildLogger,
  debianOf,
  hostOf,
  imageSourceOf,
  jobsOf,
  logger,
  mirrorsOf,
  secretsOf,
} from './context.js';
import { CREDENTIAL_OPTIONS, registryClientOf } from './push.js';
import { PLAN_OPTIONS, resolvePlan } from './resolve.js';

const [strategy, recipes, templates, label] = [
  PLAN_OPTIONS.strategy!,
  PLAN_OPTIONS.recipes!,
  PLAN_OPTIONS.templates!,
  PLAN_OPTIONS.label!,
];

export const verify: Command = {
  name: 'verify',
  args: 'REF',
  description: [
    'Checks an image or index and exits 0 only when every check asked for passes.',
    "--key: the signature check, on a registry reference. The digest's sha256-HEX.sig manifest",
    '(written by mab sign or cosign sign) must hold at least one signature that the public key verifies',
    'over a simple-signing payload naming this digest and this repository. Every signature is reported',
    '(valid, another key, another image); a failure names what failed. Keyless (Fulcio) signatures are',
    'checked only as signatures by the given key, and no transparency log is asked.',
    '--rebuild: REF may also be a store tag (sysbench:1.0.20, or a recipe for its latest build). Builds',
    "REF's recipe again from clean caches (every step run, a store of its own), with REF's version,",
    "strategy, platforms and SOURCE_DATE_EPOCH (its created label), and compares each platform's",
    "manifest digest with REF's. Where one differs, it names what does: the config fields, and layer",
    'by layer each file whose content, mode, owner, time or link differs and each path only one of them',
    'has. The rebuilt images stay in the engine as mab/RECIPE:…-rebuild. See docs/supply-chain.md.',
    'Credentials as for mab push.',
  ].join('\n'),
  options: {
    key: {
      type: 'string',
      value: 'FILE',
      description: 'public key (cosign.pub, a PEM "PUBLIC KEY", ECDSA P-256) the signature must verify with',
    },
    recursive: { type: 'boolean', short: 'r', description: 'also check each image an index lists' },
    'any-repository': {
      type: 'boolean',
      description:
        'accept a payload that names another repository (an image copied with its signatures, as cosign verify does)',
    },
    attestations: {
      type: 'boolean',
      description:
        'check that the index carries, for each image, an SBOM and a SLSA provenance statement about that image',
    },
    recipe: {
      type: 'string',
      value: 'NAME|FILE',
      description:
        "with --attestations (implied): the provenance must name this recipe's bytes, its pinned sources and artifacts with their checksums, and its base images",
    },
    rebuild: { type: 'boolean', description: 'build REF again from its recipe and compare, file by file' },
    strategy: {
      ...strategy,
      description: `strategy of the rebuild: ${STRATEGY_NAMES.join(', ')}; default: the one REF's index names, else the recipe's default`,
    },
    recipes,
    templates,
    label: { ...label, description: `${label.description}: the --label values REF was built with` },
    'source-date-epoch': {
      type: 'string',
      value: 'SECONDS',
      description: "SOURCE_DATE_EPOCH of the rebuild (default: REF's created label, else its config's created)",
    },
    store: SHARED_OPTIONS.store,
    cache: SHARED_OPTIONS.cache,
    mirror: SHARED_OPTIONS.mirror,
    ...CREDENTIAL_OPTIONS,
    ...REGISTRY_OPTIONS,
    ...SECRET_OPTION,
    ...PREFLIGHT_OPTIONS,
    jobs: JOBS_OPTION,
    verbose: { type: 'boolean', short: 'v', description: 'stream every line of the rebuild' },
    quiet: SHARED_OPTIONS.quiet,
    json: {
      type: 'boolean',
      description:
        'print the result as JSON on stdout, also when a check fails: reference, ok, subjects (--key), rebuild (--rebuild)',
    },
  },
  examples: [
    'mab verify 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.pub',
    'mab verify 127.0.0.1:5000/mab/sysbench@sha256:… --key cosign.pub --recursive --json',
    'mab verify sysbench:1.0.20 --rebuild',
    'mab verify 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.pub --rebuild --strategy cross',
  ],
  async run(args, opts, io) {
    const [ref] = args;
    if (!ref || args.length > 1)
      throw new MabError(
        'E_USAGE',
        'mab verify takes one REF',
        'e.g. mab verify 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.pub',
      );
    const checks: Check[] = [];
    if (opts.key) {
      const file = path.resolve(io.cwd, String(opts.key));
      checks.push(
        signatureCheck(await readPublicKey(file), path.basename(file), {
          anyRepository: Boolean(opts['any-repository']),
        }),
      );
    }
    let parsed: Reference | undefined;
    let client: RegistryClient | undefined;
    const registry = async () => {
      parsed ??= parseReference(ref);
      client ??= await registryClientOf(parsed.registry, opts, io, logger(io, Boolean(opts.quiet)));
      return { parsed, client };
    };
    // The index is read once: the checks and the report are about the same digest, even if the
    // tag moves meanwhile.
    let top: Awaited<ReturnType<RegistryClient['getManifest']>> | undefined;
    if (opts.attestations || opts.recipe) {
      const { parsed: r, client: c } = await registry();
      top = await c.getManifest(r.repository, r.digest ?? r.tag ?? 'latest');
      checks.push(attestationCheck({ index: indexOf(top, r), ...(opts.recipe ? { expect: expectOf(opts, io) } : {}) }));
    }
    if (!checks.length && !opts.rebuild)
      throw new MabError(
        'E_USAGE',
        'mab verify has nothing to check',
        `give --key cosign.pub to check the signature, --attestations (or --recipe NAME) to check its SBOM and provenance, or --rebuild to build it again and compare: mab verify ${ref} --rebuild`,
      );
    let report: VerifyReport | undefined;
    if (checks.length) {
      const r = await registry();
      report = await verifyReference(r.client, r.parsed, checks, {
        recursive: Boolean(opts.recursive),
        ...(top ? { top } : {}),
      });
      if (!opts.json) io.out(formatVerifyReport(report) + '\n');
    }
    // The rebuild runs after a failed signature too: the report is whole either way.
    const rebuild = opts.rebuild ? await rebuildOf(ref, opts, io) : undefined;
    if (rebuild && !opts.json) io.out(`${formatDiff(rebuild.diffs)}\nrebuilt in ${rebuild.seconds.toFixed(0)} s\n`);
    const ok = (report?.ok ?? true) && (rebuild?.reproduced ?? true);
    if (opts.json) io.out(JSON.stringify({ schemaVersion: 1, reference: ref, ...report, ok, rebuild }, null, 2) + '\n');
    const failed = [
      ...(report && !report.ok ? failures(report) : []),
      ...(rebuild && !rebuild.reproduced
        ? [
            `rebuild: ${rebuild.diffs.filter((d) => !d.same).length} of ${rebuild.diffs.length} platforms built to another digest`,
          ]
        : []),
    ];
    if (failed.length)
      throw new MabError(
        report && !report.ok ? 'E_VERIFY' : 'E_NOT_REPRODUCED',
        `${ref}${report ? ` (${report.digest})` : ''} failed verification:\n  ${failed.join('\n  ')}`,
        [
          ...(report && !report.ok
            ? ['sign it (mab sign REF --key KEY, or cosign sign), or give the public half of the key that signed it']
            : []),
          ...(rebuild && !rebuild.reproduced
            ? ['the paths above are what differs; docs/supply-chain.md says what reproduces and why']
            : []),
        ].join('; '),
      );
    return 0;
  },
};

/** The index REF names (read as top): attestations are listed in one. */
function indexOf(top: { mediaType: string; bytes: Buffer }, ref: Reference): Index {
  if (!INDEX_TYPES.includes(top.mediaType))
    throw new MabError(
      'E_USAGE',
      `${formatReference(ref)} is a single image (${top.mediaType}): attestations are listed in an index`,
      'name the index the image was pushed in (mab build --push pushes one)',
    );
  return JSON.parse(top.bytes.toString('utf8')) as Index;
}

/** What --recipe says a provenance must name, planned for the strategy and platform it names. */
function expectOf(opts: Values, io: Io): (built: BuiltAs) => Promise<ExpectedBuild> {
  return async (built) => {
    const plan = await resolvePlan(
      String(opts.recipe),
      { ...opts, arch: built.platform, strategy: built.strategy, 'no-git-labels': true },
      io,
    );
    if (plan.recipe.name !== built.recipe)
      throw new MabError('E_VERIFY', `built from recipe ${built.recipe}, not ${plan.recipe.name}`, 'give its recipe');
    const t = plan.targets[0]!;
    return {
      recipeDigest: sha256Digest(await readFile(plan.recipe.file)),
      sources: [...t.sources, ...t.artifacts].map(sourceDescriptor),
      bases: [plan.bases.build, plan.bases.runtime].filter((b): b is string => !!b && b !== 'scratch'),
    };
  };
}

/** Builds REF's recipe again as REF's labels say it was built, and compares digests. */
async function rebuildOf(ref: string, opts: Values, io: Io): Promise<RebuildResult> {
  const source = await imageSourceOf(ref, opts, io);
  const progress = buildLogger(io, opts);
  const cacheDir = (opts.cache as string | undefined) ?? defaultCacheDir(io.env);
  const mirrors = mirrorsOf(opts, io);
  return verifyRebuild(
    source,
    (spec) =>
      resolvePlan(
        spec.recipe,
        {
          ...opts,
          arch: spec.platforms.join(','),
          strategy: (opts.strategy as string | undefined) ?? spec.strategy,
          'source-date-epoch': (opts['source-date-epoch'] as string | undefined) ?? spec.epoch?.toString(),
          // An image with no revision label was built with none: the rebuild adds none either.
          'no-git-labels': !spec.revision,
        },
        io,
      ),
    {
      host: hostOf(io),
      cacheDir,
      mirrors,
      ...debianOf(opts, io, cacheDir, mirrors),
      secrets: secretsOf(opts, io),
      jobs: jobsOf(opts),
      verbose: Boolean(opts.verbose),
      log: progress.log,
    },
  ).finally(progress.done);
}
