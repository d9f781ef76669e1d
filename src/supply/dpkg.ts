/**
 * What dpkg says is installed in an image: its status file (deb-control(5) paragraphs; only
 * packages whose Status is "install ok installed" are installed), and the licenses a package's
 * machine-readable copyright file (DEP-5, www.debian.org/doc/packaging-manuals/copyright-format/1.0/)
 * names. A copyright file in free form gives no license: it stays unknown (NOASSERTION), never
 * guessed.
 */
export const DPKG_STATUS = 'var/lib/dpkg/status';
export const copyrightPath = (pkg: string) => `usr/share/doc/${pkg}/copyright`;

export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package, and its version when it differs from the binary's. */
  source: string;
  sourceVersion: string;
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
  return controlParagraphs(status)
    .filter((p) => p.Package && p.Status === 'install ok installed')
    .map((p) => {
      // "Source: name (version)" when the source version differs from the binary's.
      const m = /^(\S+)(?:\s+\((.+)\))?$/.exec(p.Source ?? '');
      return {
        name: p.Package!,
        version: p.Version ?? '',
        architecture: p.Architecture ?? '',
        source: m?.[1] ?? p.Package!,
        sourceVersion: m?.[2] ?? p.Version ?? '',
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
