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
import { INDEX_TYPES, MANIFEST_TYPES, MediaType, type Index } from '../oci/types.js';
import { RegistryError } from './errors.js';
import { isTransient, uploadRefused, webStream } from './transfer.js';
import { RegistryTransport, type ClientOptions } from './transport.js';

export type { ClientOptions };

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

export interface BlobPushOptions {
  /** Repositories of this registry that held the blob once (the first other one is tried). */
  mountFrom?: string[];
  onProgress?: (sent: number) => void;
}

export class RegistryClient extends RegistryTransport {
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

  /**
   * The referrers of a manifest by the OCI 1.1 referrers API (an image index); undefined when the
   * registry has no such API (404), whose clients keep the sha256-HEX tag instead (referrers.ts).
   */
  async referrers(repo: string, digest: string): Promise<Index | undefined> {
    const res = await this.send('GET', `/v2/${repo}/referrers/${digest}`, {
      headers: { Accept: MediaType.OciIndex },
      ok: [200, 404],
      read: true,
    });
    if (res.status === 404) return undefined;
    return (await res.json()) as Index;
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
