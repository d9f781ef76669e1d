/**
 * OpenFace's runtime packages on arm64 (test/fixtures/recipes/ofruntime.yaml): the `cross` image,
 * whose packages were unpacked on the build platform, against the `multistage` image, whose
 * packages apt installed under QEMU with every maintainer script run, file by file. Without
 * dlib's module, whose emulated build takes hours; the module is the same compiled code in both
 * strategies and is checked on arm64 by openface-cross.test.ts. Cold, the emulated install takes
 * about ten minutes on 2 cores.
 */
import { describe, expect, it } from 'vitest';
import { ROOT, crossAgainstMultistage, mab } from '../engine/helpers.js';

const only = process.env.MAB_HEAVY_RECIPES?.split(',');
const skip = only && !only.includes('openface');

describe.skipIf(skip)('OpenFace\'s runtime packages on arm64, cross against emulated multistage', () => {
  it('hold the same files, but for what only maintainer scripts and triggers make', async () => {
    for (const strategy of ['cross', 'multistage']) {
      const r = await mab(['build', 'ofruntime', '--recipes', `${ROOT}/test/fixtures/recipes`, '--arch', 'arm64', '--strategy', strategy, '--rerun-smoke', '--json', '--quiet']);
      expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    }
    const d = await crossAgainstMultistage((strategy) => `mab/ofruntime:1.0.0-${strategy}-arm64`, 'linux/arm64');
    // What openface-cross.test.ts explains on amd64 (but mysql-common's), for aarch64: the MIME database,
    // gdk-pixbuf's loader cache, fontconfig's cache and its debconf-chosen links, directories made
    // for local additions, adduser's lock, init-script links, config files written from templates
    // (python3's debian_config, odbcinst.ini, readline's inputrc), group-file backups, apt/dpkg
    // logs and ldconfig's cache.
    const explained = new RegExp('^(usr/local/share/fonts/|usr/share/mime/.*|var/cache/fontconfig/.*|etc/fonts/conf\\.d/.*'
      + '|usr/lib/aarch64-linux-gnu/gdk-pixbuf-2\\.0/2\\.10\\.0/loaders\\.cache|run/adduser'
      + '|etc/rcS\\.d/.*|etc/python3/.*|var/lib/python/.*|usr/local/lib/python3\\.11/(dist-packages/)?|etc/odbcinst\\.ini|etc/inputrc|etc/gshadow-'
      + '|var/cache/ldconfig/aux-cache|var/log/.*)$');
    expect(d.onlyMulti.filter((f) => !explained.test(f)), 'only in multistage').toEqual([]);
    // ldconfig's trigger removes libtorch's dangling SONAME links to libraries Debian does not
    // ship; py3compile fails on a test file in a legacy encoding that compileall reads.
    const extra = /^(var\/lib\/apt\/lists\/(lock|partial\/)|usr\/lib\/aarch64-linux-gnu\/libcaffe2_\w+\.so\.1\.13|usr\/lib\/python3\/dist-packages\/joblib\/test\/__pycache__\/test_func_inspect_special_encoding\.cpython-311\.pyc)$/;
    expect(d.onlyCross.filter((f) => !extra.test(f)), 'only in cross').toEqual([]);
    expect(d.files).toBeGreaterThan(20000);
    expect(d.madeCross, 'alternatives, trigger interests and CA links').toBe(d.madeMulti);
  }, 2 * 3600_000);
});
