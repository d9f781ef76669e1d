/**
 * The rules a recipe's text values follow: each a pattern, with the words an error uses to say
 * what was expected and how to write it. The loader checks values against them (src/recipe/
 * shape.ts says which key takes which) and the JSON Schema for editors is generated from the same
 * objects (src/recipe/schema.ts), so the two cannot disagree on a pattern.
 */
import semver from 'semver';
import { SIZE_RE } from '../util/size.js';

// semver's own tokens (exported, though its type declarations leave them out).
const { src: SEMVER_SRC, tokens: SEMVER_TOKENS } = semver as unknown as {
  src: string[];
  tokens: Record<string, number>;
};

/** JSON types a YAML value can have once parsed; the schema's `type`. */
export type JsonType = 'string' | 'number' | 'integer' | 'boolean';

export interface Rule {
  re: RegExp;
  /** What the value was expected to be, as an error says it: `"x" is not WHAT`. */
  what: string;
  /** How to write it, when the error says more. */
  fix?: string;
  /**
   * The YAML types the loader accepts here, which reads every scalar as it was written: an
   * unquoted `8080` is a number to YAML and "8080" to the loader. Default: strings only.
   */
  json?: readonly JsonType[];
  /** The range of an unquoted number: the pattern allows no sign, and only so many digits. */
  minimum?: number;
  maximum?: number;
  /** The values the pattern allows, when it is a closed list (editors offer them). */
  values?: readonly string[];
}

/** A rule whose values are a closed list. */
function oneOf(values: readonly string[], what: string): Rule {
  return {
    re: new RegExp(`^(${values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`),
    what,
    values,
  };
}

// Control characters (but tab and line feed, which the rules of each field decide on) have no
// place in any recipe value: a NUL, for one, would go raw into a LABEL.
export const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
/** A path segment "..": a path with one could leave the directory it names something in. */
export const DOT_DOT = /(^|\/)\.\.(\/|$)/;
/** "/", "//", …: a cache mount there would hide the whole build stage. */
export const ROOT = /^\/+$/;

const SCALAR: readonly JsonType[] = ['string', 'number', 'boolean'];
/** Free text: any scalar, as written, without control characters. */
export const TEXT: Rule = {
  re: new RegExp(`^[^${CONTROL.source.slice(1, -1)}]*$`),
  what: 'printable text (no control characters)',
  json: SCALAR,
};
/**
 * Values that become ENV or LABEL lines: a line break would end the instruction. Free text
 * without a line feed (the loader finds the other control characters first, and names them).
 */
export const ONE_LINE: Rule = {
  re: new RegExp(`^[^${CONTROL.source.slice(1, -1)}\\n]*$`),
  what: 'text on one line',
  json: SCALAR,
};

export const ABS = 'an absolute path without spaces or shell characters';
const PATH_RE = /^\/[A-Za-z0-9._+@/-]*$/;
const REL_RE = /^[A-Za-z0-9._+@-][A-Za-z0-9._+@/-]*$/;
const URL_RE = /^(https?|file):\/\/\S+$/;
const PKG_VERSION_RE = /^[a-z0-9][a-z0-9+.-]+=(\d+:)?[A-Za-z0-9.+~-]+$/;
const WORD_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DIGITS = (n: number, what: string, fix?: string): Rule => ({
  re: new RegExp(`^\\d{1,${n}}$`),
  what,
  ...(fix ? { fix } : {}),
  json: ['string', 'integer'],
  minimum: 0,
  maximum: 10 ** n - 1,
});

export const RULES = {
  oneLine: ONE_LINE,
  name: { re: /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, what: 'a lowercase name (letters, digits, . _ -)' },
  /** semver's own pattern: what semver.valid, which the loader asks, accepts. */
  version: {
    re: new RegExp(SEMVER_SRC[SEMVER_TOKENS.FULL!]!),
    what: 'semantic versioning',
    fix: 'write MAJOR.MINOR.PATCH, e.g. 1.0.20',
  },
  // Debian policy 5.6.1, with an optional :arch.
  package: {
    re: /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9]+)?$/,
    what: 'a Debian package name (lowercase letters, digits, + . -)',
    fix: 'write the name apt lists, e.g. libssl3 or python3-flask; an architecture goes after a colon: gcc:arm64',
  },
  absPath: { re: PATH_RE, what: ABS },
  workdir: { re: PATH_RE, what: 'an absolute path' },
  imagePath: { re: PATH_RE, what: `${ABS}, where the file goes in the image` },
  recipeFile: { re: REL_RE, what: "a path relative to the recipe's directory" },
  repoPath: { re: REL_RE, what: 'a path inside the repository (relative, no spaces or shell characters)' },
  file: { re: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/, what: 'a plain file name (no "/" or "..")' },
  envKey: { re: /^[A-Za-z_][A-Za-z0-9_]*$/, what: 'an environment variable name' },
  // Label keys as the OCI image spec recommends: reverse-DNS, lowercase.
  labelKey: { re: /^[a-z0-9]+([.-][a-z0-9]+)*$/, what: 'a label key in reverse-DNS form (org.example.thing)' },
  // Build secret ids: they become /run/secrets/ID inside build steps.
  secretId: { re: /^[a-z][a-z0-9_-]{0,63}$/, what: 'a secret id (lowercase letters, digits, _ and -)' },
  user: {
    re: /^([a-z_][a-z0-9_-]*|\d+)(:([a-z_][a-z0-9_-]*|\d+))?$/,
    what: 'a user name or uid, optionally :group',
    json: ['string', 'integer'],
    minimum: 0,
  },
  port: {
    re: /^\d{1,5}(\/(tcp|udp))?$/,
    what: 'a port number, optionally /tcp or /udp',
    fix: 'e.g. 8080 or 5683/udp',
    json: ['string', 'integer'],
    minimum: 0,
    maximum: 99999,
  },
  tcpPort: DIGITS(5, 'a TCP port number'),
  retries: DIGITS(3, 'a number of retries'),
  duration: { re: /^\d+(ms|s|m|h)$/, what: 'a duration such as 30s, 500ms or 1m' },
  size: {
    re: SIZE_RE,
    what: 'a size',
    fix: 'write e.g. 60MB, 1.5GB, 512KiB or a byte count',
    json: ['string', 'number'],
    minimum: 0,
  },
  flag: { ...oneOf(['true', 'false'], 'true or false'), json: ['boolean'] },
  /**
   * A build step is one shell command line of a RUN instruction: a line break would end it and
   * start an instruction of the recipe's own, a trailing backslash would continue it into the
   * template's next line, and a heredoc marker (<<WORD) would make BuildKit read the template's
   * next lines as its body.
   */
  step: {
    re: /^(?!.*<<)[^\r\n]*[^\s\\]\s*$/,
    what: 'one shell command line (no line break, no trailing backslash, no << heredoc); put a longer script in files: and run it',
  },
  shell: { re: /\S/, what: 'a shell script' },
  urlPath: { re: /^\/\S*$/, what: 'a URL path starting with /' },
  sha256: { re: /^[a-f0-9]{64}$/, what: '64 lowercase hex digits' },
  md5: { re: /^[a-f0-9]{32}$/, what: '32 lowercase hex digits' },
  url: { re: URL_RE, what: 'an http(s):// or file:// URL' },
  unpack: oneOf(['gzip', 'bzip2', 'xz'], 'one of gzip, bzip2, xz'),
  gitUrl: { re: /^(https?|ssh|git|file):\/\/\S+$/, what: 'a repository URL (https://, ssh://, git://, file://)' },
  commit: {
    re: /^([a-f0-9]{40}|[a-f0-9]{64})$/,
    what: 'a full commit id (40 lowercase hex digits); a branch or tag can move',
  },
  debianPackage: { re: PKG_VERSION_RE, what: 'PACKAGE=VERSION, e.g. dlib=19.24+dfsg-1' },
  archive: { re: URL_RE, what: 'an http(s):// or file:// URL of a Debian archive' },
  debianComponent: oneOf(
    ['main', 'contrib', 'non-free', 'non-free-firmware'],
    'main, contrib, non-free or non-free-firmware',
  ),
  aptRepo: { re: URL_RE, what: 'the repository URL (where dists/ and pool/ are)' },
  suite: { re: WORD_RE, what: 'a suite name, e.g. stable' },
  component: { re: WORD_RE, what: 'a component name, e.g. main' },
  aptPackage: { re: PKG_VERSION_RE, what: 'PACKAGE=VERSION, e.g. tensorflow-model-server=2.8.0' },
  key: { re: URL_RE, what: "the URL of the repository's signing key" },
  fingerprint: { re: /^[0-9A-Fa-f]{40}$/, what: "the signing key's fingerprint: 40 hex digits, no spaces" },
} satisfies Record<string, Rule>;
