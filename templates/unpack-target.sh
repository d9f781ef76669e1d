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
# Maintainer scripts do not run: a package that needs its own to work (a service, an alternative)
# is not for this strategy.
set -eu
arch=$1 target=$2 out=$3
shift 3
status=$target/status
work=/tmp/mab-unpack
mkdir -p "$work/lists/partial" "$work/debs/partial" "$work/control"
opts="-o APT::Architecture=$arch -o APT::Architectures=$arch -o Dir::State::status=$status"
opts="$opts -o Dir::State::Lists=$work/lists -o Dir::Cache::Archives=$work/debs"
# shellcheck disable=SC2086 # $opts holds -o KEY=VALUE pairs without spaces
apt-get $opts -qq update
# shellcheck disable=SC2086
apt-get $opts -qq install -y --download-only --no-install-recommends "$@"

# path-exclude / path-include, in dpkg's order; the last rule that matches a path decides.
rules=$(cat "$target/dpkg/dpkg.cfg" "$target"/dpkg/dpkg.cfg.d/* 2>/dev/null |
  sed -n 's/^[[:space:]]*\(path-exclude\|path-include\)[[:space:]=][[:space:]]*\([^[:space:]]*\).*$/\1 \2/p')
excluded() {
  verdict=keep
  while read -r kind pattern; do
    [ -n "$kind" ] || continue
    # shellcheck disable=SC2254 # the pattern is a glob, as in dpkg (fnmatch without FNM_PATHNAME)
    case "$1" in $pattern) if [ "$kind" = path-exclude ]; then verdict=drop; else verdict=keep; fi ;; esac
  done <<RULES
$rules
RULES
  [ "$verdict" = drop ]
}

mkdir -p "$out/usr/bin" "$out/usr/sbin" "$out/usr/lib" "$out/var/lib/dpkg/info"
for d in bin sbin lib; do ln -sfn "usr/$d" "$out/$d"; done
if [ "$arch" = amd64 ]; then mkdir -p "$out/usr/lib64" && ln -sfn usr/lib64 "$out/lib64"; fi
cp "$status" "$out/var/lib/dpkg/status"
for deb in "$work"/debs/*.deb; do
  [ -e "$deb" ] || continue
  # One pass: tar -v names each member as it is unpacked, which is the package's file list.
  dpkg-deb --fsys-tarfile "$deb" | tar -xv --keep-directory-symlink -C "$out" > "$work/members"
  pkg=$(dpkg-deb -f "$deb" Package)
  name=$pkg
  if [ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ]; then name="$pkg:$arch"; fi
  { echo; echo "Package: $pkg"; echo "Status: install ok installed"; dpkg-deb -f "$deb" | grep -v '^Package:'; } >> "$out/var/lib/dpkg/status"
  sed -e 's#^\./#/#' -e 's#/$##' -e '/^\/*$/d' "$work/members" |
    while read -r path; do
      if [ ! -d "$out$path" ] && excluded "$path"; then rm -f "$out$path"; else echo "$path"; fi
    done > "$work/list"
  # Excluded directories go too once empty (deepest first), as dpkg never creates them.
  sort -r "$work/list" | while read -r path; do
    if [ -d "$out$path" ] && [ ! -L "$out$path" ] && excluded "$path"; then rmdir "$out$path" 2>/dev/null || echo "$path"; else echo "$path"; fi
  done | sort > "$out/var/lib/dpkg/info/$name.list"
  rm -rf "$work/control" && dpkg-deb -e "$deb" "$work/control"
  for f in md5sums conffiles shlibs symbols triggers templates config preinst postinst prerm postrm; do
    if [ -f "$work/control/$f" ]; then cp "$work/control/$f" "$out/var/lib/dpkg/info/$name.$f"; fi
  done
  echo "unpacked $pkg ($arch)"
done
rm -rf "$work"
