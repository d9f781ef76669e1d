import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { isTransient, registryTimeout, uploadRefused, watchdog } from './transfer.js';

describe('registry transfers', () => {
  it('take MAB_REGISTRY_TIMEOUT in seconds, 60 s when unset, and refuse anything else', () => {
    expect(registryTimeout({})).toBe(60_000);
    expect(registryTimeout({ MAB_REGISTRY_TIMEOUT: '2.5' })).toBe(2500);
    for (const bad of ['0', '-1', 'soon'])
      expect(() => registryTimeout({ MAB_REGISTRY_TIMEOUT: bad })).toThrow(
        `MAB_REGISTRY_TIMEOUT=${bad} is not a number of seconds`,
      );
  });

  it('restart uploads the registry refused after a cut, not ones it refused for cause', () => {
    const err = (status: number, codes: string[]) =>
      new RegistryError('PUT', 'http://r/v2/x/blobs/uploads/1', status, codes, '');
    expect(uploadRefused(err(400, ['DIGEST_INVALID']))).toBe(true);
    expect(uploadRefused(err(404, ['BLOB_UPLOAD_UNKNOWN']))).toBe(true);
    expect(uploadRefused(err(416, []))).toBe(true);
    expect(uploadRefused(err(400, ['LAYER_PART_TOO_SMALL']))).toBe(false);
    expect(uploadRefused(err(401, ['UNAUTHORIZED']))).toBe(false);
    expect(isTransient(err(503, []))).toBe(true);
    expect(isTransient(err(404, []))).toBe(false);
  });

  it('abandon a request whose answer stops coming, and not one that keeps coming slowly', async () => {
    // Sends a byte every 100 ms for 800 ms, or one byte then nothing; the watchdog allows 1 s of
    // silence, ten times the gap, so a loaded machine cannot make the slow answer look stalled.
    const server = createServer((req, res) => {
      res.writeHead(200);
      res.write('x');
      if (req.url === '/stall') return;
      let n = 0;
      const t = setInterval(() => (++n < 8 ? res.write('x') : (clearInterval(t), res.end())), 100);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const slow = watchdog(1000);
      expect(await slow.follow(await fetch(`${url}/slow`, { signal: slow.signal })).text()).toBe('x'.repeat(8));
      expect(slow.expired()).toBe(false);
      const stalled = watchdog(1000);
      await expect(stalled.follow(await fetch(`${url}/stall`, { signal: stalled.signal })).text()).rejects.toThrow();
      expect(stalled.expired()).toBe(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
