/**
 * The Debian suite a plan's build stage installs from, and what mab checks and takes from it
 * before building: every package name the plan installs (the package preflight), and the helper
 * shell of smoke checks (src/source/smoke-shell.ts).
 */
import { MabError, closest } from '../errors.js';
import type { BuildPlan } from '../plan/plan.js';
import { platformInfo, type Platform } from '../platform/platform.js';
import type { Mirror } from '../source/mirror.js';
import { IndexUnavailable, SuiteIndex, type PackageNames } from '../source/package-index.js';

/** Where Debian's indexes are read: the archive (mirrors apply) and the keyring that signs it. */
export interface DebianSource {
  archive: string;
  keyring: string;
  cacheDir: string;
  mirrors: Mirror[];
}

/** The suite the plan's build base is (debian:SUITE), opened; a string says why there is none. */
export async function openSuite(
  plan: BuildPlan,
  source: DebianSource,
  log: (m: string) => void,
): Promise<SuiteIndex | string> {
  const suite = /^debian:([a-z]+)/.exec(plan.bases.build)?.[1];
  if (!suite) return `the build base ${plan.bases.build} is not a Debian suite`;
  try {
    return await SuiteIndex.open(
      { url: source.archive.replace(/\/+$/, ''), suite, component: 'main', keyring: source.keyring },
      { cacheDir: source.cacheDir, mirrors: source.mirrors, log },
    );
  } catch (e) {
    if (e instanceof IndexUnavailable) return e.message;
    throw e;
  }
}

/**
 * Every Debian package the plan installs, looked up in the suite's Packages index of each
 * architecture it is installed for, before anything is built: a name apt would not find fails
 * here, at its recipe line, with the architectures that lack it and the closest name there is.
 * Without a network and with nothing cached, the check is skipped with a note.
 */
export async function checkPackages(
  plan: BuildPlan,
  buildPlatform: Platform,
  open: () => Promise<SuiteIndex | string>,
  log: (m: string) => void,
): Promise<void> {
  const started = Date.now();
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
  const index = await open();
  if (typeof index === 'string')
    return log(`package preflight skipped: ${index}; a missing package would show only when apt runs in the build`);
  const suite = index.archive.suite;
  const counts = [...wanted].map(([arch, names]) => `${arch}: ${names.size}`).join(', ');
  const question = JSON.stringify([...wanted].map(([arch, names]) => [arch, [...names.keys()].sort()]).sort());
  if (await index.answered(question)) {
    return log(
      `package preflight: every package name found in Debian ${suite} (${counts}), as a check against this same index of ${index.fetchedAt.toISOString().slice(0, 10)} found before`,
    );
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
    throw new MabError(
      'E_PACKAGE',
      `${found.length === 1 ? 'a package name' : `${found.length} package names`} in the recipe cannot be installed from Debian ${suite} (main), which the build installs from:\n  ${found.join('\n  ')}`,
      'fix the names in the recipe (apt-cache search NAME, or packages.debian.org, finds the right one); --no-preflight skips this check',
    );
  }
  await index.remember(question);
  log(
    `package preflight: every package name found in Debian ${suite} (${counts}; index of ${index.fetchedAt.toISOString().slice(0, 10)}, ${((Date.now() - started) / 1000).toFixed(2)} s)`,
  );
}

/** One line per missing or ambiguous name: where, what, for which architectures, and a suggestion. */
export function packageProblems(
  wanted: Map<string, Map<string, string | undefined>>,
  indexes: Map<string, PackageNames | undefined>,
  suite: string,
): string[] {
  const lines: string[] = [];
  for (const arch of wanted.keys())
    if (!indexes.get(arch)) lines.push(`${suite} has no package index for ${arch}: pick platforms it supports`);
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
    if (e.virtual)
      lines.push(
        `${where}${name} is a virtual package, provided by ${e.virtual.slice(0, 6).join(', ')}${e.virtual.length > 6 ? ', …' : ''}: name one of them`,
      );
    if (!e.missing.length) continue;
    const only = e.having.length
      ? ` (${e.having.join(', ')} ${e.having.length === 1 ? 'has' : 'have'} it: name a replacement for ${e.missing.join(', ')} under overrides:)`
      : '';
    const near = similarName(name, indexes.get(e.missing[0]!)!);
    lines.push(
      `${where}${name} is not a package for ${e.missing.join(', ')}${only}${near ? `; did you mean ${near}?` : ''}`,
    );
  }
  return lines;
}

/** The closest real name, looking only at names whose length is near enough to be close. */
function similarName(name: string, index: PackageNames): string | undefined {
  const slack = Math.max(2, Math.floor(name.length / 3));
  return closest(
    name,
    [...index.real].filter((n) => Math.abs(n.length - name.length) <= slack),
  );
}
