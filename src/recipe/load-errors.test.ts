/** Broken recipes: each gives file:line:col, what was wrong, and the fix. */
import { describe, expect, it } from 'vitest';
import { GOOD_RECIPE, recipeErrorOf as errorOf } from '../../test/fixtures/recipe-text.js';

const GOOD = GOOD_RECIPE;

describe('parseRecipe refuses', () => {
  it.each([
    ['bad YAML', GOOD.replace('name: demo', 'name: [demo'), /^r\.yaml:\d+:\d+: invalid YAML/],
    [
      'unknown key with suggestion',
      GOOD.replace('entrypoint:', 'entrypiont:'),
      /^r\.yaml:14:1: unknown key "entrypiont" in the recipe[\s\S]*did you mean "entrypoint"/,
    ],
    ['missing required key', GOOD.replace('name: demo\n', ''), /^r\.yaml:1:1: the recipe is missing "name"/],
    [
      'bad semver',
      GOOD.replace('1.2.3', '1.2'),
      /^r\.yaml:2:10: version "1.2" is not semantic versioning[\s\S]*MAJOR\.MINOR\.PATCH/,
    ],
    // Each says how to write it, and points at the item itself, not at the list's parent.
    [
      'a keep path with .. (at its own place)',
      GOOD.replace('/usr/local/bin/demo', '/usr/../../etc/shadow'),
      /^r\.yaml:13:10: path "\/usr\/\.\.\/\.\.\/etc\/shadow" contains "\.\."/,
    ],
    [
      'a bad package name, with how to write one',
      GOOD.replace('libfoo-dev', 'LibFoo'),
      /^r\.yaml:9:31: build\.packages\[1\]: "LibFoo" is not a Debian package name[^\n]*\n  fix: write the name apt lists, e\.g\. libssl3/,
    ],
    [
      'a bad port, with how to write one',
      GOOD + 'ports: [http]\n',
      /"http" is not a port number, optionally \/tcp or \/udp\n  fix: e\.g\. 8080 or 5683\/udp/,
    ],
    [
      'a bad regex, with how to write one',
      GOOD.replace("'demo 1\\.2'", "'demo ('"),
      /smoke\[0\]\.expect is not a valid regular expression[^\n]*\n  fix: write a JavaScript regular expression/,
    ],
    // YAML reads these as the numbers 1 and 1.1; the error quotes what the user wrote.
    [
      'a version YAML reads as a number',
      GOOD.replace('1.2.3', '1.0'),
      /^r\.yaml:2:10: version "1\.0" is not semantic versioning/,
    ],
    [
      'a version whose trailing zero a number loses',
      GOOD.replace('1.2.3', '1.10'),
      /^r\.yaml:2:10: version "1\.10" is not semantic versioning/,
    ],
    [
      'wrong type',
      GOOD.replace('platforms: [linux/amd64, arm64]', 'platforms: linux/amd64'),
      /^r\.yaml:3:12: recipe\.platforms must be a list/,
    ],
    ['unsupported platform', GOOD.replace('arm64]', 'mips]'), /^r\.yaml:3:26: unknown platform "mips"/],
    [
      'shell in a package name',
      GOOD.replace('libfoo-dev', '"libfoo-dev; curl evil|sh"'),
      /^r\.yaml:9:31: build\.packages\[1\]: "libfoo-dev; curl evil\|sh" is not a Debian package name/,
    ],
    ['path escaping with ..', GOOD.replace('/usr/local/bin/demo', '/usr/../../etc/shadow'), /contains "\.\."/],
    [
      'relative keep path',
      GOOD.replace('/usr/local/bin/demo', 'bin/demo'),
      /runtime\.keep\[0\]: "bin\/demo" is not an absolute path/,
    ],
    [
      'source file name with a slash',
      GOOD.replace('file: demo.tar.gz', 'file: ../demo.tar.gz'),
      /sources\[0\]\.file: "\.\.\/demo\.tar\.gz" is not a plain file name/,
    ],
    ['bad checksum', GOOD.replace('a'.repeat(64), 'abc'), /sources\[0\]\.sha256: "abc" is not 64 lowercase hex digits/],
    [
      'per-platform checksum missing a platform',
      GOOD.replace(`sha256: ${'a'.repeat(64)}`, `sha256:\n      amd64: ${'b'.repeat(64)}`),
      /sha256 has no checksum for linux\/arm64/,
    ],
    [
      'bad smoke regex',
      GOOD.replace("'demo 1\\.2'", "'demo ('"),
      /smoke\[0\]\.expect is not a valid regular expression/,
    ],
    [
      'env key with shell',
      GOOD.replace('DEMO_MODE: fast', '"A;B": x'),
      /env key: "A;B" is not an environment variable name/,
    ],
    [
      'unknown key in a section',
      GOOD.replace('  steps: [make]', '  step: [make]'),
      /^r\.yaml:10:3: unknown key "step" in build[\s\S]*did you mean "steps"/,
    ],
    [
      'unknown strategy',
      GOOD + 'strategies:\n  minimall:\n',
      /unknown key "minimall" in strategies[\s\S]*did you mean "minimal"/,
    ],
    [
      'no supported strategy',
      GOOD + 'strategies:\n  minimal: "needs a shell"\n',
      /strategies lists no supported strategy/,
    ],
    [
      'a file outside the recipe directory',
      GOOD + 'files: [../../etc/passwd]\n',
      /path "\.\.\/\.\.\/etc\/passwd" contains "\.\.": files must stay inside the recipe's directory/,
    ],
    [
      'an absolute file path',
      GOOD + 'files: [/etc/passwd]\n',
      /recipe\.files\[0\]: "\/etc\/passwd" is not a path relative to the recipe's directory/,
    ],
    [
      'a platform both supported and unsupported',
      GOOD + 'unsupported:\n  arm64: no\n',
      /linux\/arm64 is both in platforms and in unsupported/,
    ],
    [
      'smoke with both run and http',
      GOOD.replace('  - run: [demo, --version]', '  - run: [demo]\n    http: { port: 80 }'),
      /smoke\[0\] needs exactly one of run \(a command\), shell \(a script for mab's helper shell\) or http/,
    ],
    [
      'smoke with both run and shell',
      GOOD.replace('  - run: [demo, --version]', '  - run: [demo]\n    shell: demo | grep x'),
      /smoke\[0\] needs exactly one of run/,
    ],
    [
      'an empty shell check',
      GOOD.replace('  - run: [demo, --version]', "  - shell: '  '"),
      /smoke\[0\]\.shell: "  " is not a shell script/,
    ],
    ['a user with shell characters', GOOD + 'user: "root;id"\n', /recipe\.user: "root;id" is not a user name or uid/],
    [
      'a port that is not a number',
      GOOD + 'ports: [http]\n',
      /recipe\.ports\[0\]: "http" is not a port number, optionally \/tcp or \/udp/,
    ],
    [
      'a source of two kinds',
      GOOD.replace('    sha256: ' + 'a'.repeat(64), `    sha256: ${'a'.repeat(64)}\n    git: https://x.org/a.git`),
      /sources\[0\] needs exactly one of url \(a file\), git \(a repository at a commit\), debian \(a source package\) or apt/,
    ],
    [
      'a git source pinned by branch',
      GOOD.replace('sources:\n', 'sources:\n  - file: app\n    git: https://x.org/a.git\n    commit: main\n'),
      /sources\[0\]\.commit: "main" is not a full commit id[\s\S]*can move/,
    ],
    [
      'a git source without a commit',
      GOOD.replace('sources:\n', 'sources:\n  - file: app\n    git: https://x.org/a.git\n'),
      /sources\[0\] is missing "commit"[\s\S]*pin the full commit id/,
    ],
    [
      'a key of another source kind',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: app\n    git: https://x.org/a.git\n    commit: ${'c'.repeat(40)}\n    sha256: ${'a'.repeat(64)}\n`,
      ),
      /sources\[0\]: "sha256" does not apply to a git source[\s\S]*takes file, git, commit/,
    ],
    [
      'a Debian source without its version',
      GOOD.replace('sources:\n', `sources:\n  - debian: dlib\n    sha256: ${'a'.repeat(64)}\n`),
      /sources\[0\]\.debian: "dlib" is not PACKAGE=VERSION/,
    ],
    [
      'a shell command as git URL',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: app\n    git: "https://x.org/a.git;rm -rf /"\n    commit: ${'c'.repeat(40)}\n`,
      ),
      /sources\[0\]\.git: .* is not a repository URL/,
    ],
    [
      'git paths escaping the repository',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: app\n    git: https://x.org/a.git\n    commit: ${'c'.repeat(40)}\n    paths: [src, ../../etc]\n`,
      ),
      /path "\.\.\/\.\.\/etc" contains "\.\.": paths name part of the repository/,
    ],
    [
      'absolute git paths',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: app\n    git: https://x.org/a.git\n    commit: ${'c'.repeat(40)}\n    paths: [/etc]\n`,
      ),
      /sources\[0\]\.paths\[0\]: "\/etc" is not a path inside the repository/,
    ],
    [
      'paths on a url source',
      GOOD.replace('    sha256: ' + 'a'.repeat(64), `    sha256: ${'a'.repeat(64)}\n    paths: [src]`),
      /sources\[0\]: "paths" does not apply to a url source/,
    ],
    [
      'both sha256 and md5',
      GOOD.replace('    sha256: ' + 'a'.repeat(64), `    sha256: ${'a'.repeat(64)}\n    md5: ${'b'.repeat(32)}`),
      /sources\[0\] has both sha256 and md5[\s\S]*keep sha256/,
    ],
    [
      'an md5 of the wrong length',
      GOOD.replace('    sha256: ' + 'a'.repeat(64), `    md5: ${'b'.repeat(40)}`),
      /sources\[0\]\.md5: "b{40}" is not 32 lowercase hex digits/,
    ],
    [
      'a url source without a checksum',
      GOOD.replace('    sha256: ' + 'a'.repeat(64) + '\n', ''),
      /sources\[0\] is missing "sha256"[\s\S]*or md5: when upstream publishes only an md5/,
    ],
    [
      'an apt source without a fingerprint',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: s.deb\n    apt: http://apt.example.org/repo\n    suite: stable\n    component: main\n    package: server=2.8.0\n    key: https://apt.example.org/key.gpg\n    fingerprint: ${'A'.repeat(40)}\n`.replace(
          /    fingerprint: .*\n/,
          '',
        ),
      ),
      /sources\[0\] is missing "fingerprint"[\s\S]*an apt source takes apt: REPOSITORY-URL/,
    ],
    [
      'an apt key fingerprint with spaces',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: s.deb\n    apt: http://apt.example.org/repo\n    suite: stable\n    component: main\n    package: server=2.8.0\n    key: https://apt.example.org/key.gpg\n    fingerprint: ${'A'.repeat(40)}\n`.replace(
          /fingerprint: .*/,
          'fingerprint: "916E 2B2F EBC2 7493 0BAC  A9D9 544B 7F63 BF9E 4D5F"',
        ),
      ),
      /sources\[0\]\.fingerprint: .* is not the signing key's fingerprint: 40 hex digits, no spaces/,
    ],
    [
      'an apt package without a version',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: s.deb\n    apt: http://apt.example.org/repo\n    suite: stable\n    component: main\n    package: server=2.8.0\n    key: https://apt.example.org/key.gpg\n    fingerprint: ${'A'.repeat(40)}\n`.replace(
          'server=2.8.0',
          'server',
        ),
      ),
      /sources\[0\]\.package: "server" is not PACKAGE=VERSION/,
    ],
    [
      'two sources with one name',
      GOOD.replace(
        'sources:\n',
        `sources:\n  - file: demo.tar.gz\n    url: https://x.org/a\n    sha256: ${'a'.repeat(64)}\n`,
      ),
      /sources\[1\]: two sources are named "demo\.tar\.gz"/,
    ],
    [
      'an artifact without a path',
      GOOD + `artifacts:\n  - file: m.dat\n    url: https://x.org/m.dat\n    sha256: ${'a'.repeat(64)}\n`,
      /artifacts\[0\] is missing "path"/,
    ],
    [
      'an artifact path escaping',
      GOOD +
        `artifacts:\n  - file: m.dat\n    url: https://x.org/m.dat\n    sha256: ${'a'.repeat(64)}\n    path: /srv/../../etc/passwd\n`,
      /path "\/srv\/\.\.\/\.\.\/etc\/passwd" contains "\.\."/,
    ],
    [
      'an unknown unpack',
      GOOD +
        `artifacts:\n  - file: m.dat\n    url: https://x.org/m.dat\n    sha256: ${'a'.repeat(64)}\n    unpack: zip\n    path: /m.dat\n`,
      /artifacts\[0\]\.unpack: "zip" is not one of gzip, bzip2, xz/,
    ],
    [
      'an override for a platform not built',
      GOOD + 'overrides:\n  arm/v7:\n    env: { A: b }\n',
      /overrides\.linux\/arm\/v7: linux\/arm\/v7 is not in platforms/,
    ],
    [
      'an override of a key that cannot differ',
      GOOD + 'overrides:\n  arm64:\n    name: other\n',
      /unknown key "name" in overrides\.linux\/arm64/,
    ],
    [
      'shell in an override package',
      GOOD + 'overrides:\n  arm64:\n    build: { packages: ["gcc;id"] }\n',
      /overrides\.linux\/arm64\.build\.packages\[0\]: "gcc;id" is not a Debian package name/,
    ],
    [
      'a label key with shell',
      GOOD + 'labels:\n  "a;b": x\n',
      /labels key: "a;b" is not a label key in reverse-DNS form/,
    ],
    [
      'a healthcheck interval without unit',
      GOOD + 'healthcheck:\n  run: [demo]\n  interval: 30\n',
      /healthcheck\.interval: "30" is not a duration such as 30s/,
    ],
    [
      'a build cache at the root',
      GOOD.replace('  steps: [make]', '  steps: [make]\n  caches: [/]'),
      /build\.caches cannot be "\/"[\s\S]*name the cache directory itself/,
    ],
    [
      'a relative build cache',
      GOOD.replace('  steps: [make]', '  steps: [make]\n  caches: [.cache]'),
      /build\.caches\[0\]: "\.cache" is not an absolute path/,
    ],
    [
      'a build cache escaping',
      GOOD.replace('  steps: [make]', '  steps: [make]\n  caches: [/root/../../etc]'),
      /path "\/root\/\.\.\/\.\.\/etc" contains "\.\."/,
    ],
    [
      'a cross strategy without steps',
      GOOD + 'strategies:\n  cross:\n',
      /strategies\.cross needs its own build: steps/,
    ],
    // A recipe value must not write Dockerfile instructions of its own.
    [
      'a step with line breaks (new instructions)',
      GOOD.replace('steps: [make]', 'steps: ["true\\nUSER root\\nRUN --security=insecure touch /tmp/PWNMARK"]'),
      /^r\.yaml:10:11: build\.steps\[0\]: "true\\nUSER root\\nRUN --security=insecure touch \/tmp\/PWNMARK" is not one shell command line/,
    ],
    [
      'a block-scalar step',
      GOOD.replace('  steps: [make]', '  steps:\n    - |\n      make\n      USER root'),
      /build\.steps\[0\]: "make\\nUSER root\\n" is not one shell command line/,
    ],
    [
      'a step ending in a backslash (continues into the next line)',
      GOOD.replace('steps: [make]', 'steps: ["echo hi \\\\"]'),
      /build\.steps\[0\]: "echo hi \\" is not one shell command line/,
    ],
    [
      'a step ending in a backslash and blanks',
      GOOD.replace('steps: [make]', 'steps: ["echo hi \\\\  "]'),
      /build\.steps\[0\]: .* is not one shell command line/,
    ],
    [
      'a heredoc step',
      GOOD.replace('steps: [make]', 'steps: ["cat <<EOF > /x"]'),
      /build\.steps\[0\]: "cat <<EOF > \/x" is not one shell command line/,
    ],
    [
      'a cross step with a line break',
      GOOD + 'strategies:\n  cross:\n    steps: ["make\\nUSER root"]\n',
      /strategies\.cross\.steps\[0\]: .* is not one shell command line/,
    ],
    [
      'a carriage return in a step',
      GOOD.replace('steps: [make]', 'steps: ["make\\rUSER root"]'),
      /build\.steps\[0\] holds the control character U\+000D/,
    ],
    [
      'a NUL in a label value',
      GOOD + 'license: "MIT\\0PWNMARK"\n',
      /^r\.yaml:20:10: recipe\.license holds the control character U\+0000[\s\S]*fix: remove it/,
    ],
    [
      'an escape character in an env value',
      GOOD.replace('DEMO_MODE: fast', 'DEMO_MODE: "fa\\x1bst"'),
      /env\.DEMO_MODE holds the control character U\+001B/,
    ],
  ])('%s', (_name, text, want) => {
    expect(errorOf(text)).toMatch(want);
  });
});
