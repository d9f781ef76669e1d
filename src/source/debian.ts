/**
 * A Debian source package: the .dsc (pinned by the recipe's sha256) and every file it lists,
 * each checked against the .dsc's own Checksums-Sha256, so one pin covers the whole package.
 * The build gets them side by side and unpacks with `dpkg-source -x` (dpkg-dev).
 */
import { readFile } from 'node:fs/promises';
import { MabError } from '../errors.js';

export interface DscFile {
  sha256: string;
  size: number;
  name: string;
}

/** The Checksums-Sha256 field of a .dsc (deb822; the field may sit inside a PGP-signed body). */
export function parseDscChecksums(text: string, where: string): DscFile[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^Checksums-Sha256:\s*$/.test(l));
  if (start < 0)
    throw new MabError(
      'E_DSC',
      `${where} has no Checksums-Sha256 field`,
      'the pinned file is not a Debian source control (.dsc) file',
    );
  const out: DscFile[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!/^\s/.test(line) || !line.trim()) break;
    const m = /^\s+([a-f0-9]{64})\s+(\d+)\s+([A-Za-z0-9][A-Za-z0-9._+~-]*)\s*$/.exec(line);
    if (!m)
      throw new MabError(
        'E_DSC',
        `${where}: cannot read Checksums-Sha256 line "${line.trim()}"`,
        'expected "SHA256 SIZE NAME"',
      );
    out.push({ sha256: m[1]!, size: Number(m[2]), name: m[3]! });
  }
  if (out.length === 0) throw new MabError('E_DSC', `${where} lists no files under Checksums-Sha256`);
  return out;
}

export async function fetchDebianSource(
  s: { file: string; url: string; sha256: string },
  fetchFile: (f: { file: string; url: string; sha256: string }) => Promise<string>,
): Promise<{ name: string; path: string }[]> {
  const dscName = s.url.slice(s.url.lastIndexOf('/') + 1);
  const dsc = await fetchFile({ file: dscName, url: s.url, sha256: s.sha256 });
  const base = s.url.slice(0, s.url.lastIndexOf('/') + 1);
  const files = [{ name: dscName, path: dsc }];
  for (const f of parseDscChecksums(await readFile(dsc, 'utf8'), dscName)) {
    files.push({ name: f.name, path: await fetchFile({ file: f.name, url: base + f.name, sha256: f.sha256 }) });
  }
  return files;
}
