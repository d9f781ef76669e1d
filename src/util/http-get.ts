import http from 'node:http';

/**
 * A plain GET with a hard timeout, for probing a server that may be starting up. node:http rather
 * than fetch: with fetch in flight against a port docker-proxy had accepted but the container was
 * not yet serving, the event loop emptied and the process exited with code 13 (unsettled
 * top-level await), about one run in eight here. node:http's socket keeps the loop alive.
 */
export function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
