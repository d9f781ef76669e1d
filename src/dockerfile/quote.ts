import { MabError } from '../errors.js';

/**
 * A double-quoted Dockerfile word: backslash, quote and `$` escaped, so ENV and LABEL values are
 * taken literally (Dockerfile variable substitution would otherwise expand `$X`).
 */
export function dockerQuote(value: string, what: string): string {
  if (/[\r\n]/.test(value))
    throw new MabError('E_QUOTE', `${what} contains a line break: "${value}"`, 'write it on one line');
  return '"' + value.replace(/[\\"$]/g, (c) => '\\' + c) + '"';
}

/** Exec-form JSON array for ENTRYPOINT/CMD: no shell ever parses it. */
export function execForm(argv: string[]): string {
  return JSON.stringify(argv);
}
