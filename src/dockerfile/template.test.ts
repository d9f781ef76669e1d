import { describe, expect, it } from 'vitest';
import { renderTemplate } from './template.js';

describe('renderTemplate', () => {
  it('substitutes variables', () => {
    expect(renderTemplate('FROM {{base}} AS build\n', { base: 'debian:bookworm' })).toBe(
      'FROM debian:bookworm AS build\n',
    );
  });
  it('repeats list sections and drops standalone tag lines', () => {
    const t = 'A\n{{#steps}}\nRUN {{.}}\n{{/steps}}\nB\n';
    expect(renderTemplate(t, { steps: ['make', 'make install'] })).toBe('A\nRUN make\nRUN make install\nB\n');
    expect(renderTemplate(t, { steps: [] })).toBe('A\nB\n');
  });
  it('keeps a section once for a non-empty string or true, drops it otherwise', () => {
    const t = '{{#pkgs}}\nRUN install {{pkgs}}\n{{/pkgs}}\nEND\n';
    expect(renderTemplate(t, { pkgs: 'a b' })).toBe('RUN install a b\nEND\n');
    expect(renderTemplate(t, { pkgs: '' })).toBe('END\n');
    expect(renderTemplate(t, { pkgs: undefined })).toBe('END\n');
    expect(renderTemplate('{{#f}}yes{{/f}}', { f: true })).toBe('yes');
    expect(renderTemplate('{{#f}}yes{{/f}}', { f: false })).toBe('');
  });
  it('fails on an unknown variable, naming it', () => {
    expect(() => renderTemplate('FROM {{bsae}}', { base: 'x' }, 't.Dockerfile')).toThrow(
      /t\.Dockerfile: unknown variable \{\{bsae\}\}/,
    );
  });
  it('inserts a value as it is, never reading it again as template text', () => {
    const t = '{{#steps}}\nRUN {{.}}\n{{/steps}}\nCOPY {{keep}} /\n';
    expect(renderTemplate(t, { steps: ['echo {{keep}}', 'echo {{#steps}}x{{/steps}}'], keep: '/out/' })).toBe(
      'RUN echo {{keep}}\nRUN echo {{#steps}}x{{/steps}}\nCOPY /out/ /\n',
    );
    expect(renderTemplate('LABEL a={{a}} b={{b}}\n', { a: '{{b}}', b: 'x' })).toBe('LABEL a={{b}} b=x\n');
  });
  it('fails when a list is used as text', () => {
    expect(() => renderTemplate('RUN {{steps}}', { steps: ['a'] })).toThrow(/is a list/);
  });
});
