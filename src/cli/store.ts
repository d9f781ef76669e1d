import { MabError } from '../errors.js';
import { formatPlatform } from '../platform/platform.js';
import { attestationEntries } from '../oci/attestation.js';
import { imageEntries } from '../oci/index.js';
import { INDEX_TYPES, type Index } from '../oci/types.js';
import { table } from '../report/table.js';
import { gc, verify } from '../store/check.js';
import { REF_NAME, Store } from '../store/layout.js';
import { formatBytes } from '../util/io.js';
import type { Command } from './command.js';
import { storeDirOf, SHARED_OPTIONS } from './context.js';

const ACTIONS = ['ls', 'verify', 'gc'] as const;

export const store: Command = {
  name: 'store',
  args: 'ls|verify|gc',
  description: [
    'The store is an OCI image layout (oci-layout, index.json, blobs/sha256/), readable by skopeo',
    '(oci:DIR:RECIPE:VERSION) and umoci. `ls` lists its tags with their platforms; `verify`',
    "re-hashes every blob and checks that every tag's index, manifests, configs and layers are",
    'present with the sizes their descriptors give (exit 1 when not); `gc` removes blobs no tag',
    'reaches, once older than --grace (a running build writes blobs before it tags them), and temp',
    'files of mab processes that are gone.',
  ].join('\n'),
  options: {
    store: SHARED_OPTIONS.store,
    grace: {
      type: 'string',
      value: 'MINUTES',
      default: '60',
      description: 'gc: keep unreferenced blobs younger than this',
    },
    json: { type: 'boolean', description: 'print the result as JSON on stdout' },
  },
  examples: ['mab store ls', 'mab store verify --store ./.mab/store', 'mab store gc --grace 0'],
  async run(args, opts, io) {
    const action = args[0] as (typeof ACTIONS)[number] | undefined;
    if (!action || !ACTIONS.includes(action) || args.length > 1)
      throw new MabError('E_USAGE', `mab store takes one of ${ACTIONS.join(', ')}`, 'e.g. mab store ls');
    const dir = storeDirOf(opts, io);
    const s = await Store.open(dir);
    const print = (value: unknown, text: string) =>
      io.out(opts.json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');

    if (action === 'ls') {
      const rows = [];
      for (const m of (await s.index()).manifests) {
        const index = INDEX_TYPES.includes(m.mediaType)
          ? (JSON.parse((await s.readBlob(m.digest)).toString()) as Index)
          : undefined;
        // An index's platforms are its images': its attestation manifests (unknown/unknown) are counted apart.
        const platforms = index
          ? imageEntries(index).map((c) => (c.platform ? formatPlatform(c.platform) : '?'))
          : [m.platform ? formatPlatform(m.platform) : '?'];
        const attestations = index ? attestationEntries(index).length : 0;
        rows.push({
          tag: m.annotations?.[REF_NAME] ?? '',
          digest: m.digest,
          mediaType: m.mediaType,
          platforms,
          ...(attestations ? { attestations } : {}),
        });
      }
      print(
        { store: dir, tags: rows },
        rows.length
          ? table(
              ['TAG', 'PLATFORMS', 'DIGEST'],
              rows.map((r) => [r.tag, r.platforms.join(','), r.digest.slice(0, 19)]),
            )
          : `${dir}: no tags`,
      );
      return 0;
    }
    if (action === 'verify') {
      const r = await verify(s);
      const text = r.problems.length
        ? table(
            ['TAG', 'DIGEST', 'PROBLEM', 'DETAIL'],
            r.problems.map((p) => [p.tag, p.digest.slice(0, 19), p.problem, p.detail]),
          )
        : `${dir}: ${r.blobs} blobs, ${formatBytes(r.bytes)}, every digest and every tag's graph checked: sound`;
      print({ store: dir, ...r }, text);
      return r.problems.length ? 1 : 0;
    }
    const minutes = Number(opts.grace);
    if (!Number.isFinite(minutes) || minutes < 0)
      throw new MabError('E_USAGE', `--grace "${String(opts.grace)}" is not a number of minutes`, 'e.g. --grace 60');
    const r = await gc(s, minutes * 60_000);
    print(
      { store: dir, ...r },
      `${dir}: removed ${r.removed.length} blobs (${formatBytes(r.bytes)}) and ${r.temps} temp files`,
    );
    return 0;
  },
};
