import type { Platform } from '../platform/platform.js';

/** How a downloaded file is decompressed on the host before it reaches the build. */
export type Unpack = 'gzip' | 'bzip2' | 'xz';

/**
 * Something fetched on the host and handed to the build, in one of three kinds:
 *   url     one file, pinned by sha256 (per platform when the URL varies), or by md5 where that is
 *           all upstream publishes
 *   git     a tree at a commit (the commit id is the pin; git verifies every object)
 *   debian  a Debian source package: its .dsc pinned by sha256, the files it lists by the .dsc's
 *           own Checksums-Sha256
 *   apt     a binary package from a signed apt repository: the signing key pinned by fingerprint,
 *           the rest by the signed index (src/source/apt.ts)
 */
export type SourceSpec =
  | {
      kind: 'url';
      file: string;
      url: string;
      sha256?: string | Record<string, string>;
      md5?: string | Record<string, string>;
      unpack?: Unpack;
    }
  | { kind: 'git'; file: string; url: string; commit: string; paths?: string[] }
  | {
      kind: 'debian';
      file: string;
      package: string;
      version: string;
      archive: string;
      component: string;
      sha256: string;
    }
  | {
      kind: 'apt';
      file: string;
      repo: string;
      suite: string;
      component: string;
      package: string;
      version: string;
      key: string;
      fingerprint: string;
    };

/** A data file (a model, a dataset) fetched like a url source and copied into the image at `path`. */
export interface ArtifactSpec {
  file: string;
  url: string;
  sha256?: string | Record<string, string>;
  md5?: string | Record<string, string>;
  unpack?: Unpack;
  path: string;
}

/** Run a command in the image (entrypoint replaced) and match its output... */
export interface SmokeCommand {
  name: string;
  /** Where the recipe gives it (file:line:col), for errors; not part of what the check does. */
  at?: string;
  /** A workload rather than a quick check: runs only with `--smoke all`. */
  slow?: boolean;
  run: string[];
  /** Regular expression the combined output must match. */
  expect: string;
}

/** ...or start the image and GET a path on a port, matching the response body. */
export interface SmokeHttp {
  name: string;
  at?: string;
  slow?: boolean;
  http: { port: number; path: string };
  expect: string;
}

/**
 * ...or run a script with the helper shell mab brings to the check (Debian's busybox-static for
 * the image's architecture, copied into the check's container, never into the image), so a check
 * can pipe and grep in an image with no shell of its own. Its utilities are busybox's; other
 * commands are the image's, found on its PATH.
 */
export interface SmokeShell {
  name: string;
  at?: string;
  slow?: boolean;
  shell: string;
  expect: string;
}

export type SmokeCheck = SmokeCommand | SmokeShell | SmokeHttp;

/** What a recipe's strategies: may name: a runtime shape, or cross (how to build on the build platform). */
export const STRATEGY_SECTIONS = ['single', 'multistage', 'minimal', 'cross'] as const;
export type StrategySection = (typeof STRATEGY_SECTIONS)[number];

/**
 * A build strategy is a runtime shape built by a method. single, multistage and minimal build on
 * the target platform (natively, or under QEMU); cross (the multistage shape) and minimal-cross
 * build on the build platform with the recipe's strategies.cross, emulating nothing.
 */
export const STRATEGY_NAMES = [...STRATEGY_SECTIONS, 'minimal-cross'] as const;
export type Strategy = (typeof STRATEGY_NAMES)[number];

/**
 * How a recipe builds on the build platform for another (the `cross` strategy): Debian packages of
 * the target architecture (`-dev` libraries), tools that run on the build platform, whether the
 * C/C++ cross toolchain is needed, and the steps (which find $CC, $GOARCH and friends set).
 */
export interface CrossBuild {
  packages: string[];
  tools: string[];
  toolchain: boolean;
  steps: string[];
}

/** What a recipe says about one strategy: supported (with extra paths to keep) or why not. */
export type StrategySupport = { keep: string[]; cross?: CrossBuild } | { unsupported: string };

/** HEALTHCHECK: a command (exec form) and Docker's timing options, as Go durations (30s, 1m). */
export interface Healthcheck {
  run: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
}

/** The parts of a recipe a per-platform override may replace, each as a whole. */
export interface PlatformParts {
  sources: SourceSpec[];
  artifacts: ArtifactSpec[];
  /**
   * caches: directories the build steps reuse from one build to the next (a compiler's cache,
   * Go's build cache), as BuildKit cache mounts: never in a layer, kept per recipe and architecture.
   */
  build: { packages: string[]; steps: string[]; caches: string[] };
  runtime: { packages: string[]; keep: string[] };
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  smoke: SmokeCheck[];
}

export interface Recipe extends PlatformParts {
  /** Path of the YAML file, for messages. */
  file: string;
  name: string;
  version: string;
  description?: string;
  homepage?: string;
  license?: string;
  platforms: Platform[];
  /** Platforms the recipe does not support, with the reason mab gives when asked for one. */
  unsupported: Record<string, string>;
  /** Per canonical platform, the parts that differ there (replacing the recipe's, not merged). */
  overrides: Record<string, Partial<PlatformParts>>;
  /** Files next to the recipe (recipes/NAME/…), copied into the build context at /src. */
  files: string[];
  strategies: Partial<Record<StrategySection, StrategySupport>>;
  workdir?: string;
  user?: string;
  /** Extra image labels, beside the org.opencontainers.image.* ones mab derives. */
  labels: Record<string, string>;
  healthcheck?: Healthcheck;
  /** Download-size budgets by platform ('*': every platform), bytes; `mab report` checks them. */
  maxSize: Record<string, number>;
  /**
   * Build secrets by id (a token for a private package index, say): each build step finds one as
   * the file /run/secrets/ID, mounted by BuildKit for that step only, so it is in no layer, no
   * ARG, ENV or label, and no history. `mab build --secret id=ID,env=VAR|src=FILE` supplies them.
   */
  secrets: string[];
  /** As EXPOSE takes them: 8080/tcp, 5683/udp. */
  ports: string[];
  /** Where the recipe names each Debian package (by name, without an :arch suffix; file:line:col in reading order), for errors found after loading. */
  packageAt?: Record<string, string[]>;
}
