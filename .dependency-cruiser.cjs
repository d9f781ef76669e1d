/**
 * Which folder of src/ may import which (npm run lint; CI runs it before the tests).
 *   core      errors, util, platform, ref, oci, recipe, dockerfile, plan, sign: imports only core
 *   backends  engine, store, registry, source: import core, never another backend
 *   users     pipeline, report, manifest, base, supply, progress, completion: import core and backends, never the CLI
 *   cli       imports anything
 * and no module imports itself back through others (no cycles). Tests are not checked.
 */
const CORE = '^src/(errors\\.ts|util|platform|ref|oci|recipe|dockerfile|plan|sign)/?';
const BACKENDS = ['engine', 'store', 'registry', 'source'];
const USERS = '^src/(pipeline|report|manifest|base|supply|progress|completion)/';

module.exports = {
  forbidden: [
    { name: 'no-cycle', severity: 'error', comment: 'a cycle ties its modules into one: break it by moving the shared part down', from: {}, to: { circular: true } },
    { name: 'core-imports-core', severity: 'error', comment: 'the core (platform, recipe, plan, dockerfile, oci, …) knows no engine, store, registry or command', from: { path: CORE }, to: { path: '^src/', pathNot: CORE } },
    ...BACKENDS.map((b) => ({
      name: `${b}-stays-a-backend`, severity: 'error',
      comment: `src/${b} may import only the core: the pipeline (or a command) joins backends together`,
      from: { path: `^src/${b}/` },
      to: { path: `^src/(${BACKENDS.filter((o) => o !== b).join('|')}|pipeline|report|manifest|base|supply|cli)/` },
    })),
    { name: 'users-not-cli', severity: 'error', comment: 'the CLI parses options and prints; nothing below it imports it', from: { path: USERS }, to: { path: '^src/cli/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$|^test/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
