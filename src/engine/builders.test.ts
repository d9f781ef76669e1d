import { describe, expect, it } from 'vitest';
import { builderEnv, hostOf, parseBuilderSpecs } from './builders.js';

describe('--builder PLATFORM=NAME', () => {
  it('normalizes platforms and refuses malformed or doubled specs', () => {
    expect(Object.fromEntries(parseBuilderSpecs(['arm64=board', 'linux/amd64=x86-box', 'armhf=pi.local']))).toEqual({
      'linux/arm64': 'board',
      'linux/amd64': 'x86-box',
      'linux/arm/v7': 'pi.local',
    });
    for (const bad of ['board', '=board', 'arm64=', 'arm64=a b', 'arm64=$(x)'])
      expect(() => parseBuilderSpecs([bad]), bad).toThrow(/is not PLATFORM=NAME/);
    expect(() => parseBuilderSpecs(['arm64=a', 'aarch64=b'])).toThrow('--builder names two builders for linux/arm64');
  });

  it('routes a context through DOCKER_CONTEXT (dropping DOCKER_HOST, which would win), a builder only for the build', () => {
    const env = { DOCKER_HOST: 'unix:///x.sock', PATH: '/bin' };
    expect(builderEnv({ name: 'board', kind: 'context' }, env, false)).toEqual({
      PATH: '/bin',
      DOCKER_CONTEXT: 'board',
    });
    expect(builderEnv({ name: 'bx', kind: 'builder' }, env, true)).toEqual({ ...env, BUILDX_BUILDER: 'bx' });
    expect(builderEnv({ name: 'bx', kind: 'builder' }, env, false)).toBe(env);
    expect(builderEnv(undefined, env, true)).toBe(env);
  });
});

describe('hostOf', () => {
  it('gives the machine of a tcp:// or ssh:// endpoint, none for a local socket', () => {
    expect(
      ['tcp://10.1.2.3:2375', 'ssh://me@board.local', 'tcp://[fd00::2]:2375', 'unix:///var/run/docker.sock'].map(
        hostOf,
      ),
    ).toEqual(['10.1.2.3', 'board.local', 'fd00::2', undefined]);
  });
});
