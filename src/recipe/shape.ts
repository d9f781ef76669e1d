/**
 * What a recipe may hold, as data: every mapping's keys (with what each means), which are
 * required, and the rule each value follows. The loader (load.ts, load-sources.ts) takes its key
 * lists and rules from here, and `npm run schema` turns the same tree into
 * schema/recipe.schema.json (schema.ts), so editors complete and check recipes as mab does.
 * What the loader checks across fields (a platform's digest present for every platform, say)
 * stays in the loader; schema.ts lists those rules.
 */
import { DOT_DOT, ROOT, RULES, type JsonType, type Rule } from './rules.js';
import { STRATEGY_SECTIONS, type SourceSpec, type StrategySection } from './types.js';

/** A scalar: checked by `rule` (free text when none), never matching any of `refuse`. */
export interface Text {
  kind: 'text';
  rule?: Rule;
  refuse?: readonly RegExp[];
  /** The YAML types it may have, when not the rule's. */
  json?: readonly JsonType[];
}
export interface List {
  kind: 'list';
  of: Value;
  nonEmpty?: boolean;
}
export interface Field {
  /** What the key means, for people: editors show it on hover. */
  doc: string;
  value: Value;
}
export interface Mapping {
  kind: 'mapping';
  keys: Record<string, Field>;
  required?: readonly string[];
  /** Exactly one of these keys must be there. */
  exactlyOne?: readonly string[];
  /** At least one of these keys must hold a value of one of these types. */
  someOf?: { keys: readonly string[]; json: readonly ('object' | 'null')[] };
}
/** A mapping whose keys are the user's (platforms, variable names), each value alike. */
export interface Dict {
  kind: 'dict';
  key: Rule | 'platform';
  of: Value;
}
export interface Either {
  kind: 'either';
  of: readonly Value[];
}
/** A platform in any spelling mab reads (arm64, aarch64, linux/arm/v7). */
export interface PlatformName {
  kind: 'platform';
}
/** A key written with no value (`multistage:`). */
export interface Empty {
  kind: 'empty';
}
/** `name`: the schema writes it once, under definitions, and refers to it (parts used twice). */
export type Value = (Text | List | Mapping | Dict | Either | PlatformName | Empty) & { name?: string };

const text = (rule?: Rule, extra: Partial<Text> = {}): Text => ({ kind: 'text', ...(rule ? { rule } : {}), ...extra });
const list = (of: Value, extra: Partial<List> = {}): List => ({ kind: 'list', of, ...extra });
const field = (doc: string, value: Value): Field => ({ doc, value });
const texts = (rule?: Rule) => list(text(rule));
const inside = (rule: Rule) => text(rule, { refuse: [DOT_DOT] });

/** The names of a mapping's keys, in the order written here (errors list them so). */
export function keysOf(m: Mapping): string[] {
  return Object.keys(m.keys);
}

/** The rule of a key's text, or of its list's items, or of its first text alternative. */
export function ruleOf(m: Mapping, key: string): Rule | undefined {
  const find = (v: Value): Rule | undefined =>
    v.kind === 'text'
      ? v.rule
      : v.kind === 'list'
        ? find(v.of)
        : v.kind === 'either'
          ? v.of.map(find).find(Boolean)
          : undefined;
  const f = m.keys[key];
  if (!f) throw new Error(`the recipe shape has no key "${key}"`);
  return find(f.value);
}

const PACKAGES = texts(RULES.package);
const PATHS = list(inside(RULES.absPath));
const STEPS = texts(RULES.step);
const ARGV = texts();
const FLAG: Text = text(RULES.flag);
const DIGEST = (rule: Rule, what: string): Value => ({
  kind: 'either',
  of: [text(rule), { kind: 'dict', key: 'platform', of: text(rule) }],
  name: what,
});
const SHA256 = DIGEST(RULES.sha256, 'sha256');
const MD5 = DIGEST(RULES.md5, 'md5');
const PIN = ['sha256', 'md5'] as const;

export const BUILD: Mapping = {
  kind: 'mapping',
  keys: {
    packages: field('Debian packages for the build stage.', PACKAGES),
    steps: field(
      'Shell commands run in the build stage, in /src, one RUN each. Each is one command line: no line break, trailing backslash or << heredoc (a longer script goes in files: and a step runs it).',
      STEPS,
    ),
    caches: field(
      "Absolute directories the build steps reuse from one build to the next, such as Go's /root/.cache/go-build: BuildKit cache mounts, kept per recipe and architecture, in no layer. A step must work with an empty one.",
      list(text(RULES.absPath, { refuse: [DOT_DOT, ROOT] })),
    ),
  },
};

export const RUNTIME: Mapping = {
  kind: 'mapping',
  keys: {
    packages: field('Debian packages for the runtime stage.', PACKAGES),
    keep: field('Absolute paths copied from the build stage into the runtime image.', PATHS),
  },
  required: ['keep'],
};

export const HTTP_PROBE: Mapping = {
  kind: 'mapping',
  keys: {
    port: field('The TCP port the image listens on; mab publishes it on 127.0.0.1.', text(RULES.tcpPort)),
    path: field('The path to GET (default /).', text(RULES.urlPath)),
  },
  required: ['port'],
};

export const SMOKE_CHECK: Mapping = {
  kind: 'mapping',
  keys: {
    name: field('What reports call the check (default: its command).', text()),
    run: field(
      'A command run in the image, entrypoint replaced, as a full argument list.',
      list(text(), { nonEmpty: true }),
    ),
    shell: field(
      "A script run with mab's helper shell (busybox, copied into the check's container, never into the image), under set -eo pipefail: for images with no shell of their own. Other commands are the image's, from its PATH.",
      text(RULES.shell),
    ),
    http: field('Start the image and GET a path on a port until it answers; expect matches the body.', HTTP_PROBE),
    expect: field('A JavaScript regular expression the combined output (or the HTTP body) must match.', text()),
    slow: field('A workload rather than a quick check: it runs only with mab build --smoke all.', FLAG),
  },
  required: ['expect'],
  exactlyOne: ['run', 'shell', 'http'],
};

const fileField = (doc: string) => field(doc, text(RULES.file));
const unpackField = field('Decompress the file on the host before the build sees it.', text(RULES.unpack));
const sha256Field = (of: string) =>
  field(
    `The sha256 of ${of}: one digest, or one per platform (platform: digest) when the URL differs by platform.`,
    SHA256,
  );
const md5Field = field(
  'The md5, in place of sha256 where upstream publishes only that. It does not stop a crafted file, so mab prints the sha256 of what it fetched, to pin instead.',
  MD5,
);
const urlDoc =
  'Where to fetch it: http(s):// or file://. {debian_arch} (amd64, arm64, armhf), {arch} (amd64, arm64, arm-v7) and {version} are expanded per platform.';

/** The kinds of source, each named by the key that gives its origin. */
export const SOURCE_KINDS = {
  url: {
    kind: 'mapping',
    keys: {
      file: fileField('The file name under /src in the build stage.'),
      url: field(urlDoc, text(RULES.url)),
      sha256: sha256Field('the file'),
      md5: md5Field,
      unpack: unpackField,
    },
    required: ['url', 'file'],
    exactlyOne: PIN,
  },
  git: {
    kind: 'mapping',
    keys: {
      file: fileField('The directory under /src the tree goes to.'),
      git: field('The repository URL: https://, ssh://, git:// or file://.', text(RULES.gitUrl)),
      commit: field(
        'The full commit id: it pins the tree, since git checks every object against it (a branch or tag can move).',
        text(RULES.commit),
      ),
      paths: field(
        'Only these paths of the repository: quicker for a large one, and it works from a mirror that lacks files elsewhere.',
        list(inside(RULES.repoPath), { nonEmpty: true }),
      ),
    },
    required: ['git', 'file', 'commit'],
  },
  debian: {
    kind: 'mapping',
    keys: {
      file: fileField('The directory under /src for the .dsc and its files (default: the package name).'),
      debian: field(
        'A Debian source package as PACKAGE=VERSION; unpack it in a build step with dpkg-source -x /src/PACKAGE/*.dsc.',
        text(RULES.debianPackage),
      ),
      sha256: field("The sha256 of the package's .dsc file; the .dsc pins every file it lists.", text(RULES.sha256)),
      archive: field('The Debian archive to fetch from (default http://deb.debian.org/debian).', text(RULES.archive)),
      component: field('The archive component (default main).', text(RULES.debianComponent)),
    },
    required: ['debian', 'sha256'],
  },
  apt: {
    kind: 'mapping',
    keys: {
      file: fileField('The file name under /src for the .deb.'),
      apt: field('The URL of a signed apt repository (where dists/ and pool/ are).', text(RULES.aptRepo)),
      suite: field('The suite, e.g. stable.', text(RULES.suite)),
      component: field('The component, e.g. main.', text(RULES.component)),
      package: field('The binary package as PACKAGE=VERSION.', text(RULES.aptPackage)),
      key: field("The URL of the repository's signing key.", text(RULES.key)),
      fingerprint: field(
        "The signing key's primary fingerprint (40 hex digits): it pins the key, the key's signature pins the index, the index pins the .deb.",
        text(RULES.fingerprint),
      ),
    },
    required: ['apt', 'file', 'suite', 'component', 'package', 'key', 'fingerprint'],
  },
} as const satisfies Record<SourceSpec['kind'], Mapping>;

export const ARTIFACT: Mapping = {
  kind: 'mapping',
  keys: {
    file: fileField('The file name, as fetched and cached.'),
    url: field(urlDoc, text(RULES.url)),
    sha256: sha256Field('the file'),
    md5: md5Field,
    unpack: unpackField,
    path: field('Where the file goes in the image: an absolute path.', inside(RULES.imagePath)),
  },
  required: ['file', 'url', 'path'],
  exactlyOne: PIN,
};

/** The parts of a recipe an override may replace for one platform, each as a whole. */
const PARTS: Record<string, Field> = {
  sources: field(
    'Fetched on the host, checked, and placed at /src/FILE in the build stage: a file (url and sha256), a git tree (git and commit), a Debian source package (debian and the sha256 of its .dsc) or a package from a signed apt repository (apt and the fingerprint of its key).',
    { kind: 'list', of: { kind: 'either', of: Object.values(SOURCE_KINDS) }, name: 'sources' },
  ),
  artifacts: field(
    'Data files (models, datasets) fetched on the host like url sources and copied to their path in the final image, one layer each.',
    { kind: 'list', of: ARTIFACT, name: 'artifacts' },
  ),
  build: field('The build stage: its packages, steps and caches.', { ...BUILD, name: 'build' }),
  runtime: field('The runtime stage: its packages and the paths kept from the build stage.', {
    ...RUNTIME,
    name: 'runtime',
  }),
  entrypoint: field("The image's entrypoint in exec form: a list, never parsed by a shell.", ARGV),
  cmd: field("The image's default arguments (CMD) in exec form.", ARGV),
  env: field('Environment variables of the image.', {
    kind: 'dict',
    key: RULES.envKey,
    of: text(RULES.oneLine),
    name: 'env',
  }),
  smoke: field(
    "Checks run in every built image: run (a command), shell (a script for mab's helper shell) or http (a port and path to GET), and expect (a regular expression over the output or body).",
    { kind: 'list', of: SMOKE_CHECK, name: 'smoke' },
  ),
};

export const OVERRIDE: Mapping = { kind: 'mapping', keys: PARTS };

const KEEP = field('Extra paths to keep in the image for this strategy, beside runtime.keep.', PATHS);
export const STRATEGY: Mapping = { kind: 'mapping', keys: { keep: KEEP } };
export const CROSS: Mapping = {
  kind: 'mapping',
  keys: {
    keep: KEEP,
    packages: field('Debian packages of the target architecture (-dev libraries), installed as NAME:ARCH.', PACKAGES),
    tools: field('Debian packages that run on the build platform (pkg-config, python3).', PACKAGES),
    toolchain: field(
      'Install the C/C++ cross toolchain (crossbuild-essential-ARCH; build-essential when native).',
      FLAG,
    ),
    steps: field(
      'Build steps that run on the build platform and produce code for the target: they find CC, CXX, PKG_CONFIG, DEB_HOST_ARCH, DEB_HOST_GNU_TYPE, GOOS and GOARCH set for it.',
      STEPS,
    ),
  },
  required: ['steps'],
};

const REASON: Text = text(undefined, { json: ['string'] });
const strategy = (doc: string): Field =>
  field(`${doc} A mapping (or nothing: "multistage:") says it is supported; a string says why it is not.`, {
    kind: 'either',
    of: [{ kind: 'empty' }, REASON, { ...STRATEGY, name: 'strategy' }],
  });

export const STRATEGIES: Mapping = {
  kind: 'mapping',
  keys: {
    single: strategy('One stage on debian:bookworm: build tools, sources and runtime packages all in the image.'),
    multistage: strategy(
      'Build on debian:bookworm, run on debian:bookworm-slim with runtime.packages and the kept paths.',
    ),
    minimal: strategy(
      'Run on scratch: the kept paths, every shared library their ELF files load and the dynamic loader; no shell, no package manager.',
    ),
    cross: field(
      'Build on the build platform for the target, emulating nothing (the multistage shape; with minimal also minimal-cross). Its own steps are required; a string says why it is not supported.',
      { kind: 'either', of: [REASON, CROSS] },
    ),
  } satisfies Record<StrategySection, Field>,
  someOf: { keys: STRATEGY_SECTIONS, json: ['object', 'null'] },
};

export const HEALTHCHECK: Mapping = {
  kind: 'mapping',
  keys: {
    run: field('The command, as a list (exec form).', list(text(), { nonEmpty: true })),
    interval: field('Time between checks: 30s, 500ms, 1m.', text(RULES.duration)),
    timeout: field('Time one check may take.', text(RULES.duration)),
    retries: field('Failures in a row before the container counts as unhealthy.', text(RULES.retries)),
  },
  required: ['run'],
};

const platformDict = (of: Value): Dict => ({ kind: 'dict', key: 'platform', of });
const ONE_LINE = text(RULES.oneLine);
const SIZE = text(RULES.size);

export const RECIPE: Mapping = {
  kind: 'mapping',
  keys: {
    name: field(
      'A lowercase name (letters, digits, . _ -); images are mab/NAME:VERSION-ARCH locally.',
      text(RULES.name),
    ),
    version: field(
      'The semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.20): the image index is tagged with it and latest.',
      text(RULES.version),
    ),
    description: field('Becomes the org.opencontainers.image.description label.', ONE_LINE),
    homepage: field('Becomes the org.opencontainers.image.url label.', ONE_LINE),
    license: field('Becomes the org.opencontainers.image.licenses label (an SPDX expression).', ONE_LINE),
    platforms: field(
      'The platforms the recipe supports, in any spelling: arm64, aarch64, linux/arm/v7, armhf, amd64/v3.',
      list({ kind: 'platform' }, { nonEmpty: true }),
    ),
    unsupported: field(
      'Platforms the recipe does not support, each with the reason mab gives when asked to build for it.',
      platformDict(text()),
    ),
    overrides: field(
      "Per platform, the parts that differ there (sources, artifacts, build, runtime, entrypoint, cmd, env, smoke): each replaces the recipe's value on that platform, as a whole.",
      platformDict(OVERRIDE),
    ),
    files: field(
      "Files of the recipe's own directory (recipes/NAME/ beside the recipe), copied into the build context at /src.",
      list(inside(RULES.recipeFile)),
    ),
    strategies: field(
      'The build strategies the recipe supports, or why not. Default: single and multistage. cross takes its own steps.',
      STRATEGIES,
    ),
    workdir: field("The image's working directory.", text(RULES.workdir)),
    user: field('The user the image runs as: a name or uid, optionally :group.', text(RULES.user)),
    ports: field('Ports the image exposes (EXPOSE): 8080 (TCP) or 5683/udp.', texts(RULES.port)),
    labels: field(
      'Extra image labels, with reverse-DNS keys, beside the org.opencontainers.image.* ones mab derives.',
      {
        kind: 'dict',
        key: RULES.labelKey,
        of: ONE_LINE,
      },
    ),
    healthcheck: field("Docker's HEALTHCHECK, in exec form.", HEALTHCHECK),
    max_size: field(
      'A download-size budget that mab report checks: one size for every platform (60MB, 1.5GB, 512KiB, a byte count; MB = 10^6 bytes, MiB = 2^20), or one per platform.',
      { kind: 'either', of: [SIZE, platformDict(SIZE)] },
    ),
    secrets: field(
      'Build secrets by id: each build step reads one as the file /run/secrets/ID (a BuildKit secret mount: in no layer, ARG, ENV, label or history). mab build --secret id=ID,env=VAR or --secret id=ID,src=FILE supplies it.',
      texts(RULES.secretId),
    ),
    ...PARTS,
  },
  required: ['name', 'version', 'platforms', 'entrypoint'],
};
