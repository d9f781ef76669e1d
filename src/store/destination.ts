/**
 * The store as a copy's destination (oci/copy.ts): each blob it lacks is written as it arrives,
 * hashed on the way and named only if it has the digest the manifest gives; manifests are stored as
 * the bytes read, then the tag is pointed at the top.
 */
import type { Destination } from '../oci/copy.js';
import type { Store } from './layout.js';

/** Chunks passed on as they are, with the running byte count told to onProgress. */
async function* counted(chunks: AsyncIterable<Uint8Array>, onProgress?: (done: number) => void) {
  let done = 0;
  for await (const chunk of chunks) {
    done += chunk.length;
    onProgress?.(done);
    yield chunk;
  }
}

export function storeDestination(store: Store): Destination {
  return {
    name: `the store ${store.dir}`,
    resolve: async (tag) => (await store.resolve(tag))?.digest,
    async putBlob(blob, from, o) {
      if (await store.hasBlob(blob)) return 'present';
      const chunks = o.bytes ? [o.bytes] : counted(await from.open(blob.digest), o.onProgress);
      await store.putStream(chunks, blob.mediaType, blob.digest);
      return 'copied';
    },
    async putManifest(raw, tag) {
      const stored = await store.putStream([raw.bytes], raw.mediaType, raw.digest);
      if (tag) await store.tag([tag], stored);
    },
  };
}
