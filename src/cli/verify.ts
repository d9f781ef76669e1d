import path from 'node:path';
import { MabError } from '../errors.js';
import { parseReference } from '../ref/reference.js';
import { readPublicKey } from '../sign/keys.js';
import { signatureCheck } from '../supply/signature-check.js';
import { failures, formatVerifyReport, verifyReference, type Check } from '../supply/verify.js';
import type { Command } from './command.js';
import { REGISTRY_OPTIONS, logger, SHARED_OPTIONS } from './context.js';
import { CREDENTIAL_OPTIONS, registryClientOf } from './push.js';

export const verify: Command = {
  name: 'verify',
  args: 'REFERENCE',
  description: [
    'Checks an image or index in a registry and exits 0 only when every check passes. With --key, the',
    "signature check: the digest's sha256-HEX.sig manifest (written by mab sign or cosign sign) must",
    'hold at least one signature that the public key verifies over a simple-signing payload naming',
    'this digest and this repository. Every signature is reported (valid, another key, another',
    'image); a failure names what failed. Keyless (Fulcio) signatures are checked only as signatures',
    'by the given key, and no transparency log is asked. Credentials as for mab push.',
  ].join('\n'),
  options: {
    key: {
      type: 'string',
      value: 'FILE',
      description: 'public key (cosign.pub, a PEM "PUBLIC KEY", ECDSA P-256) the signature must verify with',
    },
    recursive: { type: 'boolean', short: 'r', description: 'also check each image an index lists' },
    'any-repository': {
      type: 'boolean',
      description:
        'accept a payload that names another repository (an image copied with its signatures, as cosign verify does)',
    },
    ...CREDENTIAL_OPTIONS,
    ...REGISTRY_OPTIONS,
    quiet: SHARED_OPTIONS.quiet,
    json: { type: 'boolean', description: 'print the report as JSON on stdout (also when a check fails)' },
  },
  examples: [
    'mab verify 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.pub',
    'mab verify 127.0.0.1:5000/mab/sysbench@sha256:… --key cosign.pub --recursive --json',
  ],
  async run(args, opts, io) {
    if (args.length !== 1)
      throw new MabError(
        'E_USAGE',
        'mab verify takes one REFERENCE',
        'e.g. mab verify 127.0.0.1:5000/mab/sysbench:1.0.20 --key cosign.pub',
      );
    const checks: Check[] = [];
    if (opts.key) {
      const file = path.resolve(io.cwd, String(opts.key));
      checks.push(
        signatureCheck(await readPublicKey(file), path.basename(file), {
          anyRepository: Boolean(opts['any-repository']),
        }),
      );
    }
    if (!checks.length)
      throw new MabError('E_USAGE', 'mab verify has nothing to check', 'give --key cosign.pub to check the signature');
    const ref = parseReference(args[0]!);
    const client = await registryClientOf(ref.registry, opts, io, logger(io, Boolean(opts.quiet)));
    const report = await verifyReference(client, ref, checks, { recursive: Boolean(opts.recursive) });
    io.out(
      opts.json ? JSON.stringify({ schemaVersion: 1, ...report }, null, 2) + '\n' : formatVerifyReport(report) + '\n',
    );
    if (!report.ok)
      throw new MabError(
        'E_VERIFY',
        `${report.reference} (${report.digest}) failed verification:\n  ${failures(report).join('\n  ')}`,
        'sign it (mab sign REF --key KEY, or cosign sign), or give the public half of the key that signed it',
      );
    return 0;
  },
};
