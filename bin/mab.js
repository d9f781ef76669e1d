#!/usr/bin/env node
import { runCli } from '../dist/cli/main.js';

const code = await runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  ...(process.stderr.isTTY ? { terminalColumns: process.stderr.columns || 80 } : {}),
});
process.exitCode = code;
