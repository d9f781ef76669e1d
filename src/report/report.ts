/**
 * The size report: for every platform of an image, what a pull downloads and what it unpacks to,
 * each layer with the instruction that made it, which layers the platforms share and which came
 * with the base image, the largest files, and the bytes wasted on files later layers overwrite or
 * delete. The JSON form (`mab report --json`) is this object; docs/reports.md describes it.
 */
import type { Descriptor } from '../oci/types.js';
import type { BuildRecord } from '../store/builds.js';
import { BUILD_ANNOTATIONS } from '../pipeline/export.js';
import { baseLayerCount, type BaseLookup } from './base.js';
import { analyzeLayers, type LayerAnalysis, type LayerRow } from './layers.js';
import type { ImageSource, SourceImage } from './source.js';
import { formatPlatform } from '../platform/platform.js';
import { cleanInstruction, recipeInstruction, type MadeFrom } from '../dockerfile/instruction.js';
import { recipeFor } from '../recipe/for-platform.js';
import { STRATEGY_NAMES, type Recipe, type Strategy } from '../recipe/types.js';

/** What the JSON is, and its version: docs/reports.md describes version 1. */
export const REPORT_KIND = 'mab/size-report';

export interface ReportLayer extends LayerRow {
  /**
   * createdBy without the builder's machinery (BuildKit's `|1 ARG=… /bin/sh -c`, RUN flags), and
   * for an image mab built from a recipe it knows, the template's steps in the recipe's words.
   */
  instruction?: string;
  /** Other platforms of this report with the same layer blob. */
  sharedWith: string[];
  /** It came with the base image (false also when the base is unknown). */
  fromBase: boolean;
}

export interface PlatformReport {
  platform: string;
  manifest: string;
  /** Config + layers as stored: what a pull downloads. */
  compressed: number;
  /** The layers' tar bytes: what the image takes unpacked. */
  uncompressed: number;
  /** Regular files in the final filesystem. */
  finalBytes: number;
  layers: ReportLayer[];
  base?: { name: string; layers: number; compressed: number } | { name: string; unknown: true };
  largest: LayerAnalysis['largest'];
  wasted: LayerAnalysis['wasted'];
  /** From the build, when mab built it into this store. */
  build?: Pick<BuildRecord, 'buildSeconds' | 'smoke' | 'builtAt'>;
}

export interface SizeReport {
  kind: typeof REPORT_KIND;
  schemaVersion: 1;
  target: string;
  source: 'store' | 'registry';
  recipe?: string;
  version?: string;
  strategy?: string;
  platforms: PlatformReport[];
  /** Layers in more than one platform, each counted once. */
  shared: { layers: number; compressed: number };
}

export interface ReportOptions {
  /** The build record of a manifest (store reports). */
  builds?: (manifestDigest: string) => Promise<BuildRecord | undefined>;
  /** Base layers per base name and platform. */
  base?: BaseLookup;
  /** A base to compare with when the build record names none. */
  baseName?: string;
  /** The recipe a build record names, to say the template's steps in its words. */
  recipe?: (name: string) => Promise<Recipe | undefined>;
  top?: number;
}

export async function sizeReport(source: ImageSource, o: ReportOptions = {}): Promise<SizeReport> {
  const owners = new Map<string, Set<string>>();
  const named = (img: SourceImage) => formatPlatform(img.platform);
  for (const img of source.images)
    for (const l of img.layers) owners.set(l.digest, (owners.get(l.digest) ?? new Set()).add(named(img)));
  const platforms: PlatformReport[] = [];
  let first: Pick<SizeReport, 'recipe' | 'version' | 'strategy'> = {};
  for (const img of source.images) {
    const build = await o.builds?.(img.manifest.digest);
    if (build && !first.recipe) first = { recipe: build.recipe, version: build.version, strategy: build.strategy };
    // Each platform is read on its own: what a layer wastes depends on the layers below it.
    const a = await analyzeLayers(img.layers, img.config.history, source.open, { top: o.top ?? 10 });
    const baseName = build?.base ?? o.baseName;
    const baseIds = baseName && o.base ? await o.base(baseName, img.platform) : undefined;
    const fromBase = baseIds ? baseLayerCount(img.config.rootfs.diff_ids, baseIds) : 0;
    const recipe = build && (await o.recipe?.(build.recipe));
    const from: MadeFrom | undefined =
      recipe && build && (STRATEGY_NAMES as readonly string[]).includes(build.strategy)
        ? { recipe: recipeFor(recipe, img.platform), strategy: build.strategy as Strategy }
        : undefined;
    platforms.push({
      platform: named(img),
      manifest: img.manifest.digest,
      compressed: img.configSize + img.layers.reduce((n, l) => n + l.size, 0),
      uncompressed: a.layers.reduce((n, l) => n + l.uncompressed, 0),
      finalBytes: a.finalBytes,
      layers: a.layers.map((l, i) => ({
        ...l,
        ...(l.createdBy ? { instruction: recipeInstruction(cleanInstruction(l.createdBy), from) } : {}),
        sharedWith: [...owners.get(l.digest)!].filter((p) => p !== named(img)),
        fromBase: i < fromBase,
      })),
      ...(baseName
        ? {
            base: baseIds
              ? { name: baseName, layers: fromBase, compressed: sum(img.layers.slice(0, fromBase)) }
              : { name: baseName, unknown: true as const },
          }
        : {}),
      largest: a.largest,
      wasted: a.wasted,
      ...(build ? { build: { buildSeconds: build.buildSeconds, smoke: build.smoke, builtAt: build.builtAt } } : {}),
    });
  }
  const shared = [...owners]
    .filter(([, p]) => p.size > 1)
    .map(([d]) => source.images.flatMap((i) => i.layers).find((l) => l.digest === d)!);
  const ann = source.annotations;
  return {
    kind: REPORT_KIND,
    schemaVersion: 1,
    target: source.name,
    source: source.kind,
    ...(ann[BUILD_ANNOTATIONS.title]
      ? { recipe: ann[BUILD_ANNOTATIONS.title] }
      : first.recipe
        ? { recipe: first.recipe }
        : {}),
    ...(ann[BUILD_ANNOTATIONS.version]
      ? { version: ann[BUILD_ANNOTATIONS.version] }
      : first.version
        ? { version: first.version }
        : {}),
    ...(ann[BUILD_ANNOTATIONS.strategy]
      ? { strategy: ann[BUILD_ANNOTATIONS.strategy] }
      : first.strategy
        ? { strategy: first.strategy }
        : {}),
    platforms,
    shared: { layers: shared.length, compressed: sum(shared) },
  };
}

const sum = (ds: Descriptor[]) => ds.reduce((n, d) => n + d.size, 0);
