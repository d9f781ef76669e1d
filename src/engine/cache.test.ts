import { describe, expect, it } from 'vitest';
import { cacheArgs, parseCacheSpec } from './cache.js';

describe('--cache-from / --cache-to', () => {
  it.each([
    // [spec, flag, the platform's own location in the buildx argument]
    ['127.0.0.1:5000/team/app-cache', 'cache-from', 'type=registry,ref=127.0.0.1:5000/team/app-cache:buildcache-arm64'],
    [
      'type=registry,ref=127.0.0.1:5000/team/app-cache:ci,mode=max',
      'cache-to',
      'type=registry,ref=127.0.0.1:5000/team/app-cache:ci-arm64,mode=max',
    ],
    ['type=registry,ref=r.example/app:1.0-{arch}', 'cache-from', 'type=registry,ref=r.example/app:1.0-arm64'],
    ['type=local,dest=/ci/cache/', 'cache-to', 'type=local,dest=/ci/cache/arm64'],
    ['type=local,src=ci-cache', 'cache-from', 'type=local,src=ci-cache/arm64'],
    ['type=gha,mode=max', 'cache-to', 'type=gha,mode=max,scope=buildkit-arm64'],
    ['type=gha,scope=app', 'cache-from', 'type=gha,scope=app-arm64'],
    ['type=inline', 'cache-to', 'type=inline'],
  ] as const)('%s (%s) → %s', (spec, flag, arg) => {
    const parsed = parseCacheSpec(spec, flag);
    expect(cacheArgs(flag === 'cache-to' ? { to: [parsed] } : { from: [parsed] }, 'arm64')).toEqual([`--${flag}`, arg]);
  });

  it('keeps each platform apart: amd64 and arm64 get different locations from one spec', () => {
    const spec = parseCacheSpec('type=registry,ref=r.example/app-cache', 'cache-to');
    expect(cacheArgs({ to: [spec] }, 'amd64')[1]).not.toBe(cacheArgs({ to: [spec] }, 'arm64')[1]);
  });

  it.each([
    ['type=registry', 'cache-to', /type=registry needs ref=/],
    ['type=registry,ref=r.example/app@sha256:' + 'a'.repeat(64), 'cache-to', /under a tag, not a digest/],
    ['type=local', 'cache-to', /needs dest=DIRECTORY/],
    ['type=local,dest=x', 'cache-from', /needs src=DIRECTORY/],
    ['type=floppy,ref=x', 'cache-to', /unknown type "floppy"/],
    ['type=inline', 'cache-from', /read with type=registry,ref=IMAGE/],
    ['mode=max,ref=r.example/x', 'cache-to', /no type=/],
    ['type=registry,ref=R.EXAMPLE/Bad Name', 'cache-from', /invalid image reference/],
  ] as const)('refuses %s (%s), saying how to write it', (spec, flag, why) => {
    expect(() => parseCacheSpec(spec, flag)).toThrow(why);
  });
});
