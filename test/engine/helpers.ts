import { cp, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { engineKind } from '../fixtures/engines.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** A BuildKit step in mab's progress (`[linux/arm64] [2/6] RUN make`, `[linux/arm64] [internal] load …`). */
export const BUILD_STEP = /\[linux\/[^\]]+\] \[(\d+\/\d+|internal)\] /;
export const REGISTRY = '127.0.0.1:5000';

/** A line of mab's plain progress without its time stamp (`[  12.3s] `). */
export const untimed = (line: string) => line.replace(/^\[\s*[\d.]+s\] /, '');

/**
 * The RUN steps of a platform in a --verbose log, in order, each with whether BuildKit answered
 * it from its cache (`[linux/arm64] [5/6] RUN …`, then `[linux/arm64] [5/6] cached`).
 */
export function runSteps(log: string, platform: string): { step: string; text: string; cached: boolean }[] {
  const lines = log.split('\n').map(untimed);
  const prefix = `[${platform}] `;
  const mine = lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  return mine.flatMap((l) => {
    const m = /^\[(\d+\/\d+)\] RUN (.*)$/.exec(l);
    return m ? [{ step: m[1]!, text: m[2]!, cached: mine.includes(`[${m[1]}] cached`) }] : [];
  });
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
