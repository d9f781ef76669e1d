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

export interface SmokeCheck {
  name: string;
  /** Full argv run in the image (entrypoint replaced). */
  run: string[];
  /** Regular expression the combined output must match. */
  expect: string;
}

export interface Recipe {
  /** Path of the YAML file, for messages. */
  file: string;
  name: string;
  version: string;
  description?: string;
  homepage?: string;
  license?: string;
  platforms: Platform[];
  sources: SourceSpec[];
  build: { packages: string[]; steps: string[] };
  runtime: { packages: string[]; keep: string[] };
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir?: string;
  smoke: SmokeCheck[];
}
