/**
 * mab's local store: an OCI image layout on disk (image-spec image-layout.md), so skopeo
 * (`oci:DIR:TAG`), umoci and any other OCI tool can read what mab builds.
 *
 *   DIR/oci-layout         {"imageLayoutVersion": "1.0.0"}
 *   DIR/index.json         one descriptor per tag, named by org.opencontainers.image.ref.name
 *   DIR/blobs/sha256/HEX   content, named by its digest
 *
 * What it promises, and how:
 *  - A blob is checked against its digest before it gets its name, and an existing blob is never
 *    rewritten: it is written to a temp file, hashed, and renamed into place only if absent.
 *  - index.json changes under a lock file (O_EXCL) by read-modify-write-rename, so two mab
 *    processes tagging at once both land and a reader never sees half a file. A lock left by a
 *    process that died is taken over.
 *  - A killed write leaves only a .tmp-PID-* file, which `gc` removes once PID is gone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, link, mkdir, open, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError } from '../errors.js';
import { assertDigest, isDigest } from '../oci/digest.js';
import type { Repository } from '../oci/model.js';
import { MediaType, type Descriptor, type Index } from '../oci/types.js';
import { atomicWrite } from '../util/io.js';
import { alive } from '../util/process.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' });
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._:/-]{0,254}$/;

/**
 * mab's own records beside the layout, one JSON file per digest (DIR/mab/KIND/HEX.json): how
 * an image was built, and which image ID an export came from. Written with atomicWrite; `gc`
 * removes the temp files a killed writer leaves in these directories.
 */
export const RECORD_KINDS = ['builds', 'exports', 'layers'] as const;

export function recordFile(storeDir: string, kind: (typeof RECORD_KINDS)[number], digest: string): string {
  return path.join(storeDir, 'mab', kind, `${assertDigest(digest, kind).slice('sha256:'.length)}.json`);
}

export class Store {
  private constructor(readonly dir: string) {}

  /** Opens the layout at dir, creating it when dir is empty or missing. */
  static async open(dir: string): Promise<Store> {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    const layoutFile = path.join(dir, 'oci-layout');
    const layout = await readFile(layoutFile, 'utf8').catch(() => undefined);
    if (layout === undefined) {
      await createIfMissing(layoutFile, LAYOUT);
    } else if ((JSON.parse(layout) as { imageLayoutVersion?: string }).imageLayoutVersion !== '1.0.0') {
      throw new MabError(
        'E_STORE',
        `${layoutFile} is not an OCI image layout 1.0.0`,
        'point --store at an empty directory or an OCI layout',
      );
    }
    const store = new Store(dir);
    await createIfMissing(store.indexFile, JSON.stringify(emptyIndex()));
    return store;
  }

  get indexFile(): string {
    return path.join(this.dir, 'index.json');
  }

  blobPath(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', assertDigest(digest, 'blob').slice('sha256:'.length));
  }

  async hasBlob(d: Pick<Descriptor, 'digest' | 'size'>): Promise<boolean> {
    const st = await stat(this.blobPath(d.digest)).catch(() => undefined);
    return st?.size === d.size;
  }

  /** Stores bytes (a manifest, a config) and returns their descriptor. */
  async putBytes(data: Buffer, mediaType: string): Promise<Descriptor> {
    return this.putStream([data], mediaType);
  }

  /**
   * Stores a stream of chunks (a layer): hashed while written to a temp file, then named. With
   * `expected`, a digest that differs is an error and nothing is stored.
   */
  async putStream(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    mediaType: string,
    expected?: string,
  ): Promise<Descriptor> {
    const tmp = this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(tmp, 'wx');
    let digest: string;
    try {
      try {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      digest = `sha256:${hash.digest('hex')}`;
      if (expected && expected !== digest)
        throw new MabError(
          'E_STORE_DIGEST',
          `blob content has digest ${digest}, expected ${expected}`,
          'the source served other bytes than it described; nothing was stored',
        );
      // link() fails when the name exists: an existing blob is never replaced.
      await link(tmp, this.blobPath(digest)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    } finally {
      await rm(tmp, { force: true });
    }
    return { mediaType, digest, size };
  }

  /** Gives blobs a fresh mtime: `gc` spares young blobs, so ones about to be tagged again survive it. */
  async touch(digests: string[]): Promise<void> {
    const now = new Date();
    for (const d of digests) await utimes(this.blobPath(d), now, now);
  }

  /** A blob's bytes, checked against its digest (a store can be damaged on disk). */
  async readBlob(digest: string): Promise<Buffer> {
    const data = await readFile(this.blobPath(digest)).catch(() => {
      throw new MabError(
        'E_STORE_MISSING',
        `blob ${digest} is not in the store ${this.dir}`,
        'rebuild the image, or run `mab store verify` to see what else is missing',
      );
    });
    const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (actual !== digest)
      throw new MabError(
        'E_STORE_CORRUPT',
        `blob ${digest} in ${this.dir} has digest ${actual}: the file is damaged`,
        'run `mab store verify`, then rebuild what it lists',
      );
    return data;
  }

  async index(): Promise<Index> {
    return JSON.parse(await readFile(this.indexFile, 'utf8')) as Index;
  }

  /** The store as the image model's Repository (src/oci/model.ts): tags and digests both resolve. */
  repository(): Repository {
    return {
      name: `the store ${this.dir}`,
      manifest: async (reference) => {
        const d = isDigest(reference) ? undefined : await this.resolve(reference);
        if (!d && !isDigest(reference))
          throw new MabError(
            'E_STORE_TAG',
            `the store ${this.dir} has no tag "${reference}"`,
            'see `mab store ls`, or build it first',
          );
        const digest = d?.digest ?? reference;
        const bytes = await this.readBlob(digest);
        return {
          digest,
          bytes,
          mediaType: d?.mediaType ?? (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? '',
        };
      },
      blob: (digest) => this.readBlob(digest),
      open: async (digest) => createReadStream(this.blobPath(digest), { highWaterMark: 1024 * 1024 }),
      file: (digest) => this.blobPath(digest),
    };
  }

  /** The descriptor tagged name, or undefined. */
  async resolve(name: string): Promise<Descriptor | undefined> {
    return (await this.index()).manifests.find((m) => m.annotations?.[REF_NAME] === name);
  }

  /** Points the tags at a manifest or index already stored; other tags stay as they are. */
  async tag(names: string[], target: Descriptor): Promise<void> {
    for (const n of names)
      if (!TAG_RE.test(n))
        throw new MabError(
          'E_STORE_TAG',
          `"${n}" is not a valid tag for the store`,
          'use letters, digits and . _ - : /',
        );
    if (!(await this.hasBlob(target)))
      throw new MabError(
        'E_STORE_MISSING',
        `cannot tag ${names.join(', ')}: ${target.digest} is not in the store`,
        'store the manifest (and what it references) before tagging it',
      );
    await this.withLock(async () => {
      const index = await this.index();
      const keep = index.manifests.filter((m) => !names.includes(m.annotations?.[REF_NAME] ?? ''));
      const added = names.map((n) => ({ ...target, annotations: { ...target.annotations, [REF_NAME]: n } }));
      await this.writeIndex({ ...index, manifests: [...keep, ...added] });
    });
  }

  async untag(name: string): Promise<boolean> {
    return this.withLock(async () => {
      const index = await this.index();
      const manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== name);
      if (manifests.length === index.manifests.length) return false;
      await this.writeIndex({ ...index, manifests });
      return true;
    });
  }

  /** Runs fn holding the store's lock; a lock whose owner died is taken over. */
  async withLock<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const lock = path.join(this.dir, 'index.json.lock');
    const start = Date.now();
    // Short, jittered waits: the lock is held for one read-modify-write of index.json.
    for (let wait = 2; ; wait = Math.min(wait * 2, 40)) {
      try {
        await writeExclusive(lock, String(process.pid));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = Number(await readFile(lock, 'utf8').catch(() => '0'));
        if (owner && !alive(owner)) {
          // Rename first: of two processes that both saw the dead owner, only one removes the lock.
          const stale = `${lock}.stale-${process.pid}`;
          if (
            await rename(lock, stale).then(
              () => true,
              () => false,
            )
          )
            await rm(stale, { force: true });
          continue;
        }
        if (Date.now() - start > timeoutMs)
          throw new MabError(
            'E_STORE_LOCKED',
            `the store ${this.dir} is locked by process ${owner || '?'}`,
            `wait for it to finish; if no mab process is running, remove ${lock}`,
          );
        await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** Every blob file with its size and mtime, and every temp file with the pid that wrote it. */
  async files(): Promise<{
    blobs: { digest: string; size: number; mtimeMs: number }[];
    temps: { file: string; pid: number }[];
  }> {
    const dir = path.join(this.dir, 'blobs', 'sha256');
    const blobs = [];
    const temps = [];
    // index.json's and mab's own records' temp files (atomicWrite: NAME.tmp-PID-N).
    for (const sub of ['.', ...RECORD_KINDS.map((k) => `mab/${k}`)]) {
      for (const name of await readdir(path.join(this.dir, sub)).catch(() => [] as string[])) {
        const m = /\.tmp-(\d+)-[a-f0-9]+$/.exec(name);
        if (m) temps.push({ file: path.join(this.dir, sub, name), pid: Number(m[1]) });
      }
    }
    for (const name of await readdir(dir)) {
      const m = /^\.tmp-(\d+)-/.exec(name);
      if (m) temps.push({ file: path.join(dir, name), pid: Number(m[1]) });
      else if (/^[a-f0-9]{64}$/.test(name)) {
        const st = await stat(path.join(dir, name));
        blobs.push({ digest: `sha256:${name}`, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
    return { blobs, temps };
  }

  /** The sha256 of a stored file, streamed (layers can be large). */
  async hashFile(digest: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(this.blobPath(digest))) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
  }

  /** A temp file name in the store that `gc` removes once this process is gone. */
  tempPath(): string {
    return path.join(this.dir, 'blobs', 'sha256', `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  private async writeIndex(index: Index): Promise<void> {
    await atomicWrite(this.indexFile, (tmp) => writeFile(tmp, JSON.stringify(index, null, 2) + '\n'));
  }
}

function emptyIndex(): Index {
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
}

/** Creates file unless it exists (another process may create it at the same moment). */
async function createIfMissing(file: string, content: string): Promise<void> {
  // Looked for first: opening an existing store then writes nothing, so a process killed while
  // opening it (a kills.test push was, once) cannot leave a temp file there.
  if (
    await access(file).then(
      () => true,
      () => false,
    )
  )
    return;
  await writeExclusive(file, content).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
}

/** Creates file with its whole content at once, or fails with EEXIST: written beside it, then
 * hard-linked into place, so nobody ever reads it empty. */
async function writeExclusive(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, content);
  try {
    await link(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
