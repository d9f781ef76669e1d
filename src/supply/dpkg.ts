/**
 * What dpkg says is installed in an image: its status file (deb-control(5) paragraphs; only
 * packages whose Status is "install ok installed" are installed), and the licenses a package's
 * machine-readable copyright file (DEP-5, www.debian.org/doc/packaging-manuals/copyright-format/1.0/)
 * names. A copyright file in free form gives no license: it stays unknown (NOASSERTION), never
 * guessed.
 *
 * An image without a dpkg database may still record its packages as distroless images do, one
 * file per package in status.d (mab's `minimal` images do, for the files they keep): there a
 * stanza without a Status field is installed, and PACKAGE.md5sums beside it (PACKAGE:ARCH.md5sums
 * first, as syft looks) lists the package's files in the image with their MD5.
 */
export const DPKG_STATUS = 'var/lib/dpkg/status';
export const DPKG_STATUS_D = 'var/lib/dpkg/status.d';
export const copyrightPath = (pkg: string) => `usr/share/doc/${pkg}/copyright`;
/** A file directly in status.d: a package's stanza, or its md5sums. */
export const isStatusDPath = (p: string) =>
  p.startsWith(`${DPKG_STATUS_D}/`) && !p.slice(DPKG_STATUS_D.length + 1).includes('/');

const INSTALLED = 'install ok installed';

/** A file of a package, as its md5sums or Conffiles field names it: the path without a leading /. */
export interface PackageFile {
  path: string;
  /** What the package recorded (md5sums, Conffiles); none for a conffile dpkg had not yet hashed. */
  md5?: string;
}

export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package, and its version when it differs from the binary's. */
  source: string;
  sourceVersion: string;
  /** Known for a package recorded in status.d: the files its md5sums and Conffiles name. */
  files?: PackageFile[];
}

/** deb-control paragraphs: field names as written, continuation lines joined with "\n". */
export function controlParagraphs(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last: string | undefined;
    for (const line of block.split('\n')) {
      if (/^[ \t]/.test(line) && last) fields[last] += `\n${line.trim()}`;
      else {
        const colon = line.indexOf(':');
        if (colon < 1) continue;
        last = line.slice(0, colon);
        fields[last] = line.slice(colon + 1).trim();
      }
    }
    if (Object.keys(fields).length) out.push(fields);
  }
  return out;
}

export function installedPackages(status: string): DebPackage[] {
  return byName(
    controlParagraphs(status)
      .filter((p) => p.Package && p.Status === INSTALLED)
      .map(debPackage),
  );
}

/**
 * Every package an image's files (its status file and status.d, by path) say are installed; one
 * both name once, with the files status.d knows of it.
 */
export function imagePackages(files: ReadonlyMap<string, Buffer>): DebPackage[] {
  const all = new Map<string, DebPackage>();
  for (const p of [...installedPackages(files.get(DPKG_STATUS)?.toString('utf8') ?? ''), ...recordedPackages(files)]) {
    const key = `${p.name}:${p.architecture}:${p.version}`;
    const known = all.get(key);
    if (!known) all.set(key, p);
    else if (!known.files && p.files) known.files = p.files;
  }
  return byName([...all.values()]);
}

/** The packages status.d records (its stanza files and their md5sums), with their files. */
export function recordedPackages(files: ReadonlyMap<string, Buffer>): DebPackage[] {
  const out: DebPackage[] = [];
  for (const [path, body] of files) {
    if (!isStatusDPath(path) || path.endsWith('.md5sums')) continue;
    for (const p of controlParagraphs(body.toString('utf8'))) {
      if (!p.Package || (p.Status !== undefined && p.Status !== INSTALLED)) continue;
      const deb = debPackage(p);
      const md5sums =
        files.get(`${DPKG_STATUS_D}/${deb.name}:${deb.architecture}.md5sums`) ??
        files.get(`${DPKG_STATUS_D}/${deb.name}.md5sums`);
      const all = [...md5sumsFiles(md5sums?.toString('utf8') ?? ''), ...conffiles(p.Conffiles ?? '')];
      // A conffile is in no md5sums, but a hand-made record might name a path twice.
      const seen = new Set<string>();
      out.push({ ...deb, files: all.filter((f) => !seen.has(f.path) && seen.add(f.path)) });
    }
  }
  return byName(out);
}

function debPackage(p: Record<string, string>): DebPackage {
  // "Source: name (version)" when the source version differs from the binary's.
  const m = /^(\S+)(?:\s+\((.+)\))?$/.exec(p.Source ?? '');
  return {
    name: p.Package!,
    version: p.Version ?? '',
    architecture: p.Architecture ?? '',
    source: m?.[1] ?? p.Package!,
    sourceVersion: m?.[2] ?? p.Version ?? '',
  };
}

const byName = (packages: DebPackage[]) =>
  packages.sort((a, b) => compare(a.name, b.name) || compare(a.architecture, b.architecture));
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** A path as md5sums and Conffiles write it (relative, or absolute), as the image's entries name it. */
const imagePath = (p: string) => p.replace(/^(\.\/|\/)+/, '');

/** md5sums lines: "MD5  PATH" (md5sum's format; "MD5 *PATH" too). */
export function md5sumsFiles(text: string): PackageFile[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([0-9a-fA-F]{32}) [ *](.+)$/.exec(line);
    return m ? [{ path: imagePath(m[2]!), md5: m[1]!.toLowerCase() }] : [];
  });
}

/** A Conffiles field's lines: " /PATH MD5" and maybe a flag (obsolete, remove-on-upgrade). */
export function conffiles(field: string): PackageFile[] {
  return field.split('\n').flatMap((line) => {
    const m = /^\s*(\/.*?)\s+(\S+)(?:\s+(?:obsolete|remove-on-upgrade))*\s*$/.exec(line);
    if (!m) return [];
    return [{ path: imagePath(m[1]!), ...(/^[0-9a-f]{32}$/i.test(m[2]!) ? { md5: m[2]!.toLowerCase() } : {}) }];
  });
}

/**
 * The licenses of a DEP-5 copyright file as one SPDX-style expression: every distinct License
 * short name of its Files paragraphs (and the header's), joined with AND. Undefined when the file
 * is not in the machine-readable format.
 */
export function copyrightLicenses(text: string): string | undefined {
  const paragraphs = controlParagraphs(text);
  if (!/copyright-format|dep5/i.test(paragraphs[0]?.Format ?? '')) return undefined;
  const names = new Set<string>();
  for (const p of paragraphs) {
    const first = (p.License ?? '').split('\n')[0]!.trim();
    if (first && (p.Files !== undefined || p === paragraphs[0])) names.add(first);
  }
  if (!names.size) return undefined;
  // A name with spaces or "or"/"and" is itself an expression: keep it whole in parentheses.
  const terms = [...names].sort().map((n) => (/\s/.test(n) ? `(${n})` : n));
  return terms.join(' AND ');
}
