import path from 'node:path';
import { MabError } from '../errors.js';
import { PASSWORD_ENV, generateKeyFiles, publicKeyPem, readPrivateKey } from '../sign/keys.js';
import type { Command } from './command.js';

export const key: Command = {
  name: 'key',
  args: 'generate PREFIX | public KEY',
  description: [
    '`generate` writes a new ECDSA P-256 key pair for mab sign and cosign: PREFIX.key, the private',
    `key in cosign's encrypted format (scrypt + NaCl secretbox) under the password in $${PASSWORD_ENV}`,
    '(readable only by its owner), and PREFIX.pub, the public key to give mab verify or cosign verify.',
    'cosign sign --key PREFIX.key uses it as it is. With --no-password the private key is a plain',
    'PKCS#8 PEM instead (for a secret store that encrypts it; cosign import-key-pair converts it).',
    '`public` prints the public key of a private key file (as cosign public-key does). mab reads',
    "private keys in cosign's format, PKCS#8 (encrypted or not) and SEC1; the password is never printed.",
  ].join('\n'),
  options: {
    'no-password': {
      type: 'boolean',
      description: 'generate: write the private key unencrypted (plain PKCS#8), ignoring $COSIGN_PASSWORD',
    },
    force: { type: 'boolean', description: 'generate: overwrite PREFIX.key and PREFIX.pub if they exist' },
  },
  examples: [
    'mab key generate ci-signing',
    'mab key generate ci-signing --no-password',
    'mab key public ci-signing.key > ci-signing.pub',
  ],
  async run(args, opts, io) {
    const [action, file] = args;
    if (!file || args.length !== 2 || (action !== 'generate' && action !== 'public'))
      throw new MabError('E_USAGE', 'mab key takes generate PREFIX or public KEY', 'e.g. mab key generate cosign');
    const where = path.resolve(io.cwd, file);
    if (action === 'public') {
      io.out(publicKeyPem(await readPrivateKey(where, io.env)));
      return 0;
    }
    const password = opts['no-password'] ? undefined : io.env[PASSWORD_ENV];
    if (!opts['no-password'] && !password)
      throw new MabError(
        'E_KEY_PASSWORD',
        `${PASSWORD_ENV} is ${password === undefined ? 'not set' : 'empty'}: the private key would not be encrypted`,
        `export ${PASSWORD_ENV} with the password to encrypt it with, or pass --no-password for an unencrypted key`,
      );
    const files = await generateKeyFiles(where, password, Boolean(opts.force));
    io.err(
      `private key written to ${files.privateFile}${password ? '' : ' (unencrypted)'}\npublic key written to ${files.publicFile}\n`,
    );
    return 0;
  },
};
