/**
 * What an emulated `multistage` install of OpenFace's runtime leaves that a `cross` unpack does
 * not, and the reverse, for the heavy tests that compare the two file by file. `triplet` is the
 * Debian multiarch directory (x86_64-linux-gnu, aarch64-linux-gnu).
 */

/**
 * Only in multistage: what maintainer scripts and triggers make beyond alternatives and bytecode,
 * none of which OpenFace reads. The MIME database (update-mime-database), gdk-pixbuf's loader
 * cache, fontconfig's cache and its debconf-chosen links, directories made for local additions
 * (python3's under /usr/local, which OpenFace's own dlib install makes in both), adduser's lock,
 * init-script links, config files written from templates (python3's debian_config, odbcinst.ini,
 * readline's inputrc), group-file backups, mysql-common's frozen-mode directory, apt/dpkg logs
 * and ldconfig's cache.
 */
export const onlyInMultistage = (triplet: string) =>
  new RegExp(
    '^(usr/local/share/fonts/|usr/share/mime/.*|var/cache/fontconfig/.*|etc/fonts/conf\\.d/.*' +
      `|usr/lib/${triplet}/gdk-pixbuf-2\\.0/2\\.10\\.0/loaders\\.cache|run/adduser` +
      '|etc/rcS\\.d/.*|etc/python3/.*|var/lib/python/.*|usr/local/lib/python3\\.11/(dist-packages/)?|etc/odbcinst\\.ini|etc/inputrc|etc/gshadow-' +
      '|usr/share/doc/mysql-common/frozen-mode/|var/cache/ldconfig/aux-cache|var/log/.*)$',
  );

/**
 * Only in cross: ldconfig's trigger removes libtorch's dangling SONAME links to libraries Debian
 * does not ship; py3compile fails on a test file in a legacy encoding that compileall reads; apt's
 * list lock and partial directory.
 */
export const onlyInCross = (triplet: string) =>
  new RegExp(
    `^(var/lib/apt/lists/(lock|partial/)|usr/lib/${triplet}/libcaffe2_\\w+\\.so\\.1\\.13` +
      '|usr/lib/python3/dist-packages/joblib/test/__pycache__/test_func_inspect_special_encoding\\.cpython-311\\.pyc)$',
  );
