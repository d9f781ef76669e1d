import { makeBaseImages, parseBaseSpec } from '../base/debian.js';
import type { SecurityMode } from '../base/rootfs.js';
import { MabError } from '../errors.js';
import { parsePlatformList } from '../platform/platform.js';
import { defaultCacheDir, formatBytes } from '../util/io.js';
import type { Command } from './command.js';
import { logger, SHARED_OPTIONS } from './context.js';
import { table } from '../report/table.js';

function securityMode(v: string): SecurityMode {
  if (v === 'on' || v === 'off' || v === 'auto') return v;
  throw new MabError(
    'E_USAGE',
    `--security "${v}" is not on, off or auto`,
    'use --security on (default), off, or auto',
  );
}

export const base: Command = {
  name: 'base',
  args: 'IMAGE...',
  description: [
    'For sites without Docker Hub: builds debian:SUITE and debian:SUITE-slim for each platform with',
    'mmdebstrap (QEMU runs foreign maintainer scripts), writes image config and manifest itself, and',
    'pushes one Docker manifest list per image. Point dockerd\'s "registry-mirrors" at that registry',
    'and `FROM debian:bookworm-slim` resolves there. Rootfs tarballs and layers are cached, so a',
    'second run only checks the registry.',
  ].join('\n'),
  options: {
    arch: {
      type: 'string',
      value: 'LIST',
      aliases: ['platform'],
      default: 'amd64,arm64,arm/v7',
      description: 'platforms, comma-separated (linux/arm64 or arm64)',
    },
    push: {
      type: 'string',
      value: 'REGISTRY[/REPO]',
      description:
        'registry to push to; the repository defaults to library/debian, the path Docker Hub uses (required)',
    },
    'debian-mirror': {
      type: 'string',
      value: 'URL',
      default: 'http://deb.debian.org/debian',
      description: 'Debian archive to build from',
    },
    security: {
      type: 'string',
      value: 'MODE',
      default: 'on',
      choices: ['on', 'off', 'auto'],
      description:
        'SUITE-security in the images: on, off, or auto (on, but a platform whose security index fails to download is built without it, with a warning)',
    },
    refresh: { type: 'boolean', description: 'rebuild the cached rootfs tarballs (picks up Debian updates)' },
    cache: SHARED_OPTIONS.cache,
    quiet: SHARED_OPTIONS.quiet,
    json: { type: 'boolean', description: 'print the result as JSON on stdout' },
  },
  examples: ['mab base debian:bookworm debian:bookworm-slim --arch amd64,arm64,arm/v7 --push 127.0.0.1:5000'],
  async run(args, opts, io) {
    if (args.length === 0)
      throw new MabError('E_USAGE', 'no image given', 'e.g. mab base debian:bookworm-slim --push 127.0.0.1:5000');
    if (!opts.push) throw new MabError('E_USAGE', 'mab base needs --push REGISTRY', 'e.g. --push 127.0.0.1:5000');
    const results = await makeBaseImages({
      specs: args.map(parseBaseSpec),
      platforms: parsePlatformList(opts.arch as string),
      push: opts.push as string,
      cacheDir: (opts.cache as string | undefined) ?? defaultCacheDir(io.env),
      mirror: opts['debian-mirror'] as string,
      security: securityMode(opts.security as string),
      refresh: Boolean(opts.refresh),
      log: logger(io, Boolean(opts.quiet)),
    });
    if (opts.json) {
      io.out(JSON.stringify({ schemaVersion: 1, images: results }, null, 2) + '\n');
    } else {
      const rows = results.flatMap((r) =>
        r.platforms.map((p) => [
          r.reference,
          p.platform,
          formatBytes(p.compressedSize),
          formatBytes(p.uncompressedSize),
          p.uploaded ? 'uploaded' : 'present',
          p.securityUpdates ? 'yes' : 'NO',
        ]),
      );
      io.out(table(['IMAGE', 'PLATFORM', 'COMPRESSED', 'UNCOMPRESSED', 'LAYER', 'SECURITY'], rows) + '\n');
    }
    return 0;
  },
};
