/** The reports' footnotes: one wording for the text, Markdown and HTML forms. Lines of at most 100 columns. */

export const SIZE_TERMS =
  "DOWNLOAD = config + compressed layers (what a pull fetches); UNPACKED = the layers' tar bytes.";

/**
 * How the store's layer blobs were compressed (pipeline/export.ts, oci/gzip.ts): true of every
 * image mab exported, whichever engine gave it.
 */
export const STORED_COMPRESSION = [
  'Stored layers are gzip: a layer the engine gave uncompressed (Docker 20.10, 26.x on overlay2) was',
  'compressed by mab at zlib level 5; one the engine held compressed (the containerd image store) is',
  'its own gzip blob, as the engine pulled or built it, stored byte for byte. A push sends these blobs.',
];

/** What `mab compare`'s * after a build time says. */
export const REUSED = 'reused from the store: the time is that of its build';

/** What `mab compare`'s ratio columns and its reused mark mean. */
export const COMPARE_TERMS = ['N× = the baseline is N times this size; (-N %) = N % smaller.', `* = ${REUSED}.`];
