/**
 * A small client for the OCI distribution API (https://github.com/opencontainers/distribution-spec/
 * blob/main/spec.md): manifests and blobs, by tag or digest. Plain HTTP is used only for loopback
 * registries; everything else is HTTPS.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { MabError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { INDEX_TYPES, MANIFEST_TYPES } from '../oci/types.js';
import { basicHeader, dockerCredentials, fetchToken, parseChallenge, type Credentials } from './auth.js';
import { registryError } from './errors.js';

const ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export type BlobBody = Buffer | { path: string };

export interface ClientOptions {
  /** Given credentials win; otherwise docker's config and credential helpers are asked, once. */
  credentials?: Credentials;
  env?: NodeJS.ProcessEnv;
}

type SendInit = Omit<RequestInit, 'body'> & { ok: number[]; body?: BodyInit | (() => BodyInit) };

export class RegistryClient {
  readonly base: string;
  /** The Authorization header that last worked, per repository ('' for /v2/ itself). */
  private auth = new Map<string, { header: string; expiresAt: number }>();
  private creds: Promise<Credentials | undefined> | undefined;

  constructor(readonly registry: string, private readonly options: ClientOptions = {}) {
    const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(registry);
    this.base = `${loopback ? 'http' : 'https'}://${registry}`;
  }

  private credentials(): Promise<Credentials | undefined> {
    this.creds ??= this.options.credentials ? Promise.resolve(this.options.credentials) : dockerCredentials(this.registry, this.options.env ?? process.env);
    return this.creds;
  }

  /** Answers a 401's challenge: the header to retry with, cached for the repository. */
  private async answer(res: Response, repo: string): Promise<string> {
    const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
    if (!ch) throw new MabError('E_AUTH', `registry ${this.registry} answered 401 without a challenge mab understands`, 'it must send WWW-Authenticate: Basic or Bearer');
    const creds = await this.credentials();
    if (ch.scheme === 'basic') {
      if (!creds) throw new MabError('E_AUTH_DENIED', `registry ${this.registry} needs a user name and password`, 'docker login, or --username with --password-stdin');
      this.auth.set(repo, { header: basicHeader(creds), expiresAt: Infinity });
    } else {
      const { token, expiresAt } = await fetchToken(ch, creds, this.registry);
      this.auth.set(repo, { header: `Bearer ${token}`, expiresAt });
    }
    return this.auth.get(repo)!.header;
  }

  private async send(method: string, path: string, init: SendInit): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const repo = /\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(new URL(url).pathname)?.[1] ?? '';
    const attempt = async (authorization?: string) => {
      const headers = new Headers(init.headers);
      if (authorization) headers.set('Authorization', authorization);
      const body = typeof init.body === 'function' ? init.body() : init.body;
      try {
        return await fetch(url, { ...init, headers, body, method, redirect: 'follow' });
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
        throw new MabError('E_REGISTRY_UNREACHABLE', `cannot reach registry ${this.registry} (${method} ${path.split('?')[0]}): ${cause}`, 'check that the registry is running (scripts/setup-host.sh starts the local one on 127.0.0.1:5000)');
      }
    };
    const cached = this.auth.get(repo);
    let res = await attempt(cached && cached.expiresAt > Date.now() ? cached.header : undefined);
    if (res.status === 401) {
      await res.arrayBuffer().catch(() => undefined);
      res = await attempt(await this.answer(res, repo));
      if (res.status === 401) throw await registryError(method, url, res);
    }
    if (!init.ok.includes(res.status)) throw await registryError(method, url, res);
    return res;
  }

  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.send('GET', `/v2/${repo}/manifests/${reference}`, { headers: { Accept: ACCEPT }, ok: [200] });
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new MabError('E_DIGEST_MISMATCH', `registry ${this.registry} returned manifest ${digest} for ${repo}@${reference}`, 'the registry content is corrupt; push the image again');
    }
    const mediaType = (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? res.headers.get('content-type') ?? '';
    return { mediaType, digest, bytes };
  }

  /** Digest and type of a manifest, or undefined when the tag or digest does not exist. */
  async headManifest(repo: string, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const res = await this.send('HEAD', `/v2/${repo}/manifests/${reference}`, { headers: { Accept: ACCEPT }, ok: [200, 404] });
    if (res.status === 404) return undefined;
    return { digest: res.headers.get('docker-content-digest') ?? '', mediaType: res.headers.get('content-type') ?? '', size: Number(res.headers.get('content-length') ?? 0) };
  }

  async putManifest(repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const digest = sha256Digest(bytes);
    await this.send('PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'Content-Type': mediaType }, body: new Uint8Array(bytes), ok: [201] });
    return digest;
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.send('HEAD', `/v2/${repo}/blobs/${digest}`, { ok: [200, 404] });
    return res.status === 200;
  }

  async getBlob(repo: string, digest: string): Promise<Buffer> {
    const res = await this.send('GET', `/v2/${repo}/blobs/${digest}`, { ok: [200] });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (sha256Digest(bytes) !== digest) throw new MabError('E_DIGEST_MISMATCH', `blob ${digest} from ${this.registry}/${repo} does not match its digest`, 'the registry content is corrupt');
    return bytes;
  }

  async blobStream(repo: string, digest: string): Promise<Readable> {
    const res = await this.send('GET', `/v2/${repo}/blobs/${digest}`, { ok: [200] });
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }

  /** Uploads a blob unless the repository has it already (returns false then: no bytes sent). */
  async pushBlob(repo: string, digest: string, size: number, body: BlobBody): Promise<boolean> {
    if (await this.hasBlob(repo, digest)) return false;
    const start = await this.send('POST', `/v2/${repo}/blobs/uploads/`, { ok: [202] });
    const location = start.headers.get('location');
    if (!location) throw new MabError('E_REGISTRY', `registry ${this.registry} gave no upload location`, 'the registry does not follow the distribution spec');
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    // A factory: a stream can be sent once, and a 401 (an expired token) means sending it again.
    const data = (): BodyInit => (Buffer.isBuffer(body) ? new Uint8Array(body) : (Readable.toWeb(createReadStream(body.path)) as unknown as BodyInit));
    await this.send('PUT', url.toString(), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body: data,
      ok: [201],
      // Node's fetch requires this for a streamed request body.
      ...({ duplex: 'half' } as object),
    });
    return true;
  }
}
