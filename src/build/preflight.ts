/**
 * Checks made before any build starts, each failing with the exact fix: an engine that answers,
 * buildx, QEMU emulation registered for every platform the host cannot run natively, and every
 * Debian package the recipe names present in its suite for each architecture.
 * The host platform and the binfmt_misc directory are passed in, not read here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError, closest } from '../errors.js';
import type { BuildPlan } from '../plan/plan.js';
import { formatPlatform, platformInfo, type Platform } from '../platform/platform.js';
import type { Mirror } from '../source/mirror.js';
import { IndexUnavailable, SuiteIndex, type PackageNames } from '../source/package-index.js';
import { docker } from './docker.js';

export interface Host {
  platform: Platform;
  binfmtDir: string;
  env?: NodeJS.ProcessEnv;
}

export async function checkEngine(host: Host): Promise<{ server: string; buildx: string }> {
  let server: string;
  try {
    server = (await docker(['version', '--format', '{{.Server.Version}}'], { env: host.env })).trim();
  } catch (e) {
    const detail = (e as MabError).message.split('\n').slice(1).join(' ').trim();
    throw new MabError(
      'E_ENGINE_DOWN',
      `the Docker engine is not reachable${host.env?.DOCKER_HOST ? ` at DOCKER_HOST=${host.env.DOCKER_HOST}` : ''}: ${detail}`,
      'start it with `bash scripts/setup-host.sh` (or `dockerd &` as root), or point DOCKER_HOST at a running engine',
    );
  }
  let buildx: string;
  try {
    buildx = (await docker(['buildx', 'version'], { env: host.env })).trim();
  } catch {
    throw new MabError('E_BUILDX_MISSING', 'docker buildx is not installed', 'install it: `apt-get install -t trixie docker-buildx` (scripts/setup-host.sh does this)');
  }
  return { server, buildx };
}

/** Platforms the host runs without emulation. */
function nativeTo(host: Platform): string[] {
  const h = formatPlatform(host);
  // An amd64 variant builds natively; whether this CPU can run its smoke checks is the CPU's matter.
  if (h === 'linux/amd64') return [h, 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4', 'linux/386'];
  if (h === 'linux/arm64') return [h, 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5'];
  return [h];
}

export async function checkEmulation(platforms: Platform[], host: Host): Promise<void> {
  const missing: string[] = [];
  for (const p of platforms) {
    if (nativeTo(host.platform).includes(formatPlatform(p))) continue;
    const entry = path.join(host.binfmtDir, platformInfo(p).qemu);
    const state = await readFile(entry, 'utf8').catch(() => '');
    if (!state.startsWith('enabled')) missing.push(`${formatPlatform(p)} (${entry} ${state ? 'is disabled' : 'does not exist'})`);
  }
  if (missing.length) {
    throw new MabError(
      'E_QEMU_MISSING',
      `no QEMU emulation registered for ${missing.join(', ')}; a build for a foreign platform cannot run its RUN steps without it`,
      'install and register it: `apt-get install qemu-user-static binfmt-support && /lib/systemd/systemd-binfmt` (scripts/setup-host.sh does this), or drop the platform from --arch',
    );
  }
}

/** Where the package preflight reads Debian's indexes: the archive (mirrors apply) and its keyring. */
export interface PackageCheck {
  archive: string;
  keyring: string;
  cacheDir: string;
  mirrors: Mirror[];
}

/**
 * Every Debian package the plan installs, looked up in the suite's Packages index of each
 * architecture it is installed for, before anything is built: a name apt would not find fails
 * here, at its recipe line, with the architectures that lack it and the closest name there is.
 * Without a network and with nothing cached, the check is skipped with a note.
 */
export async function checkPackages(plan: BuildPlan, buildPlatform: Platform, check: PackageCheck, log: (m: string) => void): Promise<void> {
  const started = Date.now();
  const suite = /^debian:([a-z]+)/.exec(plan.bases.build)?.[1];
  if (!suite) return log(`package preflight skipped: the build base ${plan.bases.build} is not a Debian suite`);
  const buildArch = platformInfo(buildPlatform).debian;
  // arch → name → where the recipe names it
  const wanted = new Map<string, Map<string, string | undefined>>();
  for (const t of plan.targets) {
    for (const p of t.packages) {
      const arch = p.arch ?? buildArch;
      if (!wanted.has(arch)) wanted.set(arch, new Map());
      wanted.get(arch)!.set(p.name, p.at);
    }
  }
  if (wanted.size === 0) return;
  let index: SuiteIndex;
  try {
    index = await SuiteIndex.open({ url: check.archive.replace(/\/+$/, ''), suite, component: 'main', keyring: check.keyring }, { cacheDir: check.cacheDir, mirrors: check.mirrors, log });
  } catch (e) {
    if (!(e instanceof IndexUnavailable)) throw e;
    return log(`package preflight skipped: ${e.message}; a missing package would show only when apt runs in the build`);
  }
  const problems = async () => {
    const found = await Promise.all([...wanted.keys()].map(async (arch) => [arch, await index.names(arch)] as const));
    return packageProblems(wanted, new Map(found), `Debian ${suite}`);
  };
  let found = await problems();
  // A name missing from an index fetched earlier may be newer than it: look again once.
  if (found.length && !index.fetchedNow) {
    await index.refresh();
    if (index.fetchedNow) found = await problems();
  }
  if (found.length) {
    throw new MabError('E_PACKAGE', `${found.length === 1 ? 'a package name' : `${found.length} package names`} in the recipe cannot be installed from Debian ${suite} (main), which the build installs from:\n  ${found.join('\n  ')}`, 'fix the names in the recipe (apt-cache search NAME, or packages.debian.org, finds the right one); --no-preflight skips this check');
  }
  log(`package preflight: every package name found in Debian ${suite} (${[...wanted].map(([arch, names]) => `${arch}: ${names.size}`).join(', ')}; index of ${index.fetchedAt.toISOString().slice(0, 10)}, ${((Date.now() - started) / 1000).toFixed(2)} s)`);
}

/** One line per missing or ambiguous name: where, what, for which architectures, and a suggestion. */
export function packageProblems(wanted: Map<string, Map<string, string | undefined>>, indexes: Map<string, PackageNames | undefined>, suite: string): string[] {
  const lines: string[] = [];
  for (const arch of wanted.keys()) if (!indexes.get(arch)) lines.push(`${suite} has no package index for ${arch}: pick platforms it supports`);
  const byName = new Map<string, { at?: string; missing: string[]; having: string[]; virtual?: string[] }>();
  for (const [arch, names] of wanted) {
    const index = indexes.get(arch);
    if (!index) continue;
    for (const [name, at] of names) {
      const entry = byName.get(name) ?? { missing: [], having: [], ...(at ? { at } : {}) };
      byName.set(name, entry);
      const providers = index.provided.get(name);
      if (index.real.has(name) || providers?.length === 1) entry.having.push(arch);
      else if (providers) entry.virtual = providers;
      else entry.missing.push(arch);
    }
  }
  for (const [name, e] of byName) {
    const where = e.at ? `${e.at}: ` : '';
    if (e.virtual) lines.push(`${where}${name} is a virtual package, provided by ${e.virtual.slice(0, 6).join(', ')}${e.virtual.length > 6 ? ', …' : ''}: name one of them`);
    if (!e.missing.length) continue;
    const only = e.having.length ? ` (${e.having.join(', ')} ${e.having.length === 1 ? 'has' : 'have'} it: name a replacement for ${e.missing.join(', ')} under overrides:)` : '';
    const near = similarName(name, indexes.get(e.missing[0]!)!);
    lines.push(`${where}${name} is not a package for ${e.missing.join(', ')}${only}${near ? `; did you mean ${near}?` : ''}`);
  }
  return lines;
}

/** The closest real name, looking only at names whose length is near enough to be close. */
function similarName(name: string, index: PackageNames): string | undefined {
  const slack = Math.max(2, Math.floor(name.length / 3));
  return closest(name, [...index.real].filter((n) => Math.abs(n.length - name.length) <= slack));
}
