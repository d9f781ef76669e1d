import type { Platform } from '../platform/platform.js';

/** A file fetched on the host and handed to the build; checksum per platform when the URL varies. */
export interface SourceSpec {
  /** File name inside the build context (`sources/<file>`). */
  file: string;
  /** May contain {debian_arch}, {arch}, {version}; expanded per platform. */
  url: string;
  /** One digest for all platforms, or one per canonical platform string. */
  sha256: string | Record<string, string>;
}

/** Run a command in the image (entrypoint replaced) and match its output... */
export interface SmokeCommand {
  name: string;
  run: string[];
  /** Regular expression the combined output must match. */
  expect: string;
}

/** ...or start the image and GET a path on a port, matching the response body. */
export interface SmokeHttp {
  name: string;
  http: { port: number; path: string };
  expect: string;
}

export type SmokeCheck = SmokeCommand | SmokeHttp;

export const STRATEGY_NAMES = ['single', 'multistage', 'minimal'] as const;
export type Strategy = (typeof STRATEGY_NAMES)[number];

/** What a recipe says about one strategy: supported (with extra paths to keep) or why not. */
export type StrategySupport = { keep: string[] } | { unsupported: string };

export interface Recipe {
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
  sources: SourceSpec[];
  /** Files next to the recipe (recipes/NAME/…), copied into the build context at /src. */
  files: string[];
  strategies: Partial<Record<Strategy, StrategySupport>>;
  build: { packages: string[]; steps: string[] };
  runtime: { packages: string[]; keep: string[] };
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  /** As EXPOSE takes them: 8080/tcp, 5683/udp. */
  ports: string[];
  smoke: SmokeCheck[];
}
