import { MabError } from '../errors.js';
import { parseReference } from '../ref/reference.js';
import { attestDigests, attestationsToSign, type Attested } from '../supply/attest.js';
import { digestsOf, signDigests } from '../supply/sign.js';
import type { Command } from './command.js';
import { REGISTRY_OPTIONS, logger, SHARED_OPTIONS, signingKeyOf } from './context.js';
import { CREDENTIAL_OPTIONS, registryClientOf } from './push.js';

/** -a KEY=VALUE claims, as cosign sign takes them. */
function annotationsOf(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq < 1) throw new MabError('E_USAGE', `--annotation "${v}" is not KEY=VALUE`, 'e.g. --annotation team=edge');
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export const sign: Command = {
  name: 'sign',
  args: 'REFERENCE',
  description: [
    'Signs an image or index in a registry the way cosign sign --key does, with no cosign needed:',
    "the simple-signing payload naming the repository and the manifest's digest, signed with the",
    "ECDSA P-256 key (SHA-256), is added as a layer to the digest's sha256-HEX.sig manifest in the",
    'same repository, the signature in its dev.cosignproject.cosign/signature annotation. Signatures',
    "already there (cosign's, other keys') are kept; a digest this key already signed is left as it is.",
    'A tag is resolved to its digest first, and the digest is signed. With --recursive, each platform',
    'manifest of an index is signed too. cosign verify --key KEY.pub checks the result; nothing goes',
    'to a transparency log. With --attestations, the SBOM and provenance statements the index carries',
    'for each platform image (in-toto, in its attestation manifests) are also signed, each in a DSSE',
    "envelope added as a layer to that image's sha256-HEX.att manifest, as cosign attest does; cosign",
    'verify-attestation --key KEY.pub --type spdxjson (or slsaprovenance1) checks them.',
    `The key's password comes from $COSIGN_PASSWORD. Credentials as for mab push.`,
  ].join('\n'),
  options: {
    key: {
      type: 'string',
      value: 'FILE',
      description:
        "private key: cosign's (cosign.key), or a PKCS#8 or EC PEM; ECDSA P-256 (mab key generate makes one)",
    },
    recursive: { type: 'boolean', short: 'r', description: 'also sign each image an index lists' },
    attestations: {
      type: 'boolean',
      description:
        'also sign the SBOM and provenance the index carries for each platform image into its .att (an index built with attestations on)',
    },
    annotation: {
      type: 'string',
      short: 'a',
      value: 'KEY=VALUE',
      multiple: true,
      description: "a claim in the payload's optional section (cosign verify -a checks it)",
    },
    ...CREDENTIAL_OPTIONS,
    ...REGISTRY_OPTIONS,
    quiet: SHARED_OPTIONS.quiet,
    json: { type: 'boolean', description: 'print what was signed as JSON on stdout' },
  },
  examples: [
    'mab sign 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.key --recursive',
    'mab sign 127.0.0.1:5000/mab/sysbench@sha256:… --key cosign.key -a release=1.0.20',
    'mab sign 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.key --recursive --attestations',
  ],
  async run(args, opts, io) {
    if (args.length !== 1 || !opts.key)
      throw new MabError(
        'E_USAGE',
        'mab sign takes one REFERENCE and --key FILE',
        'e.g. mab sign 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.key',
      );
    const ref = parseReference(args[0]!);
    const key = await signingKeyOf(opts.key, io);
    const annotations = annotationsOf(opts.annotation as string[] | undefined);
    const log = logger(io, Boolean(opts.quiet));
    const client = await registryClientOf(ref.registry, opts, io, log);
    // Read before anything is written, so an index with nothing to attest changes nothing.
    const toAttest = opts.attestations ? await attestationsToSign(client, ref) : undefined;
    const digests = await digestsOf(client, ref, Boolean(opts.recursive));
    const signed = await signDigests(client, ref.repository, digests, { key, annotations, log });
    const attested: Attested[] | undefined =
      toAttest && (await attestDigests(client, ref.repository, toAttest, { key, log }));
    const repository = `${ref.registry}/${ref.repository}`;
    const lines = [
      ...signed.map((s) => `${repository}@${s.digest} ${s.added ? 'signed' : 'already signed'} (${s.tag})`),
      ...(attested ?? []).map(
        (a) => `${repository}@${a.digest} ${a.predicateType} ${a.added ? 'attested' : 'already attested'} (${a.tag})`,
      ),
    ];
    io.out(
      opts.json
        ? JSON.stringify({ schemaVersion: 1, repository, signed, ...(attested ? { attested } : {}) }, null, 2) + '\n'
        : lines.join('\n') + '\n',
    );
    return 0;
  },
};
