#!/bin/sh
# unpack-target.sh ARCH TARGET OUT PACKAGE...   (run in the build stage by the `cross` strategy)
# Puts the PACKAGEs of Debian architecture ARCH, with every dependency the target image lacks,
# into OUT, without running anything of theirs, so no step needs emulation:
#  - apt resolves the closure as if ARCH were native and TARGET/status (the target image's dpkg
#    status) were this system's, and only downloads;
#  - each .deb is unpacked with tar through OUT's merged-/usr symlinks (bookworm packages still
#    ship some files under /lib), leaving out what the target's dpkg configuration (TARGET/dpkg,
#    its /etc/dpkg) excludes, as dpkg would; its control data is added to a copy of the status
#    and to var/lib/dpkg/info, so dpkg in the image knows what is there.
# Maintainer scripts do not run. What they commonly do is done here instead, with the build
# platform's tools, because their results do not depend on the architecture:
#  - `update-alternatives --install` lines written out literally (libblas3's libblas.so.3 link,
#    gcc's cc) run with --root OUT once every package is unpacked (starting from
#    TARGET/alternatives, the target's own choices, for a name it already has);
#  - Python packages whose scripts byte-compile (py3compile, py_compile.py) get their .py files
#    compiled by the build platform's python3, which must be the target's version (same release);
#  - ca-certificates' first configuration: every certificate it ships enabled, linked into
#    /etc/ssl/certs, concatenated into the bundle TLS clients read, and given openssl's
#    subject-hash links (the build platform's openssl: the hash is the same everywhere).
# Each package's trigger interests are registered too (TARGET/triggers is the target's own).
# A package that needs anything else its scripts do (a service, a generated cache) is not for
# this strategy.
set -eu
arch=$1 target=$2 out=$3
shift 3
status=$target/status
# apt's lists and .debs for ARCH outlive the build (a BuildKit cache mount per architecture, see
# app.Dockerfile), so a changed package list downloads only what is new.
cache=/var/cache/mab-unpack
work=/tmp/mab-unpack
mkdir -p "$cache/lists/partial" "$cache/debs/partial" "$work/control"
opts="-o APT::Architecture=$arch -o APT::Architectures=$arch -o Dir::State::status=$status"
opts="$opts -o Dir::State::Lists=$cache/lists -o Dir::Cache::Archives=$cache/debs"
# shellcheck disable=SC2086 # $opts holds -o KEY=VALUE pairs without spaces
apt-get $opts -qq update
# The closure, as the file names apt gives the .debs it downloads (an epoch's colon becomes %3a):
# the cache holds other builds' packages too.
# shellcheck disable=SC2086
apt-get $opts -s install --no-install-recommends "$@" > "$work/plan"
sed -n 's/^Inst \([^ ]*\) \(\[[^]]*\] \)\{0,1\}(\([^ ]*\) [^[]*\[\([^]]*\)\]).*$/\1_\3_\4.deb/p' "$work/plan" | sed 's/:/%3a/g' | sort > "$work/closure"
if [ "$(grep -c '^Inst ' "$work/plan")" != "$(wc -l < "$work/closure")" ]; then
  echo "unpack-target: could not read every package apt plans to install:" >&2; grep '^Inst ' "$work/plan" >&2; exit 1
fi
cached=0
for file in $(cat "$work/closure"); do if [ -e "$cache/debs/$file" ]; then cached=$((cached + 1)); fi; done
# shellcheck disable=SC2086
apt-get $opts -qq install -y --download-only --no-install-recommends "$@"
echo "$(wc -l < "$work/closure") packages for $arch, $cached of them already downloaded"

# path-exclude / path-include, in dpkg's order; the last rule that matches a path decides.
rules=$(cat "$target/dpkg/dpkg.cfg" "$target"/dpkg/dpkg.cfg.d/* 2>/dev/null |
  sed -n 's/^[[:space:]]*\(path-exclude\|path-include\)[[:space:]=][[:space:]]*\([^[:space:]]*\).*$/\1 \2/p')
# Reads paths, prints "keep PATH", "drop PATH" or "dir PATH" for each: one awk for a whole
# package, as the globs become regular expressions (dpkg's fnmatch without FNM_PATHNAME: * also
# matches "/"). "dir": excluded, but kept if it is a directory or a symbolic link, as dpkg keeps
# those when their path starts with what a path-include pattern has before its first wildcard
# (every directory and link under /usr/share/doc, for /usr/share/doc/*/copyright).
verdicts() {
  awk -v rules="$rules" '
    function regex(glob,   r, i, c) {
      r = "^"
      for (i = 1; i <= length(glob); i++) {
        c = substr(glob, i, 1)
        if (c == "*") r = r ".*"; else if (c == "?") r = r "."; else if (c ~ /[.^$+(){}|\\]/) r = r "\\" c; else r = r c
      }
      return r "$"
    }
    BEGIN {
      n = split(rules, line, "\n")
      for (i = 1; i <= n; i++) if (split(line[i], f, " ") == 2) {
        k++; kind[k] = f[1]; re[k] = regex(f[2])
        if (f[1] == "path-include") { w = match(f[2], /[*?[\\]/); prefix[++p] = w ? substr(f[2], 1, w - 2) : f[2] }
      }
    }
    {
      v = "keep"
      for (i = 1; i <= k; i++) if ($0 ~ re[i]) v = kind[i] == "path-exclude" ? "drop" : "keep"
      if (v == "drop") for (i = 1; i <= p; i++) if (substr($0, 1, length(prefix[i])) == prefix[i]) v = "dir"
      print v " " $0
    }'
}

# need TOOL WHY: the build platform's TOOL does here what the target's would in a maintainer
# script; without it the unpack stops, saying WHY it was needed and how to add it.
need() {
  command -v "$1" > /dev/null && return
  echo "unpack-target: $2, and the build stage has no $1: add $1 to strategies.cross.tools" >&2
  exit 1
}

mkdir -p "$out/usr/bin" "$out/usr/sbin" "$out/usr/lib" "$out/var/lib/dpkg/info"
for d in bin sbin lib; do ln -sfn "usr/$d" "$out/$d"; done
if [ "$arch" = amd64 ]; then mkdir -p "$out/usr/lib64" && ln -sfn usr/lib64 "$out/lib64"; fi
cp "$status" "$out/var/lib/dpkg/status"
: > "$work/py"
: > "$work/alternatives"
ca=
# shellcheck disable=SC2013 # .deb file names hold no spaces
for file in $(cat "$work/closure"); do
  deb=$cache/debs/$file
  if [ ! -e "$deb" ]; then echo "unpack-target: apt did not download $file" >&2; exit 1; fi
  # One pass: tar -v names each member as it is unpacked, which is the package's file list.
  dpkg-deb --fsys-tarfile "$deb" | tar -xv --keep-directory-symlink -C "$out" > "$work/members"
  pkg=$(dpkg-deb -f "$deb" Package)
  name=$pkg
  if [ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ]; then name="$pkg:$arch"; fi
  { echo; echo "Package: $pkg"; echo "Status: install ok installed"; dpkg-deb -f "$deb" | grep -v '^Package:'; } >> "$out/var/lib/dpkg/status"
  # What the rules exclude goes; an excluded directory too once empty (deepest first, so after
  # what was in it), as dpkg never creates it.
  sed -e 's#^\./#/#' -e 's#/$##' -e '/^\/*$/d' "$work/members" | sort -r | verdicts |
    while read -r verdict path; do
      if [ "$verdict" = keep ] || { [ "$verdict" = dir ] && { [ -d "$out$path" ] || [ -L "$out$path" ]; }; }; then echo "$path"
      elif [ -d "$out$path" ] && [ ! -L "$out$path" ]; then rmdir "$out$path" 2>/dev/null || echo "$path"
      else rm -f "$out$path"; fi
    done | sort > "$out/var/lib/dpkg/info/$name.list"
  rm -rf "$work/control" && dpkg-deb -e "$deb" "$work/control"
  for f in md5sums conffiles shlibs symbols triggers templates config preinst postinst prerm postrm; do
    if [ -f "$work/control/$f" ]; then cp "$work/control/$f" "$out/var/lib/dpkg/info/$name.$f"; fi
  done
  # The triggers it is interested in, registered as dpkg does (triggers/NAME lists the packages
  # interested in NAME; triggers/File pairs a path with one), so that a package installed later
  # in the image still runs, say, update-ca-certificates. The target's lists are the start.
  if [ -f "$work/control/triggers" ]; then
    sed -n 's/^[[:space:]]*interest\(-await\|-noawait\)\{0,1\}[[:space:]]\{1,\}\([^[:space:]]*\).*$/\2 x\1/p' "$work/control/triggers" |
      while read -r trigger how; do
        who=$name
        if [ "$how" = x-noawait ]; then who="$name/noawait"; fi
        case "$trigger" in
          /*) list=File line="$trigger $who" ;;
          *) list=$trigger line=$who ;;
        esac
        mkdir -p "$out/var/lib/dpkg/triggers"
        if [ ! -f "$out/var/lib/dpkg/triggers/$list" ] && [ -f "$target/triggers/$list" ]; then cp "$target/triggers/$list" "$out/var/lib/dpkg/triggers/$list"; fi
        echo "$line" >> "$out/var/lib/dpkg/triggers/$list"
      done
  fi
  if [ -f "$work/control/postinst" ]; then
    # Continuation lines joined, so each command is on one line.
    sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$work/control/postinst" > "$work/postinst"
    # Run once every package is unpacked, as dpkg configures after unpacking: a link's target may
    # come in a package unpacked later. A trailing comment or "|| true", --quiet, and double
    # quotes around plain words change nothing a shell would do.
    grep -E '^[[:space:]]*update-alternatives[[:space:]].*--install[[:space:]]' "$work/postinst" |
      sed -e 's/[[:space:]]#.*$//' -e 's/[[:space:]]*||[[:space:]]*true[[:space:]]*$//' -e 's/[[:space:]]--quiet\([[:space:]]\|$\)/ /g' \
        -e 's/"\([^"$`\\[:space:]]*\)"/\1/g' -e "s/^[[:space:]]*/$pkg /" >> "$work/alternatives" || true
    if grep -qE 'py3compile|py_compile\.py' "$work/postinst"; then
      grep -E '^/usr/(lib/python3[^/]*|share/python3)/.*\.py$' "$out/var/lib/dpkg/info/$name.list" >> "$work/py" || true
    fi
  fi
  if [ "$pkg" = ca-certificates ]; then ca=1; fi
  echo "unpacked $pkg ($arch)"
done
while read -r pkg line; do
  case "$line" in
    *[\$\`\;\&\|\<\>\(\)\"\']*) echo "$pkg: not run (not literal): $line" >&2; continue ;;
  esac
  # --install LINK NAME PATH PRIORITY: a line whose PATH is not here sits in a branch that does
  # not apply (mysql-common's migration of an old my.cnf, say).
  alt=$(echo "$line" | awk '{print $4}') path=$(echo "$line" | awk '{print $5}')
  if [ ! -e "$out$path" ] && [ ! -L "$out$path" ]; then continue; fi
  mkdir -p "$out/etc/alternatives" "$out/var/lib/dpkg/alternatives"
  # The target's own choices for this name, if it has any, are kept.
  if [ -f "$target/alternatives/$alt" ] && [ ! -f "$out/var/lib/dpkg/alternatives/$alt" ]; then
    cp "$target/alternatives/$alt" "$out/var/lib/dpkg/alternatives/$alt"
  fi
  # shellcheck disable=SC2086 # the line's words, checked above to hold nothing a shell expands
  set -- ${line#*update-alternatives}
  update-alternatives --quiet --root "$out" "$@" || echo "$pkg: update-alternatives failed: $line" >&2
done < "$work/alternatives"
# Its log (under OUT: --root puts even a --log path there) holds the time of each line: the image
# would differ in every build.
rm -f "$out/var/log/alternatives.log"
if [ -n "$ca" ]; then
  need openssl "ca-certificates needs its hash links made"
  # As its postinst and update-ca-certificates do on a first install (in the C locale a build
  # runs them in): the conf lists every shipped certificate, each becomes NAME.pem in
  # /etc/ssl/certs (with the script's renaming), the bundle is their concatenation in that
  # order, local ones last. openssl rehash works on copies, as the links point into the image.
  certs=$out/etc/ssl/certs
  mkdir -p "$certs" "$out/usr/local/share/ca-certificates" "$work/rehash"
  { echo "# Every certificate in /usr/share/ca-certificates enabled, as ca-certificates' postinst does on a"
    echo "# first install (written by mab's unpack-target.sh). See update-ca-certificates(8)."
    (cd "$out/usr/share/ca-certificates" && find . -type f -name '*.crt') | sed 's#^\./##' | LC_ALL=C sort; } > "$out/etc/ca-certificates.conf"
  : > "$certs/ca-certificates.crt"
  { sed -e '/^#/d' -e 's#^#/usr/share/ca-certificates/#' "$out/etc/ca-certificates.conf"
    (cd "$out" && find usr/local/share/ca-certificates -type f -name '*.crt') | LC_ALL=C sort | sed 's#^#/#'; } |
    while read -r crt; do
      pem=$(basename "$crt" .crt | sed -e 's/ /_/g' -e 's/[()]/=/g' -e 's/,/_/g').pem
      ln -sfn "$crt" "$certs/$pem"
      sed -e '$a\' "$out$crt" >> "$certs/ca-certificates.crt"
      cp "$out$crt" "$work/rehash/$pem"
    done
  openssl rehash "$work/rehash"
  for link in "$work"/rehash/*; do
    if [ -L "$link" ]; then ln -sfn "$(readlink "$link")" "$certs/${link##*/}"; fi
  done
  echo "ca-certificates: $(grep -c 'BEGIN CERTIFICATE' "$certs/ca-certificates.crt") certificates in /etc/ssl/certs/ca-certificates.crt"
fi
# The interpreter's own modules: python3.X-minimal's script compiles libpython3.X-minimal's
# files, python3.X's those of libpython3.X-stdlib (not -dev's, whose config directory stays as is).
for list in "$out"/var/lib/dpkg/info/python3.*.list; do
  v=${list##*/python} && v=${v%.list}
  case "$v" in
    3.*-minimal) lib=libpython$v ;;
    3.*-*) continue ;;
    3.*) lib=libpython$v-stdlib ;;
    *) continue ;;
  esac
  for l in "$out/var/lib/dpkg/info/$lib.list" "$out/var/lib/dpkg/info/$lib":*.list; do
    if [ -e "$l" ]; then grep -E '^/usr/lib/python3\.[0-9]+/.*\.py$' "$l" >> "$work/py" || true; fi
  done
done
if [ -s "$work/py" ]; then
  sort -u "$work/py" | sed "s#^#$out#" > "$work/py.all"
  need python3 "$(wc -l < "$work/py.all") Python files need byte-compiling"
  # -s/-p record each file's path in the image, not under OUT, as the scripts would; as with
  # py3compile, a file that does not compile is left without a .pyc.
  python3 -m compileall -q -j 0 -s "$out" -p / -i "$work/py.all" > "$work/compile.log" 2>&1 || true
  echo "byte-compiled $(wc -l < "$work/py.all") Python files ($(grep -c '^\*\*\*' "$work/compile.log") did not compile) with $(python3 -V)"
fi
rm -rf "$work"
