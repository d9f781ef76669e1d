/**
 * A repository's tags as `mab ls` shows them: every page of the registry's list (Link headers
 * followed), in the order a reader expects (plan/tags.ts compareTags), and with `digests`, what
 * each tag names now.
 */
import { MabError } from '../errors.js';
import { sortTags } from '../plan/tags.js';
import { repositoryName, type Reference } from '../ref/reference.js';
import { mapLimited } from '../util/limit.js';
import type { RegistryClient } from './client.js';
import { explainAccess } from './errors.js';

export interface TaggedManifest {
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
}

export interface TagListing {
  registry: string;
  repository: string;
  tags: string[];
  /** With `digests`: what each tag names, in the order of `tags`. */
  manifests?: TaggedManifest[];
}

export async function listRepository(
  client: RegistryClient,
  ref: Reference,
  o: { digests?: boolean; jobs?: number; pageSize?: number } = {},
): Promise<TagListing> {
  try {
    const listed = await client.tagList(ref.repository, o.pageSize);
    if (!listed)
      throw new MabError(
        'E_NOT_FOUND',
        `${repositoryName(ref)}: the registry has no repository ${ref.repository}`,
        'check the name; a repository exists once an image is pushed to it',
      );
    const tags = sortTags(listed);
    const manifests = o.digests
      ? await mapLimited(tags, o.jobs ?? 4, async (tag): Promise<TaggedManifest | undefined> => {
          const head = await client.headManifest(ref.repository, tag);
          // A tag deleted since the list was read is left out, not an error.
          if (!head) return undefined;
          if (head.digest) return { tag, ...head };
          // A registry that sends no Docker-Content-Digest on HEAD: the manifest itself, hashed.
          const m = await client.getManifest(ref.repository, tag);
          return { tag, digest: m.digest, mediaType: m.mediaType, size: m.bytes.length };
        })
      : undefined;
    return {
      registry: ref.registry,
      repository: ref.repository,
      tags,
      ...(manifests ? { manifests: manifests.filter((m) => m !== undefined) } : {}),
    };
  } catch (e) {
    throw explainAccess(e, ref, 'pull');
  }
}
