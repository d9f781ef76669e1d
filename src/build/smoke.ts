/**
 * A recipe's smoke checks, run in the built image under its own platform (through QEMU when
 * foreign). A build that "succeeds" yet gives an image that does not run is the failure the
 * research behind mab kept hitting; no platform is published without passing these.
 */
import { execa } from 'execa';
import type { SmokeCheck } from '../recipe/types.js';
import { DOCKER } from './docker.js';

export interface SmokeResult {
  name: string;
  passed: boolean;
  seconds: number;
  /** Last lines of output, for the report and for errors. */
  output: string;
}

export async function runSmoke(image: string, platform: string, checks: SmokeCheck[], env?: NodeJS.ProcessEnv): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const check of checks) {
    const started = Date.now();
    const [entry, ...args] = check.run;
    const r = await execa(DOCKER, ['run', '--rm', '--platform', platform, '--network', 'none', '--entrypoint', entry!, image, ...args], { reject: false, all: true, env, stdin: 'ignore', timeout: 300_000 });
    const output = r.all ?? '';
    results.push({
      name: check.name,
      passed: r.exitCode === 0 && new RegExp(check.expect, 'm').test(output),
      seconds: (Date.now() - started) / 1000,
      output: output.split('\n').slice(-12).join('\n'),
    });
  }
  return results;
}
