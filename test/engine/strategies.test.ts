/**
 * The build strategies on the real engine, for the C, Go, Python and Node.js endpoints and the
 * CoAP service, on amd64 and arm64: every image passes its smoke check, `minimal` really is
 * minimal (no shell, nothing but the program and what it loads), and the sizes fall in the order
 * the strategies promise. The C rows reproduce seed 003's Table 3 shape.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { supportedStrategies } from '../../src/plan/plan.js';
import { loadRecipeFile } from '../../src/recipe/load.js';
import { ROOT, mab, sh } from './helpers.js';

async function strategiesOf(recipe: string) {
  return supportedStrategies(await loadRecipeFile(path.join(ROOT, 'recipes', `${recipe}.yaml`)));
}

interface Row {
  platform: string;
  smoke: { passed: boolean }[];
  size: { uncompressed: number; compressed: number };
}

const RECIPES = [
  'http-endpoint-c',
  'http-endpoint-go',
  'http-endpoint-python',
  'http-endpoint-node',
  'coap-service',
  'model-serving',
];
const STRATEGIES = Object.fromEntries(await Promise.all(RECIPES.map(async (r) => [r, await strategiesOf(r)] as const)));

describe.each(RECIPES)('%s', (recipe) => {
  const sizes: Record<string, Record<string, number>> = {};

  it.each(STRATEGIES[recipe]!)('builds and smoke-tests %s for amd64 and arm64', async (strategy) => {
    const r = await mab([
      'build',
      recipe,
      '--arch',
      'amd64,arm64',
      '--strategy',
      strategy,
      '--rerun-smoke',
      '--json',
      '--quiet',
    ]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as { strategy: string; platforms: Row[] };
    expect(report.strategy).toBe(strategy);
    for (const p of report.platforms) {
      expect(p.smoke.length > 0 && p.smoke.every((s) => s.passed)).toBe(true);
      (sizes[p.platform] ??= {})[strategy] = p.size.uncompressed;
    }
    console.log(
      `${recipe} ${strategy}: ${report.platforms.map((p) => `${p.platform} ${(p.size.uncompressed / 1e6).toFixed(2)} MB`).join(', ')}`,
    );
  });

  it('sizes: minimal < multistage < single on every platform', () => {
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const s = sizes[platform]!;
      if (s.minimal !== undefined) expect(s.minimal).toBeLessThan(s.multistage!);
      expect(s.multistage).toBeLessThan(s.single!);
      // Same runtime base, same kept files: cross and emulated multistage weigh the same.
      if (s.cross !== undefined) expect(Math.abs(s.cross - s.multistage!) / s.multistage!).toBeLessThan(0.01);
      if (s['minimal-cross'] !== undefined)
        expect(Math.abs(s['minimal-cross'] - s.minimal!) / s.minimal!).toBeLessThan(0.01);
    }
  });

  it.skipIf(!STRATEGIES[recipe]!.includes('minimal'))('minimal has no shell and no package manager', async () => {
    const image = `mab/${recipe}:1.0.0-minimal-arm64`;
    const r = await sh('docker', [
      'run',
      '--rm',
      '--platform',
      'linux/arm64',
      '--entrypoint',
      '/bin/sh',
      image,
      '-c',
      'echo shell',
    ]).catch((e: Error) => e.message);
    expect(r).toMatch(/no such file or directory|not found/i);
    const files = await sh('sh', [
      '-c',
      `cid=$(docker create --platform linux/arm64 ${image}) && docker export $cid | tar -t; docker rm $cid >/dev/null`,
    ]);
    expect(files).not.toMatch(/usr\/bin\/(apt|dpkg|bash)\b/);
    expect(files).toMatch(/ld-linux-aarch64\.so\.1|http-endpoint/);
    expect(files).not.toMatch(/^src\//m); // sources and build tree stay in the build stage
  });
});

/** Every path of the image with its mode and, for a file, its sha256, from docker export (not from mab). */
async function listing(image: string): Promise<string[]> {
  const out = await sh('sh', [
    '-c',
    `d=$(mktemp -d) && cid=$(docker create --platform linux/arm64 ${image}) && docker export $cid | tar -x -C $d && docker rm $cid >/dev/null` +
      ` && cd $d && find . -printf '%p %M %l\\n' | while read -r p m l; do if [ -f "$p" ] && [ ! -L "$p" ]; then echo "$p $m $(sha256sum < "$p" | cut -c1-16)"; else echo "$p $m $l"; fi; done; rm -rf $d`,
  ]);
  return out.split('\n').filter(Boolean).sort();
}

// A minimal image made by the cross method (readelf on the build platform) against the same
// image made under QEMU (ldd): the same paths, modes, links and bytes, but for what each
// compiles itself (a cross gcc and a native one differ by a few bytes).
describe.each(RECIPES.filter((r) => STRATEGIES[r]!.includes('minimal-cross')))('%s: minimal-cross', (recipe) => {
  it('holds the files of the emulated minimal image, byte for byte, for arm64', async () => {
    const [emulated, cross] = await Promise.all([
      listing(`mab/${recipe}:1.0.0-minimal-arm64`),
      listing(`mab/${recipe}:1.0.0-minimal-cross-arm64`),
    ]);
    const compiled = (l: string) => (/^\.\/usr\/local\/bin\//.test(l) ? l.replace(/ [0-9a-f]{16}$/, ' BYTES') : l);
    expect(cross.map(compiled)).toEqual(emulated.map(compiled));
    expect(emulated.length).toBeGreaterThan(5);
  });
});

describe('the C endpoint, as a user runs it', () => {
  it('answers on the published port under arm64 emulation, as a non-root user', async () => {
    const id = (
      await sh('docker', [
        'run',
        '-d',
        '--platform',
        'linux/arm64',
        '-p',
        '127.0.0.1::8080',
        'mab/http-endpoint-c:1.0.0-minimal-arm64',
      ])
    ).trim();
    try {
      const port = (await sh('docker', ['port', id, '8080/tcp'])).trim().split(':').pop();
      let body = '';
      for (let i = 0; i < 40 && !body; i++) {
        body = await fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.text(),
          () => '',
        );
        if (!body) await new Promise((r) => setTimeout(r, 250));
      }
      expect(body).toBe('hello from C\n');
      expect((await sh('docker', ['inspect', '-f', '{{.Config.User}}', id])).trim()).toBe('65534');
      expect(
        (
          await sh('docker', ['image', 'inspect', '-f', '{{.Architecture}}', 'mab/http-endpoint-c:1.0.0-minimal-arm64'])
        ).trim(),
      ).toBe('arm64');
    } finally {
      await sh('docker', ['rm', '-f', id]);
    }
  });
});
