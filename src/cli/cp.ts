import { MabError } from '../errors.js';
import { INDEX_TYPES } from '../oci/types.js';
import { copyImage, type CopiedReferrers, type Endpoint } from '../pipeline/copy.js';
import { parseLocation, type ImageLocation } from '../ref/reference.js';
import { RegistryClient } from '../registry/client.js';
import { Store } from '../store/layout.js';
import { formatBytes, type Io } from '../util/io.js';
import type { Command, Values } from './command.js';
import { REGISTRY_OPTIONS, logger, registryOptions, storeDirOf, SHARED_OPTIONS } from './context.js';

export const cp: Command = {
  name: 'cp',
  args: 'SOURCE DESTINATION',
  description: [
    'Copies an image or a multi-arch index, as crane copy does: every manifest the index lists',
    '(attestations too), their blobs, then the index, all as the same bytes, so every digest stays',
    'the same. SOURCE and DESTINATION are each a registry reference (REGISTRY/REPOSITORY[:TAG], a',
    'SOURCE also @DIGEST) or, without a "/", a tag of the local store (sysbench:1.0.20, as mab',
    'push and mab report name them; a bare name means NAME:latest). Within one registry, blobs are',
    'mounted from the source repository (nothing crosses the network); between registries they',
    'are streamed from one to the other, never held whole. From the store, a blob it once pushed',
    'to another repository of the registry is mounted from there. A blob the destination has is',
    'skipped. DESTINATION without a tag gets the SOURCE tag (a SOURCE by digest: put by digest',
    'only). A tag that names another image is moved, as crane does; --json says what it named',
    '(replaced). Unlike mab push, nothing is converted: an OCI index from the store stays one.',
    'With --referrers (registry to registry), what the source lists as OCI 1.1 referrers of each',
    'manifest copied (SBOMs, provenance, signatures: mab push --referrers, oras attach) is copied',
    'too and listed at the destination, by its referrers API or else its sha256-DIGEST tag.',
    "Credentials: docker's config (auths, credHelpers, credsStore), or ECR's token, per registry.",
  ].join('\n'),
  options: {
    store: SHARED_OPTIONS.store,
    jobs: { type: 'string', value: 'N', default: '3', description: 'blobs copied at once' },
    referrers: {
      type: 'boolean',
      description:
        "also copy each manifest's OCI 1.1 referrers (as oras cp -r does) and list them at the destination; registry to registry only",
    },
    json: {
      type: 'boolean',
      description:
        'print the result as JSON on stdout: digest, media type, each manifest with its blobs copied, mounted and already there',
    },
    ...REGISTRY_OPTIONS,
    quiet: SHARED_OPTIONS.quiet,
  },
  examples: [
    'mab cp 127.0.0.1:5000/mab/sysbench:1.0.20 registry.example.com/edge/sysbench',
    'mab cp sysbench:1.0.20 127.0.0.1:5000/mab/sysbench:1.0.20',
    'mab cp 127.0.0.1:5000/mab/sysbench:1.0.20 sysbench:from-registry',
    'mab cp --referrers 127.0.0.1:5000/mab/sysbench:1.0.20 registry.example.com/edge/sysbench',
  ],
  async run(args, opts, io) {
    const [source, destination] = args;
    if (!source || !destination || args.length > 2)
      throw new MabError(
        'E_USAGE',
        'mab cp takes SOURCE and DESTINATION',
        'e.g. mab cp 127.0.0.1:5000/mab/sysbench:1.0.20 registry.example.com/edge/sysbench',
      );
    const src = parseLocation(source, { defaultTag: 'latest' });
    const dst = parseLocation(destination);
    if ('registry' in dst && dst.registry.digest)
      throw new MabError(
        'E_USAGE',
        `cannot copy to a digest (${destination})`,
        'give a repository, optionally with :TAG; the digest stays the source one',
      );
    if (opts.referrers && !('registry' in src && 'registry' in dst))
      throw new MabError(
        'E_USAGE',
        `--referrers copies between registries; ${'registry' in src ? destination : source} is a tag of the store, which keeps no referrers`,
        'to attach the SBOM and provenance of an image in the store as referrers, push it: mab push TAG REGISTRY/REPOSITORY --referrers',
      );
    const log = logger(io, Boolean(opts.quiet));
    const jobs = Number(opts.jobs);
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new MabError('E_USAGE', `--jobs "${String(opts.jobs)}" is not a whole number of 1 or more`);
    const endpoint = endpoints(opts, io, log);
    const r = await copyImage(await endpoint(src), await endpoint(dst), {
      jobs,
      log,
      referrers: Boolean(opts.referrers),
    });
    if (opts.json) {
      io.out(JSON.stringify({ schemaVersion: 1, ...r }, null, 2) + '\n');
      return 0;
    }
    const images = r.manifests.filter((m) => !m.attestation).length;
    const attestations = r.manifests.length - images;
    const what = INDEX_TYPES.includes(r.mediaType)
      ? `index of ${images} image${images === 1 ? '' : 's'}${attestations ? ` and ${attestations} attestation${attestations === 1 ? '' : 's'}` : ''}`
      : 'image';
    io.out(
      `${r.destination}${r.tag ? ' = ' : '@'}${r.digest} (${what}); blobs: ${r.blobs.copied} copied (${formatBytes(r.bytesCopied)}), ${r.blobs.mounted} mounted, ${r.blobs.present} already there${r.replaced ? `; the tag named ${r.replaced} before` : ''}${r.referrers ? `; ${referrersLine(r.referrers)}` : ''}\n`,
    );
    return 0;
  },
};

function referrersLine(copied: CopiedReferrers[]): string {
  const count = copied.reduce((n, c) => n + c.referrers.length, 0);
  const by = [...new Set(copied.map((c) => (c.listedBy === 'api' ? 'the referrers API' : 'sha256-DIGEST tags')))];
  return `referrers: ${count} copied, of ${copied.length} manifest${copied.length === 1 ? '' : 's'}${by.length ? ` (listed by ${by.join(' and ')})` : ''}`;
}

/** Opens each end once: the store, or a client per registry (two ends on one registry share it). */
function endpoints(opts: Values, io: Io, log: (m: string) => void): (l: ImageLocation) => Promise<Endpoint> {
  const clients = new Map<string, Promise<RegistryClient>>();
  let store: Promise<Store> | undefined;
  return async (l) => {
    if ('store' in l) return { store: await (store ??= Store.open(storeDirOf(opts, io))), tag: l.store };
    const host = l.registry.registry;
    if (!clients.has(host))
      clients.set(
        host,
        registryOptions(host, opts, io, log).then((o) => new RegistryClient(host, o)),
      );
    return { registry: l.registry, client: await clients.get(host)! };
  };
}
