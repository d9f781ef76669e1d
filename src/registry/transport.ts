/**
 * What every request to a registry goes through, below the API's verbs (client.ts): the base URL
 * and TLS, authentication (a 401's Basic or Bearer challenge answered once, the header kept per
 * repository), retries with backoff on transient failures, and a watchdog on stalled transfers.
 * go-containerregistry layers its transport the same way (pkg/v1/remote/transport).
 */
import { MabError } from '../errors.js';
import { basicHeader, dockerCredentials, fetchToken, type Credentials } from './auth.js';
import { parseChallenge } from './challenge.js';
import { ecrCredentials, ecrTarget, type EcrTarget } from './ecr.js';
import { registryError } from './errors.js';
import { dispatcherFor, schemeFor, tlsError, tlsFailure, type RegistryTls } from './tls.js';
import { isTransient, registryTimeout, watchdog } from './transfer.js';

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

export type SendInit = Omit<RequestInit, 'body'> & {
  ok: number[];
  /** A factory for bodies that can be sent once (streams); it gets a callback for each chunk sent. */
  body?: BodyInit | ((progress: () => void) => BodyInit);
  retry?: boolean;
  /** Read the whole answer inside the try, so a connection lost mid-body is retried too. */
  read?: boolean;
};

export class RegistryTransport {
  /** https://REGISTRY, or http:// for loopback, or once an insecure registry turned out to speak no TLS. */
  base: string;
  /** The Authorization header that last worked, per repository ('' for /v2/ itself). */
  protected auth = new Map<string, { header: string; expiresAt: number }>();
  protected creds: Promise<Credentials | undefined> | undefined;
  readonly stats = { blobBytesSent: 0, blobsSkipped: 0, blobsMounted: 0, retries: 0 };
  /** What was retried, one line each, for reports (mab says what it retried). */
  readonly retried: string[] = [];
  protected readonly chunkSize: number;
  protected readonly timeoutMs: number;
  protected readonly dispatcher: ReturnType<typeof dispatcherFor>;

  constructor(
    readonly registry: string,
    protected readonly options: ClientOptions = {},
  ) {
    this.base = `${schemeFor(registry, options.tls ?? {})}://${registry}`;
    this.dispatcher = dispatcherFor(options.tls ?? {});
    this.chunkSize = Math.max(options.chunkSize ?? 16 * 1024 * 1024, 1);
    this.timeoutMs = options.timeoutMs ?? registryTimeout(options.env ?? process.env);
  }

  /** Given credentials, else an ECR token for an ECR registry, else docker's; asked once. */
  protected credentials(): Promise<Credentials | undefined> {
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
  protected async answer(res: Response, repo: string): Promise<string> {
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

  protected async send(method: string, path: string, init: SendInit): Promise<Response> {
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
  protected async retrying(
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

  protected retry(what: string): void {
    this.stats.retries++;
    this.retried.push(what);
    this.options.onRetry?.(what);
  }
}
