/**
 * `shell:` smoke checks in an image with no shell (http-endpoint-c, minimal: the static binary
 * alone), natively and under QEMU: mab's helper shell (Debian's busybox-static for the image's
 * architecture) runs the pipeline, is not in the image afterwards, and a check whose command is
 * missing fails, in a `shell:` check as in a `run:` one through the image's own sh.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fileList, mab, recipeCopy } from './helpers.js';

let dir: string;
const SMOKE = `smoke:
  - name: only the binary
    shell: 'find / -xdev -type f ! -path "/.mab-smoke/*" ! -path "/etc/*" ! -path "/proc/*" ! -path "/sys/*" | sort'
    expect: '^/usr/local/bin/http-endpoint$'
  - name: it is static
    shell: 'head -c 4 /usr/local/bin/http-endpoint | od -An -c | tr -d " " | grep -c ELF'
    expect: '^1$'
`;

const recipeWith = (smoke: string) => recipeCopy('http-endpoint-c', () => smoke);

beforeAll(async () => {
  dir = await recipeWith(SMOKE);
});

describe('shell: smoke checks', () => {
  it('run pipelines with the helper shell in a minimal image, natively and under QEMU, and leave the image as it was', async () => {
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--recipes',
      dir,
      '--strategy',
      'minimal',
      '--arch',
      'amd64,arm64',
      '--rerun-smoke',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      platforms: { platform: string; image: string; smoke: { name: string; passed: boolean }[] }[];
    };
    for (const p of report.platforms) {
      expect(p.smoke.map((s) => [s.name, s.passed])).toEqual([
        ['only the binary', true],
        ['it is static', true],
      ]);
      // Read by docker export, not by mab: the helper never reached the image.
      const files = await fileList(p.image, p.platform);
      expect(files).toContain('usr/local/bin/http-endpoint');
      expect(files.filter((f) => /mab-smoke|busybox/.test(f))).toEqual([]);
    }
    expect(r.stderr).toMatch(/smoke checks: helper shell busybox 1:1\.35\.\S+ \(arm64\)/);
  });

  it('fail when a command of the check is missing, in shell: and in run: checks', async () => {
    const broken = await recipeWith(`smoke:
  - name: pipeline into a missing program
    shell: 'ls /usr/local/bin | nosuchgrep http'
    expect: ''
`);
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--recipes',
      broken,
      '--strategy',
      'minimal',
      '--arch',
      'arm64',
      '--rerun-smoke',
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('[E_SMOKE]: linux/arm64: 1 of 1 smoke checks failed');
    expect(r.stderr).toMatch(
      /smoke check "pipeline into a missing program" \(.*http-endpoint-c\.yaml:\d+:5\) expected \/\/; output:\n.*nosuchgrep: not found\n\(the check runs nosuchgrep, which is not in the image\)/,
    );

    // The image's own dash: the pipeline's exit status is cat's (0), and the expected text is there.
    const viaDash = await recipeWith(`smoke:
  - name: dash pipeline
    run: [sh, -c, 'echo hello from C; nosuchgrep x | cat']
    expect: 'hello from C'
`);
    const d = await mab([
      'build',
      'http-endpoint-c',
      '--recipes',
      viaDash,
      '--strategy',
      'multistage',
      '--arch',
      'amd64',
      '--rerun-smoke',
    ]);
    expect(d.exitCode).toBe(1);
    // stdout and stderr come interleaved in either order: each line is looked for on its own.
    expect(d.stderr).toMatch(/^sh: 1: nosuchgrep: not found$/m);
    expect(d.stderr).toMatch(/^hello from C$/m);
    expect(d.stderr).toContain('(the check runs nosuchgrep, which is not in the image)');
  });
});
