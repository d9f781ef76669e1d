/**
 * What keeps a registry request honest on a bad network: a watchdog for requests that stall, file
 * bodies that report their progress, and which failures are worth another try.
 */
import { Readable } from 'node:stream';
import { MabError } from '../errors.js';
import { RegistryError } from './errors.js';

/**
 * A stream as a fetch body, telling touch of each chunk and onProgress the running byte count
 * (from `start`). Opened when the body is first read, and closed when the request ends or is cut
 * off, so a stream from another registry holds no connection open after a failed attempt.
 */
export function webStream(
  open: () => Promise<Readable>,
  start: number,
  touch: () => void,
  onProgress?: (sent: number) => void,
): BodyInit {
  async function* counted() {
    const file = await open();
    try {
      let sent = start;
      for await (const chunk of file) {
        sent += (chunk as Buffer).length;
        touch();
        onProgress?.(sent);
        yield chunk as Buffer;
      }
    } finally {
      file.destroy();
    }
  }
  return Readable.toWeb(Readable.from(counted())) as unknown as BodyInit;
}

/** $MAB_REGISTRY_TIMEOUT (seconds) as milliseconds; 60 s when unset. */
export function registryTimeout(env: NodeJS.ProcessEnv): number {
  const raw = env.MAB_REGISTRY_TIMEOUT;
  if (raw === undefined || raw === '') return 60_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new MabError(
      'E_USAGE',
      `MAB_REGISTRY_TIMEOUT=${raw} is not a number of seconds`,
      'set it to a positive number such as 60, or unset it',
    );
  return seconds * 1000;
}

/**
 * Aborts a request that makes no progress for ms: the timer starts with the request and starts
 * again on every body chunk sent (touch) or received (follow's body), and stops when the answer's
 * body has been read. Unref'd, so an answer nobody reads keeps no process alive.
 */
export function watchdog(ms: number) {
  const controller = new AbortController();
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      controller.abort();
    }, ms);
    timer.unref();
  };
  touch();
  return {
    signal: controller.signal,
    touch,
    expired: () => fired,
    /** The answer with its body watched the same way (one without a body ends the watch). */
    follow(res: Response): Response {
      touch();
      if (!res.body) {
        clearTimeout(timer);
        return res;
      }
      const watched = res.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            touch();
            c.enqueue(chunk);
          },
          flush: () => clearTimeout(timer),
        }),
      );
      return new Response(watched, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
  };
}

/** Failures worth another try: the network, timeouts, throttling, server errors. */
export function isTransient(e: unknown): boolean {
  if (e instanceof RegistryError) return [408, 429, 500, 502, 503, 504].includes(e.status);
  return e instanceof MabError && e.code === 'E_REGISTRY_UNREACHABLE';
}

/**
 * The registry refused an upload's bytes or lost its session: what a connection cut mid-upload
 * leaves behind (a partial chunk, a digest over half a body). mab's copy was checked against its
 * digest when stored, so a new session is worth it.
 */
export function uploadRefused(e: unknown): boolean {
  if (!(e instanceof RegistryError)) return false;
  return (
    e.status === 416 ||
    e.codes.some((c) => ['DIGEST_INVALID', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'SIZE_INVALID'].includes(c))
  );
}
