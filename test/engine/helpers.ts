import { cp, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { SpdxDocument } from '../../src/supply/sbom.js';
import { engineKind } from '../fixtures/engines.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** A BuildKit step in mab's progress (`[linux/arm64] [2/6] RUN make`, `[linux/arm64] [internal] load …`). */
export const BUILD_STEP = /\[linux\/[^\]]+\] \[(\d+\/\d+|internal)\] /;
export const REGISTRY = '127.0.0.1:5000';

/** A line of mab's plain progress without its time stamp (`[  12.3s] `). */
export const untimed = (line: string) => line.replace(/^\[\s*[\d.]+s\] /, '');

/**
 * The RUN steps of a platform in a --verbose log, in order, each with whether it ran. A step
 * BuildKit answers from its cache says so (`[linux/arm64] [5/6] cached`), unless BuildKit pulled
 * a cached layer under it: then it ends `done in` like a step that ran, and all it printed is
 * the blob's download and extraction. A step that ran prints its command's output or nothing.
 */
export function runSteps(log: string, platform: string): { step: string; text: string; ran: boolean }[] {
  const prefix = `[${platform}] `;
  const mine = log
    .split('\n')
    .map(untimed)
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
  const steps = new Map<string, { text: string; cached: boolean; output: string[] }>();
  let current: string | undefined;
  for (const line of mine) {
    const header = /^\[([^\]]+)\] (.*)$/.exec(line);
    if (header?.[2] === 'cached') {
      const step = steps.get(header[1]!);
      if (step) step.cached = true;
    } else if (header && !header[2]!.startsWith('done in ')) {
      current = /^\d+\/\d+$/.test(header[1]!) ? header[1] : undefined;
      const run = /^RUN (.*)$/.exec(header[2]!);
      if (current && run && !steps.has(current)) steps.set(current, { text: run[1]!, cached: false, output: [] });
    } else if (current && line.startsWith('#')) steps.get(current)?.output.push(line);
  }
  const pulled = (l: string) => /^#\d+ (extracting )?sha256:[0-9a-f]{64}\b/.test(l);
  return [...steps].map(([step, s]) => ({
    step,
    text: s.text,
    ran: !s.cached && !(s.output.length > 0 && s.output.every(pulled)),
  }));
}

/** Runs the mab bin exactly as a user would (compiled, in a child process). */
export async function mab(args: string[], env: NodeJS.ProcessEnv = {}) {
  return execa('node', [path.join(ROOT, 'bin/mab.js'), ...args], {
    reject: false,
    env: { ...process.env, ...env },
    cwd: ROOT,
    stdin: 'ignore',
  });
}

export async function sh(cmd: string, args: string[]) {
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore', all: true });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode}):\n${r.all}`);
  return r.stdout;
}

/**
 * A copy of a shipped recipe (with its files) in a directory of its own, its text rewritten by
 * `edit`: for `--recipes DIR`.
 */
export async function recipeEdited(name: string, edit: (yaml: string) => string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), `mab-${name}-`));
  // A recipe with no files of its own (sysbench) has no directory.
  await cp(path.join(ROOT, 'recipes', name), path.join(d, name), { recursive: true }).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    },
  );
  const text = await readFile(path.join(ROOT, `recipes/${name}.yaml`), 'utf8');
  const edited = edit(text);
  if (edited === text) throw new Error(`recipes/${name}.yaml: the edit changed nothing`);
  await writeFile(path.join(d, `${name}.yaml`), edited);
  return d;
}

/** recipeEdited, with the smoke section (the recipe's last) rewritten by `smoke`, given the recipe's own. */
export async function recipeCopy(name: string, smoke: (own: string) => string): Promise<string> {
  return recipeEdited(name, (text) => text.replace(/^smoke:\n[\s\S]*$/m, (own) => smoke(own)));
}

/** skopeo, a tool mab did not write, reading from the loopback registry. */
export async function skopeoJson<T>(args: string[], ref: string): Promise<T> {
  return JSON.parse(await sh('skopeo', ['inspect', '--tls-verify=false', ...args, `docker://${ref}`])) as T;
}

/**
 * Where the engine the tests run on keeps images: the containerd image store (compressed blobs,
 * the manifest digest as image ID) or its own layer store (overlay2: uncompressed layers).
 */
export async function imageStore(): Promise<'containerd' | 'overlay2'> {
  return (await engineKind({})).endsWith('-containerd') ? 'containerd' : 'overlay2';
}

export const ELF_MACHINE: Record<string, number> = { 'linux/amd64': 62, 'linux/arm64': 183 };

/** e_machine of an ELF file copied out of an image with docker cp (not with mab). */
export async function elfMachine(image: string, platform: string, file: string): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-elf-'));
  const id = (await sh('docker', ['create', '--platform', platform, image])).trim();
  try {
    await sh('docker', ['cp', '-L', `${id}:${file}`, path.join(dir, 'f')]);
    const fh = await open(path.join(dir, 'f'));
    const head = Buffer.alloc(20);
    await fh.read(head, 0, 20, 0);
    await fh.close();
    if (head.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error(`${image}:${file} is not an ELF file`);
    return head.readUInt16LE(18);
  } finally {
    await sh('docker', ['rm', id]);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The packages dpkg-query, run by the engine in the image (not mab), says are installed, or of
 * `packages` only: "NAME VERSION ARCH", sorted, as spdxDebs gives an SBOM's.
 */
export async function dpkgInstalled(image: string, platform: string, packages: string[] = []): Promise<string[]> {
  const format = '${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\\n';
  const out = await sh('docker', [
    'run',
    '--rm',
    '--platform',
    platform,
    '--entrypoint',
    'dpkg-query',
    image,
    '-W',
    '-f',
    format,
    ...packages,
  ]);
  return out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('ii '))
    .map((l) => l.slice(3).trim().replace(/\s+/g, ' '))
    .sort();
}

/** An SBOM's Debian packages: "NAME VERSION ARCH" (the architecture its purl names), sorted. */
export function spdxDebs(doc: SpdxDocument): string[] {
  return doc.packages
    .filter((p) => p.SPDXID !== 'SPDXRef-image')
    .map((p) => {
      const purl = (p.externalRefs as { referenceLocator: string }[])[0]!.referenceLocator;
      return `${p.name} ${p.versionInfo} ${/[?&]arch=([^&]+)/.exec(purl)![1]}`;
    })
    .sort();
}

/** Every path in a container of the image, from `docker export` (not from mab), sorted. */
export async function fileList(image: string, platform: string): Promise<string[]> {
  const out = await sh('sh', [
    '-c',
    `id=$(docker create --platform ${platform} ${image}) && docker export $id | tar -t; docker rm $id >/dev/null`,
  ]);
  return out.split('\n').filter(Boolean).sort();
}

/**
 * What the `cross` and emulated `multistage` images of a recipe hold differently on one platform:
 * paths only in one of them, and, for what maintainer scripts make that both must have with the
 * same content (alternatives' choices, dpkg's trigger interests, the CA bundle, its conf and every
 * link in /etc/ssl/certs), a listing of each.
 */
export async function crossAgainstMultistage(image: (strategy: 'cross' | 'multistage') => string, platform: string) {
  const cross = new Set(await fileList(image('cross'), platform));
  const multi = new Set(await fileList(image('multistage'), platform));
  const made = (strategy: 'cross' | 'multistage') =>
    sh('docker', [
      'run',
      '--rm',
      '--platform',
      platform,
      '--entrypoint',
      'sh',
      image(strategy),
      '-c',
      'for f in /var/lib/dpkg/triggers/*; do echo "$f"; sort "$f"; done;' +
        ' for f in /etc/alternatives/* /etc/ssl/certs/*; do [ -e "$f" ] || [ -L "$f" ] && echo "$f $(readlink "$f")"; done;' +
        ' cat /etc/ssl/certs/ca-certificates.crt /etc/ca-certificates.conf 2>/dev/null | grep -v "^#" | sha256sum',
    ]);
  const [madeCross, madeMulti] = await Promise.all([made('cross'), made('multistage')]);
  return {
    onlyMulti: [...multi].filter((f) => !cross.has(f)),
    onlyCross: [...cross].filter((f) => !multi.has(f)),
    files: multi.size,
    madeCross,
    madeMulti,
  };
}
