/**
 * A small client for the OCI distribution API (https://github.com/opencontainers/distribution-spec/
 * blob/main/spec.md): manifests and blobs, by tag or digest. HTTPS, except for loopback registries
 * and ones marked insecure (see tls.ts).
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { MabError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import type { Repository } from '../oci/model.js';
import { INDEX_TYPES, MANIFEST_TYPES } from '../oci/types.js';
import { basicHeader, dockerCredentials, fetchToken, parseChallenge, type Credentials } from './auth.js';
import { ecrCredentials, ecrTarget, type EcrTarget } from './ecr.js';
import { RegistryError, registryError } from './errors.js';
import { dispatcherFor, schemeFor, tlsError, tlsFailure, type RegistryTls } from './tls.js';
import { isTransient, registryTimeout, uploadRefused, watchdog, webStream } from './transfer.js';

const ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

/**
 * A blob to upload: bytes in memory, a file (large ones go in chunks), or a stream opened anew for
 * each attempt (a blob read from another registry, never held whole).
 */
export type BlobBody = Buffer | { path: string } | { open: () => Promise<Readable> };

export interface ClientOptions {
  /** Given credentials win; otherwise docker's config and credential helpers are asked, once. */
  credentials?: Credentials;
  env?: NodeJS.ProcessEnv;
  /** Files of this size or more are uploaded in chunks of this size (default 16 MiB). */
  chunkSize?: number;
  /** Told about every retry, for the report (mab says what it retried). */
  onRetry?: (what: string) => void;
  /** Backoff base in ms (tests shorten it). */
  backoffMs?: number;
  /** Treat the registry as AWS ECR (found from the host name otherwise). */
  ecr?: EcrTarget;
  /**
   * A request that makes no progress (no answer, no body bytes sent or received) for this long is
   * abandoned and counts as a network failure, so it is retried (default: $MAB_REGISTRY_TIMEOUT
   * seconds, else 60 s). Without it a registry that stalls holds a push for ever.
   */
  timeoutMs?: number;
  /** CAs to trust, or no checks at all (--insecure-registry); see registryTls. */
  tls?: RegistryTls;
}

export interface BlobPushOptions {
  /** Repositories of this registry that held the blob once (the first other one is tried). */
  mountFrom?: string[];
  onProgress?: (sent: number) => void;
}

type SendInit = Omit<RequestInit, 'body'> & {
  ok: number[];
  /** A factory for bodies that can be sent once (streams); it gets a callback for each chunk sent. */
  body?: BodyInit | ((progress: () => void) => BodyInit);
  retry?: boolean;
  /** Read the whole answer inside the try, so a connection lost mid-body is retried too. */
  read?: boolean;
};

export class RegistryClient {
  /** https://REGISTRY, or http:// for loopback, or once an insecure registry turned out to speak no TLS. */
  base: string;
  /** The Authorization header that last worked, per repository ('' for /v2/ itself). */
  private auth = new Map<string, { header: string; expiresAt: number }>();
  private creds: Promise<Credentials | undefined> | undefined;
  readonly stats = { blobBytesSent: 0, blobsSkipped: 0, blobsMounted: 0, retries: 0 };
  /** What was retried, one line each, for reports (mab says what it retried). */
  readonly retried: string[] = [];
  private readonly chunkSize: number;
  private readonly timeoutMs: number;
  private readonly dispatcher: ReturnType<typeof dispatcherFor>;

  constructor(
    readonly registry: string,
    private readonly options: ClientOptions = {},
  ) {
    this.base = `${schemeFor(registry, options.tls ?? {})}://${registry}`;
    this.dispatcher = dispatcherFor(options.tls ?? {});
    this.chunkSize = Math.max(options.chunkSize ?? 16 * 1024 * 1024, 1);
    this.timeoutMs = options.timeoutMs ?? registryTimeout(options.env ?? process.env);
  }

  /** Given credentials, else an ECR token for an ECR registry, else docker's; asked once. */
  private credentials(): Promise<Credentials | undefined> {
    const env = this.options.env ?? process.env;
    const ecr = this.options.ecr ?? ecrTarget(this.registry, env);
    this.creds ??= this.options.credentials
      ? Promise.resolve(this.options.credentials)
      : ecr
        ? ecrCredentials(ecr)
        : dockerCredentials(this.registry, env);
    return this.creds;
  }

  /** Answers a 401's challenge: the header to retry with, cached for the repository. */
  private async answer(res: Response, repo: string): Promise<string> {
    const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
    if (!ch)
      throw new MabError(
        'E_AUTH',
        `registry ${this.registry} answered 401 without a challenge mab understands`,
        'it must send WWW-Authenticate: Basic or Bearer',
      );
    const creds = await this.credentials();
    if (ch.scheme === 'basic') {
      if (!creds)
        throw new MabError(
          'E_AUTH_DENIED',
          `registry ${this.registry} needs a user name and password`,
          'docker login, or --username with --password-stdin',
        );
      this.auth.set(repo, { header: basicHeader(creds), expiresAt: Infinity });
    } else {
      const { token, expiresAt } = await fetchToken(ch, creds, this.registry, await this.dispatcher);
      this.auth.set(repo, { header: `Bearer ${token}`, expiresAt });
    }
    return this.auth.get(repo)!.header;
  }

  private async send(method: string, path: string, init: SendInit): Promise<Response> {
    const repo = /\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(new URL(path, this.base).pathname)?.[1] ?? '';
    const urlOf = () => (path.startsWith('http') ? path : `${this.base}${path}`);
    const attempt = async (authorization?: string): Promise<Response> => {
      const url = urlOf();
      const headers = new Headers(init.headers);
      if (authorization) headers.set('Authorization', authorization);
      const watch = watchdog(this.timeoutMs);
      const body = typeof init.body === 'function' ? init.body(watch.touch) : init.body;
      try {
        const res = await fetch(url, {
          ...init,
          headers,
          body,
          method,
          // A streamed body cannot be sent again after a redirect anyway, and undici keeps a copy
          // of all of it while it might have to (a 256 MiB blob cost 256 MiB of memory).
          redirect: typeof init.body === 'function' ? 'error' : 'follow',
          signal: watch.signal,
          ...({ dispatcher: await this.dispatcher } as object),
        });
        if (!init.read || !init.ok.includes(res.status)) return watch.follow(res);
        const bytes = new Uint8Array(await watch.follow(res).arrayBuffer());
        return new Response(bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
      } catch (e) {
        const tls = tlsFailure(e);
        if (tls?.kind === 'plain-http' && this.options.tls?.insecure && url.startsWith('https:')) {
          // Docker's rule for an insecure registry: HTTPS first, plain HTTP when it speaks no TLS.
          this.base = `http://${this.registry}`;
          return attempt(authorization);
        }
        if (tls) throw tlsError(this.registry, tls);
        // A body read from elsewhere (another registry's blob) that failed its own check.
        const inner = e instanceof MabError ? e : (e as { cause?: unknown }).cause;
        if (inner instanceof MabError) throw inner;
        const cause = watch.expired()
          ? `no progress for ${this.timeoutMs / 1000} s`
          : ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
        throw new MabError(
          'E_REGISTRY_UNREACHABLE',
          `cannot reach registry ${this.registry} (${method} ${path.split('?')[0]}): ${cause}`,
          'check that the registry is running (scripts/setup-host.sh starts the local one on 127.0.0.1:5000)',
        );
      }
    };
    const cached = this.auth.get(repo);
    let authorization = cached && cached.expiresAt > Date.now() ? cached.header : undefined;
    // At most one challenge is answered; the request after it is retried like the first.
    for (let answered = false; ; answered = true) {
      const res = await this.retrying(method, path, init.retry !== false, () => attempt(authorization));
      if (res.status === 401 && !answered) {
        await res.arrayBuffer().catch(() => undefined);
        authorization = await this.answer(res, repo);
        continue;
      }
      if (!init.ok.includes(res.status)) throw await registryError(method, urlOf(), res);
      return res;
    }
  }

  /**
   * Runs one request again on a transient failure (the network, 408, 429 after its Retry-After,
   * 5xx), up to 4 tries with doubling waits; 4xx answers come back at once.
   */
  private async retrying(
    method: string,
    path: string,
    allowed: boolean,
    run: () => Promise<Response>,
  ): Promise<Response> {
    const base = this.options.backoffMs ?? 500;
    for (let tryNo = 1; ; tryNo++) {
      let res: Response | undefined;
      let error: unknown;
      try {
        res = await run();
      } catch (e) {
        error = e;
      }
      const transient = error ? isTransient(error) : [408, 429, 500, 502, 503, 504].includes(res!.status);
      if (!allowed || !transient || tryNo >= 4) {
        if (error) throw error;
        return res!;
      }
      const after = Number(res?.headers.get('retry-after'));
      const wait = Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 60_000) : base * 2 ** (tryNo - 1);
      await res?.arrayBuffer().catch(() => undefined);
      this.retry(
        `${method} ${path.split('?')[0]} ${error ? (error as Error).message : `→ ${res!.status}`}; try ${tryNo + 1} in ${(wait / 1000).toFixed(1)} s`,
      );
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private retry(what: string): void {
    this.stats.retries++;
    this.retried.push(what);
    this.options.onRetry?.(what);
  }

  /** A repository of this registry as the image model's Repository (src/oci/model.ts). */
  repository(repo: string): Repository {
    return {
      name: `${this.registry}/${repo}`,
      origin: { registry: this.registry, repository: repo },
      manifest: (r) => this.getManifest(repo, r),
      blob: (d) => this.getBlob(repo, d),
      open: (d) => this.blobStream(repo, d),
    };
  }

  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.send('GET', `/v2/${repo}/manifests/${reference}`, {
      headers: { Accept: ACCEPT },
      ok: [200],
      read: true,
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new MabError(
        'E_DIGEST_MISMATCH',
        `registry ${this.registry} returned manifest ${digest} for ${repo}@${reference}`,
        'the registry content is corrupt; push the image again',
      );
    }
    const mediaType =
      (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? res.headers.get('content-type') ?? '';
    return { mediaType, digest, bytes };
  }

  /** Every tag of the repository (following Link pagination); none when it does not exist yet. */
  async listTags(repo: string): Promise<string[]> {
    return (await this.tagList(repo)) ?? [];
  }

  /** Every tag of the repository, in the registry's order; undefined when the registry knows no such repository. */
  async tagList(repo: string, pageSize = 1000): Promise<string[] | undefined> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${repo}/tags/list?n=${pageSize}`;
    while (next) {
      const res: Response = await this.send('GET', next, { ok: [200, 404], read: true });
      if (res.status === 404) return undefined;
      tags.push(...(((await res.json()) as { tags?: string[] | null }).tags ?? []));
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
      next = link ? new URL(link, this.base).toString() : undefined;
    }
    return tags;
  }

  /** Digest and type of a manifest, or undefined when the tag or digest does not exist. */
  async headManifest(
    repo: string,
    reference: string,
  ): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const res = await this.send('HEAD', `/v2/${repo}/manifests/${reference}`, {
      headers: { Accept: ACCEPT },
      ok: [200, 404],
    });
    if (res.status === 404) return undefined;
    return {
      digest: res.headers.get('docker-content-digest') ?? '',
      mediaType: res.headers.get('content-type') ?? '',
      size: Number(res.headers.get('content-length') ?? 0),
    };
  }

  async putManifest(repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const digest = sha256Digest(bytes);
    await this.send('PUT', `/v2/${repo}/manifests/${reference}`, {
      headers: { 'Content-Type': mediaType },
      body: new Uint8Array(bytes),
      ok: [201],
    });
    return digest;
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.send('HEAD', `/v2/${repo}/blobs/${digest}`, { ok: [200, 404] });
    return res.status === 200;
  }

  async getBlob(repo: string, digest: string): Promise<Buffer> {
    const res = await this.send('GET', `/v2/${repo}/blobs/${digest}`, { ok: [200], read: true });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (sha256Digest(bytes) !== digest)
      throw new MabError(
        'E_DIGEST_MISMATCH',
        `blob ${digest} from ${this.registry}/${repo} does not match its digest`,
        'the registry content is corrupt',
      );
    return bytes;
  }

  /**
   * A blob as a stream, hashed as it passes: a registry that serves other bytes than the digest
   * names makes the stream fail at its end, so no reader takes wrong content for the blob.
   */
  async blobStream(repo: string, digest: string): Promise<Readable> {
    const res = await this.send('GET', `/v2/${repo}/blobs/${digest}`, { ok: [200] });
    const hash = createHash('sha256');
    const registry = this.registry;
    const check = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        const got = `sha256:${hash.digest('hex')}`;
        cb(
          got === digest
            ? null
            : new MabError(
                'E_DIGEST_MISMATCH',
                `blob ${digest} from ${registry}/${repo} has digest ${got}`,
                'the registry content is corrupt; push the image again',
              ),
        );
      },
    });
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('error', (e) => check.destroy(e));
    return body.pipe(check);
  }

  /**
   * Makes repo hold a blob: nothing when it has it; a cross-repository mount when `mountFrom`
   * names another repository of this registry that had it (nothing crosses the network); else
   * an upload. Small blobs go in one PUT; a file of chunkSize or more goes in PATCH chunks of
   * chunkSize (ECR wants at least 5 MB per chunk, and answers a PATCH with 201 where the spec says
   * 202), then a PUT with the digest; a chunk cut off resumes where the registry says its copy
   * ends. A failed upload (the network, or the registry refusing bytes a broken connection
   * mangled) starts over in a new session, unless the registry has the blob by then. onProgress
   * hears the bytes of this blob sent so far (from 0 again when an upload restarts).
   */
  async pushBlob(
    repo: string,
    digest: string,
    size: number,
    body: BlobBody,
    o: BlobPushOptions = {},
  ): Promise<'present' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(repo, digest)) {
      this.stats.blobsSkipped++;
      return 'present';
    }
    const from = o.mountFrom?.find((r) => r !== repo);
    // A registry that cannot mount (no such blob there) opens a plain upload instead; one that
    // refuses outright (a 4xx, say no pull access to `from`) gets a plain upload of its own.
    const opened = from
      ? await this.startUpload(repo, { digest, from }).catch((e: unknown) =>
          e instanceof RegistryError && e.status < 500 ? undefined : Promise.reject(e),
        )
      : undefined;
    if (opened === 'mounted') {
      this.stats.blobsMounted++;
      return 'mounted';
    }
    const chunked = !Buffer.isBuffer(body) && 'path' in body && size >= this.chunkSize;
    let session: URL | undefined = opened;
    for (let attempt = 1; ; attempt++) {
      try {
        // An earlier attempt may have landed after all (its answer was lost).
        if (attempt > 1 && (await this.hasBlob(repo, digest))) return 'uploaded';
        session ??= (await this.startUpload(repo)) as URL;
        await (chunked
          ? this.uploadChunked(session, digest, size, (body as { path: string }).path, o.onProgress)
          : this.uploadWhole(session, digest, size, body, o.onProgress));
        this.stats.blobBytesSent += size;
        return 'uploaded';
      } catch (e) {
        if (attempt >= 4 || !(isTransient(e) || uploadRefused(e))) throw e;
        session = undefined;
        this.retry(`upload of ${digest.slice(0, 19)} to ${repo} failed (${(e as Error).message}); starting it again`);
      }
    }
  }

  /** Opens an upload session, or, asked to mount and answered 201, reports the blob mounted. */
  private async startUpload(repo: string, mount?: { digest: string; from: string }): Promise<URL | 'mounted'> {
    const query = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : '';
    const start = await this.send('POST', `/v2/${repo}/blobs/uploads/${query}`, { ok: mount ? [201, 202] : [202] });
    if (start.status === 201) return 'mounted';
    const location = start.headers.get('location');
    if (!location)
      throw new MabError(
        'E_REGISTRY',
        `registry ${this.registry} gave no upload location`,
        'the registry does not follow the distribution spec',
      );
    return new URL(location, this.base);
  }

  private async uploadWhole(
    session: URL,
    digest: string,
    size: number,
    body: BlobBody,
    onProgress?: (sent: number) => void,
  ): Promise<void> {
    const url = new URL(session);
    url.searchParams.set('digest', digest);
    // A factory: a stream can be sent once, and a 401 (an expired token) means sending it again.
    const data = (touch: () => void): BodyInit =>
      Buffer.isBuffer(body)
        ? new Uint8Array(body)
        : webStream('open' in body ? body.open : async () => createReadStream(body.path), 0, touch, onProgress);
    await this.send('PUT', url.toString(), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body: data,
      ok: [201],
      // Node's fetch requires this for a streamed request body.
      ...({ duplex: 'half' } as object),
    });
    if (Buffer.isBuffer(body)) onProgress?.(size);
  }

  private async uploadChunked(
    session: URL,
    digest: string,
    size: number,
    file: string,
    onProgress?: (sent: number) => void,
  ): Promise<void> {
    let url = session;
    let resumes = 0;
    for (let start = 0; start < size;) {
      const end = Math.min(start + this.chunkSize, size) - 1;
      try {
        const res = await this.send('PATCH', url.toString(), {
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(end - start + 1),
            'Content-Range': `${start}-${end}`,
          },
          body: (touch) => webStream(async () => createReadStream(file, { start, end }), start, touch, onProgress),
          ok: [202, 201],
          retry: false,
          ...({ duplex: 'half' } as object),
        });
        const next = res.headers.get('location');
        if (next) url = new URL(next, this.base);
        start = end + 1;
      } catch (e) {
        if (!isTransient(e) || ++resumes > 4) throw e;
        // Part of the chunk may have arrived: ask the session how far the registry's copy goes.
        const status = await this.send('GET', url.toString(), { ok: [204] });
        const range = /^(?:bytes=)?0-(\d+)$/.exec(status.headers.get('range') ?? '');
        // "0-0" is what registries say for both 0 and 1 byte held; 0 is the safe reading.
        start = range && range[1] !== '0' ? Number(range[1]) + 1 : 0;
        const next = status.headers.get('location');
        if (next) url = new URL(next, this.base);
        this.retry(
          `a chunk of ${digest.slice(0, 19)} was cut off (${(e as Error).message}); resuming at byte ${start}`,
        );
      }
    }
    url.searchParams.set('digest', digest);
    await this.send('PUT', url.toString(), { headers: { 'Content-Length': '0' }, ok: [201] });
  }
}
