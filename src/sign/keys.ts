/**
 * Signing keys: ECDSA P-256, the key cosign generates and the one its simple-signing signatures
 * are checked with (SHA-256, the signature ASN.1 DER). A private key is read from cosign's
 * encrypted format (cosign-key.ts), from PKCS#8 (plain or encrypted) or from SEC1 ("EC PRIVATE
 * KEY"); a public key from an SPKI PEM ("PUBLIC KEY", cosign.pub). The password of an encrypted key
 * comes from $COSIGN_PASSWORD, the variable cosign reads, and is never printed.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { MabError } from '../errors.js';
import { COSIGN_KEY_TYPES, decryptCosignKey, encryptCosignKey } from './cosign-key.js';

export const PASSWORD_ENV = 'COSIGN_PASSWORD';

/** The first PEM block of a text: its type and body. */
function pemBlock(text: string): { type: string; body: Buffer } | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  return m ? { type: m[1]!, body: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') } : undefined;
}

function pem(type: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new MabError('E_KEY', `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** Only P-256 keys: what cosign's default signatures use and what `cosign verify --key` expects of them. */
function p256(key: KeyObject, file: string): KeyObject {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1')
    throw new MabError(
      'E_KEY',
      `${file} is a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''} key; mab signs with ECDSA P-256 keys only`,
      'make one with `mab key generate PREFIX` or `cosign generate-key-pair`',
    );
  return key;
}

/** A key OpenSSL can parse, else a MabError naming the file (never the key's bytes). */
function parsed(make: () => KeyObject, file: string): KeyObject {
  try {
    return make();
  } catch (e) {
    throw new MabError('E_KEY', `${file} holds no key OpenSSL can read (${(e as Error).message})`);
  }
}

const noPassword = (file: string) =>
  new MabError(
    'E_KEY_PASSWORD',
    `${file} is encrypted and ${PASSWORD_ENV} is not set`,
    `export ${PASSWORD_ENV} with the key's password (the variable cosign reads too)`,
  );

const wrongPassword = (file: string) =>
  new MabError('E_KEY_PASSWORD', `the password in ${PASSWORD_ENV} does not open ${file}`, `set the key's own password`);

/** The private key in file (see the module comment for the formats read). */
export async function readPrivateKey(file: string, env: NodeJS.ProcessEnv): Promise<KeyObject> {
  const text = await readText(file, 'private key');
  const block = pemBlock(text);
  const password = env[PASSWORD_ENV];
  if (!block) throw new MabError('E_KEY', `${file} holds no PEM block`, 'give a private key file such as cosign.key');
  if (COSIGN_KEY_TYPES.includes(block.type)) {
    if (password === undefined) throw noPassword(file);
    const der = await decryptCosignKey(block.body, password);
    if (der === 'password') throw wrongPassword(file);
    if (typeof der === 'string') throw new MabError('E_KEY', `${file} is not a cosign key mab can read: ${der}`);
    return p256(
      parsed(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), file),
      file,
    );
  }
  if (block.type === 'ENCRYPTED PRIVATE KEY') {
    if (password === undefined) throw noPassword(file);
    try {
      return p256(createPrivateKey({ key: text, format: 'pem', passphrase: password }), file);
    } catch (e) {
      if (e instanceof MabError) throw e;
      throw wrongPassword(file);
    }
  }
  if (block.type !== 'PRIVATE KEY' && block.type !== 'EC PRIVATE KEY')
    throw new MabError(
      'E_KEY',
      `${file} holds a "${block.type}", not a private key`,
      'give the private key (cosign.key, or a PKCS#8 / EC PEM); a public key goes to mab verify --key',
    );
  return p256(
    parsed(() => createPrivateKey(text), file),
    file,
  );
}

/** The public key in file (cosign.pub, or any SPKI PEM). */
export async function readPublicKey(file: string): Promise<KeyObject> {
  const text = await readText(file, 'public key');
  if (pemBlock(text)?.type !== 'PUBLIC KEY')
    throw new MabError(
      'E_KEY',
      `${file} is not a PEM "PUBLIC KEY"`,
      'give the public half (cosign.pub); `mab key public KEY` prints it from a private key',
    );
  return p256(
    parsed(() => createPublicKey(text), file),
    file,
  );
}

/** A public key (or a private key's public half) as cosign writes cosign.pub. */
export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * A new key pair in PREFIX.key and PREFIX.pub: the private key in cosign's encrypted format under
 * password, or, with no password, as a plain PKCS#8 PEM. Existing files are kept unless `force`.
 */
export async function generateKeyFiles(
  prefix: string,
  password: string | undefined,
  force = false,
): Promise<{ privateFile: string; publicFile: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const privateText =
    password === undefined ? pem('PRIVATE KEY', der) : pem(COSIGN_KEY_TYPES[0]!, await encryptCosignKey(der, password));
  const files = { privateFile: `${prefix}.key`, publicFile: `${prefix}.pub` };
  // Both checked first: a new private key beside an old public one would be a pair that fails.
  for (const f of Object.values(files))
    if (!force && (await stat(f).catch(() => undefined)))
      throw new MabError(
        'E_KEY',
        `${f} exists; mab does not overwrite a key`,
        'choose another PREFIX, or pass --force',
      );
  await writeFile(files.privateFile, privateText, { mode: 0o600 });
  await writeFile(files.publicFile, publicKeyPem(publicKey));
  return files;
}

/** The base64 ECDSA P-256 / SHA-256 signature of payload, as cosign puts it in its annotation. */
export function signPayload(key: KeyObject, payload: Buffer): string {
  return sign('sha256', payload, key).toString('base64');
}

/** Whether signature (base64 DER) is key's signature of payload. */
export function verifyPayload(key: KeyObject, payload: Buffer, signature: string): boolean {
  try {
    return verify('sha256', payload, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
