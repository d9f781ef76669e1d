#!/usr/bin/env bash
# The whole test suite, on a real build host: sets the host up (idempotent, see setup-host.sh),
# unpacks the other engines the engine-compatibility test runs (scripts/engines.sh), checks the
# direction of dependencies between src/ folders (npm run lint), then runs both vitest suites,
# `unit` and `engine` (real dockerd, BuildKit, QEMU, registry).
# Ends with one plain summary line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
bash scripts/engines.sh
mkdir -p .mab
# Dependencies point one way (README.md, Layout): a back edge or a cycle fails the run here.
npm run --silent lint
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.mab/test-results.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".mab/test-results.json", "utf8"));
  // A file that fails to load, or in a beforeAll, fails no test of its own (they are skipped):
  // report it, or the line would say 0 failed.
  const broken = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped${broken ? `, ${broken} test file(s) failed outside their tests (loading or setup)` : ""}`);
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit $status
