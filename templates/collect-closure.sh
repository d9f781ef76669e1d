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
keep() { # copy a path and, for a symlink, every link of its chain and the file at its end
  p="/$1" hops=0
  while :; do
    cp -a --parents "${p#/}" "$out/"
    # Debian's alternatives chain two or three links (libblas.so.3 -> /etc/alternatives/... ->
    # openblas-pthread/...): the loader follows them all, so all of them must be there.
    if [ ! -L "$p" ] || [ $hops -ge 40 ]; then break; fi
    next=$(readlink "$p")
    case "$next" in /*) ;; *) next="$(dirname "$p")/$next" ;; esac
    p="$(readlink -f "$(dirname "$next")")/$(basename "$next")"
    hops=$((hops + 1))
  done
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
