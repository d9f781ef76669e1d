import { text } from 'node:stream/consumers';
import semver from 'semver';
import { MabError } from '../errors.js';
import { perPlatform, platformTags, semverTags, templateTags } from '../plan/tags.js';
import { BUILD_ANNOTATIONS } from '../pipeline/export.js';
import { readTarget } from '../oci/model.js';
import { parseReference } from '../ref/reference.js';
import type { Credentials } from '../registry/auth.js';
import { RegistryClient } from '../registry/client.js';
import { ecrTarget, ensureEcrRepository } from '../registry/ecr.js';
import { pushFromStore, pushSummary } from '../pipeline/push.js';
import { Store } from '../store/layout.js';
import type { Command, OptionSpec, Values } from './command.js';
import type { Io } from '../util/io.js';
import {
  REGISTRY_OPTIONS,
  SIGN_OPTION,
  indexFormatOf,
  logger,
  registryOptions,
  signingKeyOf,
  storeDirOf,
  SHARED_OPTIONS,
  INDEX_FORMATS,
} from './context.js';
import { signedSummary, signPushed } from '../supply/attest.js';

/** The password from stdin (one line), as `docker login --password-stdin` reads it. */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new MabError(
      'E_USAGE',
      '--password-stdin reads the password from stdin, which is a terminal',
      'pipe it in: printf %s "$PASSWORD" | mab push … --password-stdin',
    );
  const pw = (await text(process.stdin)).replace(/\r?\n$/, '');
  if (!pw) throw new MabError('E_USAGE', '--password-stdin got an empty password');
  return pw;
}

/** --username with --password-stdin, or none (then docker's config, or ECR's token, is asked). */
export async function credentialsOf(opts: Values): Promise<Credentials | undefined> {
  if (Boolean(opts['password-stdin']) !== Boolean(opts.username))
    throw new MabError('E_USAGE', '--username and --password-stdin go together');
  return opts.username ? { username: String(opts.username), password: await passwordFromStdin() } : undefined;
}

/** --username and --password-stdin, for the commands that read or write a registry. */
export const CREDENTIAL_OPTIONS: Record<string, OptionSpec> = {
  username: { type: 'string', value: 'USER', description: 'registry user name (with --password-stdin)' },
  'password-stdin': { type: 'boolean', description: 'read the registry password from stdin' },
};

/** A client for registry with the command's credentials, CAs and trust, logging its retries. */
export async function registryClientOf(
  registry: string,
  opts: Values,
  io: Io,
  log: (m: string) => void,
): Promise<RegistryClient> {
  const credentials = await credentialsOf(opts);
  return new RegistryClient(registry, {
    ...(await registryOptions(registry, opts, io, log)),
    ...(credentials ? { credentials } : {}),
  });
}

/** Version and strategy of what a store tag holds: from its index's annotations, else the tag. */
async function buildOf(store: Store, storeTag: string): Promise<{ version: string; strategy?: string }> {
  const annotations = (await readTarget(store.repository(), storeTag)).index?.annotations ?? {};
  const strategy = annotations[BUILD_ANNOTATIONS.strategy];
  return {
    version: annotations[BUILD_ANNOTATIONS.version] ?? storeTag.slice(storeTag.lastIndexOf(':') + 1),
    ...(strategy ? { strategy } : {}),
  };
}

/** --create-repository: only ECR needs (and allows) it. */
export async function createEcrRepository(
  registry: string,
  repository: string,
  env: NodeJS.ProcessEnv,
  log: (m: string) => void,
): Promise<void> {
  const ecr = ecrTarget(registry, env);
  if (!ecr)
    throw new MabError(
      'E_USAGE',
      `--create-repository is for AWS ECR registries; ${registry} is not one`,
      'other registries create repositories on the first push',
    );
  log(`ECR repository ${repository}: ${await ensureEcrRepository(ecr, repository)}`);
}

export const push: Command = {
  name: 'push',
  args: 'STORE-TAG REFERENCE',
  description: [
    'Pushes what the store holds under STORE-TAG (e.g. sysbench:1.0.20) to REFERENCE',
    "(REGISTRY/REPOSITORY[:TAG]) with mab's own client: every blob the repository lacks (HEAD",
    'first; files of 16 MiB or more in chunks), then each platform manifest by digest, then, once',
    'every child is confirmed in the repository, the index under each tag. A blob this store once',
    'pushed to another repository of the same registry is mounted from there instead of uploaded.',
    'Byte progress per platform is logged every 2 s. Temporary failures',
    '(connection resets, 408, 429, 5xx) are retried with backoff and reported; 4xx are not.',
    "Credentials: --username with --password-stdin, else docker's config (auths, credHelpers,",
    'credsStore). Plain HTTP is used only for loopback registries.',
  ].join('\n'),
  options: {
    tag: {
      type: 'string',
      value: 'TEMPLATE',
      multiple: true,
      description:
        "tag to push under (repeatable; {version}, {major}, {minor}, {patch}, {strategy}); one with {arch} (amd64, arm64, arm-v7, …) tags each platform's own manifest instead of the index; default: the tag in REFERENCE, else, for a semantic version, VERSION plus MAJOR.MINOR, MAJOR and latest unless the repository has a higher release",
    },
    'index-format': {
      choices: INDEX_FORMATS,
      type: 'string',
      value: 'FORMAT',
      description:
        "oci (image index, with the stored images' SBOM and provenance) or docker (manifest list v2, for engines older than 20.10, without them); default: oci when the stored index has attestations, else docker",
    },
    referrers: {
      type: 'boolean',
      description:
        "also attach each image's SBOM and provenance as OCI 1.1 referrers (artifacts whose subject is the image, which oras discover lists): by the registry's referrers API, or where it has none under the sha256-DIGEST tag's index; needs the OCI index format",
    },
    store: SHARED_OPTIONS.store,
    ...CREDENTIAL_OPTIONS,
    jobs: { type: 'string', value: 'N', default: '3', description: 'blobs uploaded at once' },
    ...REGISTRY_OPTIONS,
    ...SIGN_OPTION,
    'create-repository': {
      type: 'boolean',
      description: 'AWS ECR: create the repository first if it does not exist (ECR rejects pushes to a missing one)',
    },
    quiet: SHARED_OPTIONS.quiet,
    json: { type: 'boolean', description: 'print the result as JSON on stdout' },
  },
  examples: [
    'mab push sysbench:1.0.20 127.0.0.1:5000/mab/sysbench',
    'printf %s "$TOKEN" | mab push sysbench:1.0.20 registry.example.com/edge/sysbench --username ci --password-stdin',
  ],
  async run(args, opts, io) {
    const [storeTag, target] = args;
    if (!storeTag || !target || args.length > 2)
      throw new MabError(
        'E_USAGE',
        'mab push takes STORE-TAG and REFERENCE',
        'e.g. mab push sysbench:1.0.20 127.0.0.1:5000/mab/sysbench',
      );
    const format = indexFormatOf(opts['index-format']);
    const signingKey = opts.sign ? await signingKeyOf(opts.sign, io) : undefined;
    const ref = parseReference(target);
    if (ref.digest)
      throw new MabError('E_USAGE', `cannot push to a digest (${target})`, 'give a repository, optionally with :TAG');
    const dir = storeDirOf(opts, io);
    const log = logger(io, Boolean(opts.quiet));
    const client = await registryClientOf(ref.registry, opts, io, log);
    if (opts['create-repository']) await createEcrRepository(ref.registry, ref.repository, io.env, log);
    const store = await Store.open(dir);
    const vars = await buildOf(store, storeTag);
    const templates = (opts.tag as string[] | undefined) ?? [];
    const forIndex = templates.filter((t) => !perPlatform(t));
    const { version } = vars;
    const tags = forIndex.length
      ? templateTags(forIndex, vars)
      : ref.tag
        ? [ref.tag]
        : semver.valid(version)
          ? semverTags(version, await client.listTags(ref.repository))
          : [version];
    const r = await pushFromStore(store, storeTag, client, ref.repository, {
      tags,
      platformTags: (platforms) => platformTags(templates, vars, platforms, tags),
      format,
      referrers: Boolean(opts.referrers),
      jobs: Math.max(1, Number(opts.jobs) || 3),
      log,
    });
    const signing = signingKey
      ? await signPushed(
          client,
          ref.repository,
          [r.digest, ...r.children.map((c) => c.digest)],
          tags.length ? r.digest : undefined,
          { key: signingKey, log },
        )
      : undefined;
    const perArch = Object.entries(r.platformTags)
      .map(([p, t]) => `; ${p} tagged ${t.join(', ')}`)
      .join('');
    const summary = `${ref.registry}/${ref.repository}@${r.digest} tagged ${tags.join(', ')}${perArch}; ${pushSummary(r)}${signedSummary(signing)}`;
    io.out(
      opts.json
        ? JSON.stringify(
            {
              schemaVersion: 1,
              reference: `${ref.registry}/${ref.repository}`,
              ...r,
              children: r.children.map(({ platform, digest }) => ({ platform, digest })),
              retries: client.retried.length,
              retried: client.retried,
              ...signing,
            },
            null,
            2,
          ) + '\n'
        : summary + '\n',
    );
    return 0;
  },
};
