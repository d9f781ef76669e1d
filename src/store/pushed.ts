/**
 * Where the store's blobs have been pushed (or, for a copy from a registry, where they came
 * from): per registry, which repositories held which blob. A later push of a blob into another repository of that registry asks for a cross-repository
 * mount first (docker keeps the same kind of record), so images that share a base, or one image
 * published under two names, cross the network once.
 *
 *   DIR/mab/pushed/REGISTRY.jsonl   {"digest": "sha256:…", "repository": "edge/sysbench"} per line
 *
 * Lines are appended in one small write each (O_APPEND), so concurrent pushes never interleave a
 * line; a torn line from a killed process is skipped when read. The record is only a hint: a
 * repository deleted since then makes the registry answer the mount with a plain upload session.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export class PushedBlobs {
  private readonly file: string;
  private known = new Map<string, string[]>();

  private constructor(storeDir: string, registry: string) {
    this.file = path.join(storeDir, 'mab', 'pushed', `${registry.replace(/[^A-Za-z0-9.-]/g, '_')}.jsonl`);
  }

  static async open(storeDir: string, registry: string): Promise<PushedBlobs> {
    const p = new PushedBlobs(storeDir, registry);
    const text = await readFile(p.file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const { digest, repository } = JSON.parse(line) as { digest?: unknown; repository?: unknown };
        if (typeof digest === 'string' && typeof repository === 'string') p.remember(digest, repository);
      } catch {
        // An empty or torn line.
      }
    }
    return p;
  }

  /** Repositories known to have held digest, the most recent first. */
  repositories(digest: string): string[] {
    return [...(this.known.get(digest) ?? [])].reverse();
  }

  async record(digest: string, repository: string): Promise<void> {
    if (this.known.get(digest)?.includes(repository)) return;
    this.remember(digest, repository);
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, JSON.stringify({ digest, repository }) + '\n');
  }

  private remember(digest: string, repository: string): void {
    const list = this.known.get(digest) ?? [];
    this.known.set(digest, [...list.filter((r) => r !== repository), repository]);
  }
}
