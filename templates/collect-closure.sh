#!/bin/sh
# collect-closure.sh OUT PATH...   (run in the build stage by the `minimal` strategy)
# Copies each PATH (relative to /) into OUT, then every shared library the ELF files under them
# load, as ldd resolves them, plus the dynamic loader. Libraries land at their canonical /usr
# paths, with the soname symlinks the loader looks up; the top-level merged-/usr symlinks
# (/lib -> usr/lib, ...) are copied as symlinks, so the loader's path /lib/ld-linux-*.so.* works.
set -eu
out=$1
shift
cd /
mkdir -p "$out"
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then cp -a "/$d" "$out/"; fi
done
keep() { # copy a path, and the file a symlink points to
  cp -a --parents "$1" "$out/"
  target=$(readlink -f "/$1")
  if [ "$target" != "/$1" ]; then cp -a --parents "${target#/}" "$out/"; fi
}
for p in "$@"; do keep "$p"; done
find "$@" -type f | while read -r f; do
  # ELF magic: 0x7f 'E' 'L' 'F'
  if [ "$(od -An -c -N4 "$f" | tr -d ' ')" = '177ELF' ]; then
    # Static binaries make ldd fail: they need nothing.
    ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' || true
  fi
done | sort -u | while read -r lib; do
  dir=$(readlink -f "$(dirname "$lib")")
  keep "${dir#/}/$(basename "$lib")"
done
echo "collect-closure: $(find "$out" -type f | wc -l) files, $(du -sk "$out" | cut -f1) KiB"
