import { describe, expect, it } from 'vitest';
import { commandHelp, needing, parseCommandArgs, type Command } from './command.js';

const cmd: Command = {
  name: 'demo',
  args: 'X',
  description: 'a command to parse against',
  options: {
    arch: { type: 'string', value: 'LIST', aliases: ['platform'], default: 'amd64', description: 'platforms' },
    push: { type: 'string', value: 'REPOSITORY', description: 'where to push' },
    tag: { type: 'string', multiple: true, needs: 'push', description: 'tags' },
    ...needing('push', { 'by-digest': { type: 'boolean', description: 'with --push: by digest' } }),
    'index-format': { type: 'string', default: 'docker', needs: 'push', description: 'format' },
  },
  examples: ['mab demo x'],
  run: async () => 0,
};

describe('parseCommandArgs', () => {
  it('takes an alias as the option it stands for', () => {
    expect(parseCommandArgs(cmd, ['x', '--platform', 'linux/arm64']).opts.arch).toBe('linux/arm64');
    expect(parseCommandArgs(cmd, ['x', '--arch', 'arm64']).opts.arch).toBe('arm64');
    expect(parseCommandArgs(cmd, ['x']).opts.arch).toBe('amd64');
  });

  it('refuses an option given under two of its names, naming both', () => {
    expect(() => parseCommandArgs(cmd, ['--arch', 'arm64', '--platform', 'amd64'])).toThrow(
      /--arch and --platform are the same option/,
    );
  });

  it.each([[['--tag', 'v1']], [['--by-digest']], [['--index-format', 'oci']]])(
    'refuses %j without the option it needs',
    (argv) => {
      expect(() => parseCommandArgs(cmd, argv)).toThrow(/means nothing without --push/);
    },
  );

  it('takes those options with --push, and a default never counts as given', () => {
    const r = parseCommandArgs(cmd, ['--push', 'r/x', '--tag', 'v1', '--by-digest']);
    expect(r.opts).toMatchObject({ push: 'r/x', tag: ['v1'], 'by-digest': true, 'index-format': 'docker' });
    expect(parseCommandArgs(cmd, []).opts['index-format']).toBe('docker');
  });

  it('shows aliases and needs in help', () => {
    const help = commandHelp(cmd, 'demo');
    expect(help).toMatch(/--arch, --platform LIST/);
    expect(help).toMatch(/--tag VALUE +tags \(repeatable\) \(needs --push\)/);
    expect(help).toMatch(/--by-digest +with --push: by digest\n/);
  });
});
