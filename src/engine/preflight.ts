/**
 * Checks made before any build starts, each failing with the exact fix: an engine that answers,
 * buildx, and QEMU emulation registered for every platform the host cannot run natively (the
 * Debian package names are checked in packages.ts).
 * The host platform and the binfmt_misc directory are passed in, not read here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError } from '../errors.js';
import { formatPlatform, platformInfo, type Platform } from '../platform/platform.js';
import { docker } from './docker.js';

export interface Host {
  platform: Platform;
  binfmtDir: string;
  env?: NodeJS.ProcessEnv;
}

export async function checkEngine(host: Host): Promise<{ server: string; buildx: string }> {
  let server: string;
  try {
    server = (await docker(['version', '--format', '{{.Server.Version}}'], { env: host.env })).trim();
  } catch (e) {
    const detail = (e as MabError).message.split('\n').slice(1).join(' ').trim();
    throw new MabError(
      'E_ENGINE_DOWN',
      `the Docker engine is not reachable${host.env?.DOCKER_HOST ? ` at DOCKER_HOST=${host.env.DOCKER_HOST}` : ''}: ${detail}`,
      'start it with `bash scripts/setup-host.sh` (or `dockerd &` as root), or point DOCKER_HOST at a running engine',
    );
  }
  let buildx: string;
  try {
    buildx = (await docker(['buildx', 'version'], { env: host.env })).trim();
  } catch {
    throw new MabError(
      'E_BUILDX_MISSING',
      'docker buildx is not installed',
      'install it: `apt-get install -t trixie docker-buildx` (scripts/setup-host.sh does this)',
    );
  }
  return { server, buildx };
}

/** Platforms the host runs without emulation. */
function nativeTo(host: Platform): string[] {
  const h = formatPlatform(host);
  // An amd64 variant builds natively; whether this CPU can run its smoke checks is the CPU's matter.
  if (h === 'linux/amd64') return [h, 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4', 'linux/386'];
  if (h === 'linux/arm64') return [h, 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5'];
  return [h];
}

export async function checkEmulation(platforms: Platform[], host: Host): Promise<void> {
  const missing: string[] = [];
  for (const p of platforms) {
    if (nativeTo(host.platform).includes(formatPlatform(p))) continue;
    const entry = path.join(host.binfmtDir, platformInfo(p).qemu);
    const state = await readFile(entry, 'utf8').catch(() => '');
    if (!state.startsWith('enabled'))
      missing.push(`${formatPlatform(p)} (${entry} ${state ? 'is disabled' : 'does not exist'})`);
  }
  if (missing.length) {
    throw new MabError(
      'E_QEMU_MISSING',
      `no QEMU emulation registered for ${missing.join(', ')}; a build for a foreign platform cannot run its RUN steps without it`,
      'install and register it: `apt-get install qemu-user-static binfmt-support && /lib/systemd/systemd-binfmt` (scripts/setup-host.sh does this), or drop the platform from --arch',
    );
  }
}
