import { appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { platformFromNodeArch } from '../platform/platform.js';
import { PACKAGE_ROOT } from './root.js';
import type { Host } from '../engine/preflight.js';
import type { DebianSource } from '../pipeline/packages.js';
import { defaultCacheDir, type Io } from '../util/io.js';
import { parseMirror, type Mirror } from '../source/fetch.js';
import { MabError } from '../errors.js';
import { liveProgress } from '../progress/live.js';
import { lineProgress } from '../progress/lines.js';
import type { Progress } from '../progress/events.js';
import type { OptionSpec, Values } from './command.js';
import type { IndexFormat } from '../oci/types.js';
import type { ClientOptions } from '../registry/client.js';
import { registryTls } from '../registry/tls.js';
import { parseSecret, type BuildSecret } from '../engine/secrets.js';
import { parseCacheSpec, type CacheSpec } from '../engine/cache.js';
import type { KeyObject } from 'node:crypto';
import { readPrivateKey } from '../sign/keys.js';
import { listRecipes } from '../recipe/find.js';
import { parseLocation } from '../ref/reference.js';
import { RegistryClient } from '../registry/client.js';
import { registrySource, storeSource, type ImageSource } from '../report/source.js';
import { Store } from '../store/layout.js';

export { PACKAGE_ROOT } from './root.js';

export function recipesDir(opts: Values, io: Io): string {
  return path.resolve(
    io.cwd,
    (opts.recipes as string | undefined) ?? (io.env.MAB_RECIPES || undefined) ?? path.join(PACKAGE_ROOT, 'recipes'),
  );
}

/** The local OCI store: --store, else $MAB_STORE, else the cache dir's store/. */
export function storeDirOf(opts: Values, io: Io): string {
  return path.resolve(
    io.cwd,
    (opts.store as string | undefined) ??
      (io.env.MAB_STORE || undefined) ??
      path.join(defaultCacheDir(io.env), 'store'),
  );
}

export function hostOf(io: Io): Host {
  return {
    platform: platformFromNodeArch(process.arch),
    binfmtDir: io.env.MAB_BINFMT_DIR ?? '/proc/sys/fs/binfmt_misc',
    env: io.env,
  };
}

export function mirrorsOf(opts: Values, io: Io): Mirror[] {
  const fromEnv = (io.env.MAB_MIRRORS ?? '').split(',').filter(Boolean);
  return [...((opts.mirror as string[] | undefined) ?? []), ...fromEnv].map(parseMirror);
}

export function logger(io: Io, quiet: boolean): (msg: string) => void {
  return quiet ? () => {} : (msg) => io.err(msg + '\n');
}

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'rawjson', 'quiet'] as const;
export type ProgressMode = Exclude<(typeof PROGRESS_MODES)[number], 'auto'>;

/** --progress, as docker buildx names its modes, for the commands that build. */
export const PROGRESS_OPTION: Record<string, OptionSpec> = {
  progress: {
    type: 'string',
    value: 'MODE',
    default: 'auto',
    choices: PROGRESS_MODES,
    description:
      'auto (tty on a terminal, else plain), tty (a live line per platform: its step [n/N], command and time; an overall timer), plain (one line per event with the seconds since the start; a line per platform every 30 s while a step runs), rawjson (one JSON object per line: docs/ci.md) or quiet (as -q)',
  },
};

/** The --progress mode, with -q as quiet and -v (streaming every line) as plain unless tty is asked for. */
export function progressModeOf(opts: Values, io: Io): ProgressMode {
  const mode = String(opts.progress ?? 'auto');
  if (!(PROGRESS_MODES as readonly string[]).includes(mode))
    throw new MabError(
      'E_USAGE',
      `--progress "${mode}" is not one of ${PROGRESS_MODES.join(', ')}`,
      'e.g. --progress plain',
    );
  if (opts.quiet && mode !== 'auto' && mode !== 'quiet')
    throw new MabError('E_USAGE', `-q and --progress ${mode} say different things`, '-q is --progress quiet: keep one');
  if (opts.quiet) return 'quiet';
  if (mode === 'auto') return io.terminalColumns && !opts.verbose ? 'tty' : 'plain';
  return mode as ProgressMode;
}

/**
 * Build progress in the --progress mode. scope names the build when a command runs several
 * (mab compare: the strategy).
 */
export function buildLogger(io: Io, opts: Values, scope?: string): Progress {
  const mode = progressModeOf(opts, io);
  if (mode === 'quiet') return { log: () => {}, done: () => {} };
  if (mode === 'tty')
    return liveProgress({ write: (t) => io.err(t), columns: io.terminalColumns ?? 80, output: Boolean(opts.verbose) });
  return lineProgress({
    format: mode,
    write: (t) => io.err(t),
    output: Boolean(opts.verbose),
    heartbeatMs: opts.verbose ? 0 : 30_000,
    ...(scope ? { scope } : {}),
  });
}

/** A command's own messages beside a build's progress, in its form: stamped, or JSON lines. */
export function messageLogger(io: Io, opts: Values): (msg: string) => void {
  const mode = progressModeOf(opts, io);
  if (mode !== 'plain' && mode !== 'rawjson') return logger(io, mode === 'quiet');
  const lines = lineProgress({ format: mode, write: (t) => io.err(t), output: true, heartbeatMs: 0 });
  return (m) => lines.log(m);
}

/** --jobs: platforms built at once; by default one per core, as each build is mostly one compiler or QEMU process at a time. */
export const JOBS_OPTION = {
  type: 'string',
  value: 'N',
  description: `platforms built and exported at the same time (default: the number of cores, ${os.availableParallelism()} here)`,
} as const;

export function jobsOf(opts: Values): number {
  const n = Number(opts.jobs ?? os.availableParallelism());
  if (!Number.isInteger(n) || n < 1)
    throw new MabError('E_USAGE', `--jobs "${String(opts.jobs)}" is not a whole number of 1 or more`);
  return n;
}

/** --format of the reporting commands: text (a terminal table) or md (Markdown). */
export function reportFormatOf(opts: Values): 'text' | 'md' {
  const format = String(opts.format);
  if (format !== 'text' && format !== 'md')
    throw new MabError('E_USAGE', `--format "${format}" is not text or md`, 'use --json for JSON');
  return format;
}

/** Prints a report; Markdown also goes to a CI job summary ($GITHUB_STEP_SUMMARY) when there is one. */
export async function printReport(io: Io, format: 'text' | 'md', text: string): Promise<void> {
  io.out(text);
  if (format === 'md' && io.env.GITHUB_STEP_SUMMARY) await appendFile(io.env.GITHUB_STEP_SUMMARY, text + '\n');
}

/** --builder, for the commands that build. */
export const BUILDER_OPTION: Record<string, OptionSpec> = {
  builder: {
    type: 'string',
    value: 'PLATFORM=NAME',
    multiple: true,
    description:
      'build PLATFORM on NAME, a docker context (a remote engine: build, smoke checks and export run there) or a buildx builder (the build runs there); also $MAB_BUILDERS, comma-separated, and builders: in mab.yaml ($MAB_CONFIG)',
  },
};

/** --arch, which buildx users spell --platform: a comma-separated list of platforms. */
export function platformsOption(description: string, dflt?: string): OptionSpec {
  return { type: 'string', value: 'LIST', aliases: ['platform'], ...(dflt ? { default: dflt } : {}), description };
}

/** --secret, for the commands that build. */
export const SECRET_OPTION: Record<string, OptionSpec> = {
  secret: {
    type: 'string',
    value: 'id=ID,env=VAR|src=FILE',
    multiple: true,
    description:
      "a build secret the recipe declares (secrets:), from an environment variable or a file; build steps read it as /run/secrets/ID, and it is kept out of the image, its history and mab's output",
  },
};

export function secretsOf(opts: Values, io: Io): BuildSecret[] {
  return ((opts.secret as string[] | undefined) ?? []).map((s) => parseSecret(s, io.cwd));
}

/** --cache-from / --cache-to: BuildKit's cache outside the engine, for CI runners that start empty. */
export const CACHE_OPTIONS: Record<string, OptionSpec> = {
  'cache-from': {
    type: 'string',
    value: 'SPEC',
    multiple: true,
    description:
      "read BuildKit's cache from here, as docker buildx takes it: type=registry,ref=REPO[:TAG] (or just REPO[:TAG]), type=local,src=DIR, type=gha; each platform reads its own (TAG-ARCH, DIR/ARCH, or where the spec has {arch})",
  },
  'cache-to': {
    type: 'string',
    value: 'SPEC',
    multiple: true,
    description:
      "write BuildKit's cache of each platform built: type=registry,ref=REPO[:TAG],mode=max, type=local,dest=DIR, type=gha, type=inline; all but inline need the engine's containerd image store (or a --builder); credentials for a registry cache come from docker login",
  },
};

export function cacheOf(opts: Values): { from: CacheSpec[]; to: CacheSpec[] } | undefined {
  const from = ((opts['cache-from'] as string[] | undefined) ?? []).map((s) => parseCacheSpec(s, 'cache-from'));
  const to = ((opts['cache-to'] as string[] | undefined) ?? []).map((s) => parseCacheSpec(s, 'cache-to'));
  return from.length || to.length ? { from, to } : undefined;
}

/** How every command that talks to a registry is told whom to trust. */
export const REGISTRY_OPTIONS: Record<string, OptionSpec> = {
  'ca-cert': {
    type: 'string',
    value: 'FILE',
    multiple: true,
    description:
      "trust this CA certificate (PEM) for the registry, beside the system's CAs and Docker's /etc/docker/certs.d/REGISTRY/*.crt",
  },
  'insecure-registry': {
    type: 'string',
    value: 'REGISTRY',
    multiple: true,
    description:
      'do not check the certificate of this registry (HOST or HOST:PORT), and use plain HTTP if it speaks no TLS; for registries you control only',
  },
};

/** A registry client's options from REGISTRY_OPTIONS (with a warning for an insecure registry), logging its retries. */
export async function registryOptions(
  registry: string,
  opts: Values,
  io: Io,
  log: (m: string) => void,
): Promise<ClientOptions> {
  const tls = await registryTls(registry, {
    caFiles: opts['ca-cert'] as string[] | undefined,
    insecure: opts['insecure-registry'] as string[] | undefined,
  });
  if (tls.insecure)
    log(
      `warning: registry ${registry} is marked insecure: its certificate is not checked, and plain HTTP is used if it speaks no TLS`,
    );
  return { env: io.env, tls, onRetry: (m) => log(`retry: ${m}`) };
}

/** --sign, for the commands that push. */
export const SIGN_OPTION: Record<string, OptionSpec> = {
  sign: {
    type: 'string',
    value: 'KEY',
    description:
      "after the push, sign the index and each platform manifest with this private key, as mab sign --recursive does (cosign's format, cosign verify checks it; the key's password from $COSIGN_PASSWORD); the key is read before anything is built or pushed",
  },
};

/** A signing key named on the command line, read (and its password checked) before any work starts. */
export function signingKeyOf(file: unknown, io: Io): Promise<KeyObject> {
  return readPrivateKey(path.resolve(io.cwd, String(file)), io.env);
}

/** The package preflight, for the commands that build. */
export const PREFLIGHT_OPTIONS: Record<string, OptionSpec> = {
  'no-preflight': {
    type: 'boolean',
    description:
      "skip checking, before the build, that every Debian package the recipe names is in its suite for each platform (the check reads Debian's signed package indexes, cached; a --mirror for http://deb.debian.org/debian/ applies)",
  },
  'debian-keyring': {
    type: 'string',
    value: 'FILE',
    description:
      "keyring that must have signed the Debian suite's InRelease (default: $MAB_DEBIAN_KEYRING, else /usr/share/keyrings/debian-archive-keyring.gpg); for a mirror signed with its own key",
  },
};

/** Where Debian's indexes come from, and whether the package preflight runs (ExecuteOptions). */
export function debianOf(
  opts: Values,
  io: Io,
  cacheDir: string,
  mirrors: Mirror[],
): { debian: DebianSource; preflight: boolean } {
  const keyring =
    (opts['debian-keyring'] as string | undefined) ??
    (io.env.MAB_DEBIAN_KEYRING || undefined) ??
    '/usr/share/keyrings/debian-archive-keyring.gpg';
  return {
    debian: { archive: 'http://deb.debian.org/debian', keyring: path.resolve(io.cwd, keyring), cacheDir, mirrors },
    preflight: !opts['no-preflight'],
  };
}

/** Options several commands take, declared once (a command spreads the ones it takes). */
export const SHARED_OPTIONS = {
  store: {
    type: 'string',
    value: 'DIR',
    description:
      "the local OCI store (default: $MAB_STORE, else the cache dir's store/); skopeo reads it as oci:DIR:TAG",
  },
  cache: {
    type: 'string',
    value: 'DIR',
    description:
      'cache for sources, Debian package indexes and base rootfs tarballs (default: $MAB_CACHE or ~/.cache/mab)',
  },
  mirror: {
    type: 'string',
    value: 'PREFIX=REPLACEMENT',
    multiple: true,
    description:
      'fetch files whose URL starts with PREFIX from REPLACEMENT (a URL or local directory); also $MAB_MIRRORS, comma-separated',
  },
  quiet: { type: 'boolean', short: 'q', description: 'no progress on stderr' },
} as const satisfies Record<string, OptionSpec>;

export const INDEX_FORMATS = ['docker', 'oci'] as const;

/**
 * --sbom and --provenance as buildx spells them (--sbom=false), on by default where declared:
 * what each image's attestation manifest holds (pipeline/attest.ts).
 */
export const ATTEST_OPTIONS: Record<string, OptionSpec> = {
  sbom: {
    type: 'string',
    value: 'BOOL',
    default: 'true',
    choices: ['true', 'false'],
    description:
      "an SPDX 2.3 SBOM per platform, from the image's own packages, stored beside it and pushed in the OCI index (imagetools inspect --format '{{json .SBOM}}' reads it)",
  },
  provenance: {
    type: 'string',
    value: 'BOOL',
    default: 'true',
    choices: ['true', 'false'],
    description:
      'SLSA v1 provenance per platform (recipe, strategy, base digests, pinned sources, builder, times; never secret values), stored and pushed as the SBOM is',
  },
};

/** What --sbom and --provenance ask for; none where the command does not declare them. */
export function attestKindsOf(opts: Values): { sbom: boolean; provenance: boolean } {
  for (const k of ['sbom', 'provenance'])
    if (opts[k] !== undefined && opts[k] !== 'true' && opts[k] !== 'false')
      throw new MabError(
        'E_USAGE',
        `--${k} "${String(opts[k])}" is not true or false`,
        `e.g. --${k}=false to leave it out`,
      );
  return { sbom: opts.sbom === 'true', provenance: opts.provenance === 'true' };
}

/** --index-format, checked in one place. */
export function indexFormatOf(value: unknown): IndexFormat | undefined {
  if (value === undefined) return undefined;
  if (value !== 'docker' && value !== 'oci')
    throw new MabError(
      'E_USAGE',
      `--index-format "${String(value)}" is not docker or oci`,
      'docker (manifest list v2, for old engines) or oci (image index)',
    );
  return value;
}

/**
 * TARGET: with a '/', a registry reference; otherwise a store tag, where a bare name means its
 * latest build (RECIPE:latest).
 */
/** TARGET: a registry reference or a store tag, a bare name meaning its latest build (parseLocation). */
export async function imageSourceOf(target: string, opts: Values, io: Io): Promise<ImageSource> {
  const location = parseLocation(target, { defaultTag: 'latest' });
  if ('registry' in location) {
    const ref = location.registry;
    return registrySource(
      new RegistryClient(ref.registry, await registryOptions(ref.registry, opts, io, logger(io, false))),
      ref.repository,
      ref.digest ?? ref.tag!,
    );
  }
  const dir = storeDirOf(opts, io);
  const store = await Store.open(dir);
  const tag = location.store;
  if (!(await store.resolve(tag)) && (await listRecipes(recipesDir(opts, io))).includes(target)) {
    throw new MabError(
      'E_REPORT_TARGET',
      `recipe ${target} has no build in the store ${dir}`,
      `build it first: mab build ${target}`,
    );
  }
  return storeSource(store, tag);
}
