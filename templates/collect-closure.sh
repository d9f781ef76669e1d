#!/bin/sh
# collect-closure.sh [--cross GNU ROOT] OUT PATH...
#   (run in the build stage by the `minimal` and `minimal-cross` strategies)
# Copies each PATH (relative to /) into OUT, then every shared library the ELF files under them
# load, plus the dynamic loader. Libraries land at their canonical /usr paths, with the soname
# symlinks the loader looks up; the top-level merged-/usr symlinks (/lib -> usr/lib, ...) are
# copied as symlinks, so the loader's path /lib/ld-linux-*.so.* works.
#
# Without --cross the stage is the target platform (native or emulated) and ldd says what each
# file loads. With --cross the stage runs on the build platform and nothing of the target's may
# run here: ROOT holds the target's runtime packages (unpacked by unpack-target.sh); a PATH is
# taken from ROOT when it is there, else from this stage (what the build steps made); each ELF
# file is read instead (readelf: its DT_NEEDED names, RUNPATH and program interpreter), and each
# name looked up as the target's loader (GNU triplet GNU) would: in the RUNPATH, then in the
# multiarch and plain library directories, in ROOT first, then in this stage.
set -eu
cross='' gnu='' root=''
if [ "$1" = --cross ]; then cross=1 gnu=$2 root=$3; shift 3; fi
out=$1
shift
cd /
mkdir -p "$out"
work=$(mktemp -d)

# canon BASE PATH: PATH with every symbolic link resolved inside BASE (an absolute link starts
# again at BASE, not at this stage's /), as the target system will see it.
canon() {
  cb=$1 crest=${2#/} cdone='' chops=0
  while [ -n "$crest" ]; do
    cc=${crest%%/*}
    case "$crest" in */*) crest=${crest#*/} ;; *) crest='' ;; esac
    case "$cc" in '' | .) continue ;; ..) cdone=${cdone%/*}; continue ;; esac
    if [ -L "$cb$cdone/$cc" ] && [ $chops -lt 40 ]; then
      ct=$(readlink "$cb$cdone/$cc")
      chops=$((chops + 1))
      case "$ct" in /*) cdone='' crest="${ct#/}${crest:+/$crest}" ;; *) crest="$ct${crest:+/$crest}" ;; esac
    else
      cdone="$cdone/$cc"
    fi
  done
  echo "${cdone:-/}"
}

# keep BASE PATH: copies PATH from BASE (empty: /) and, for a symlink, every link of its chain and
# the file at its end. Debian's alternatives chain two or three links (libblas.so.3 ->
# /etc/alternatives/... -> openblas-pthread/...): the loader follows them all, so all must be there.
keep() {
  kb=$1 kp="/$2" khops=0
  while :; do
    (cd "${kb:-/}" && cp -a --parents "${kp#/}" "$out/")
    if [ ! -L "$kb$kp" ] || [ $khops -ge 40 ]; then break; fi
    next=$(readlink "$kb$kp")
    case "$next" in /*) ;; *) next="$(dirname "$kp")/$next" ;; esac
    kp="$(canon "$kb" "$(dirname "$next")")/$(basename "$next")"
    kp="/${kp#/}"
    khops=$((khops + 1))
  done
}

is_elf() { [ "$(od -An -c -N4 "$1" | tr -d ' ')" = '177ELF' ]; } # 0x7f 'E' 'L' 'F'

if [ -z "$cross" ]; then
  for d in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$d" ]; then cp -a "/$d" "$out/"; fi
  done
  for p in "$@"; do keep '' "$p"; done
  find "$@" -type f | while read -r f; do
    # Static binaries make ldd fail: they need nothing.
    if is_elf "$f"; then ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' || true; fi
  done | sort -u | while read -r lib; do
    dir=$(readlink -f "$(dirname "$lib")")
    keep '' "${dir#/}/$(basename "$lib")"
  done
else
  # The target's merged-/usr links, as its base-files makes them (unpack-target.sh makes the same).
  for d in bin sbin lib; do ln -sfn "usr/$d" "$out/$d"; done
  if [ "$gnu" = x86_64-linux-gnu ]; then ln -sfn usr/lib64 "$out/lib64"; fi
  # One readelf per batch of files (never one process per file: a standard library has a
  # thousand), printing for each ELF file among them FILE|INTERPRETER|RUNPATH|NEEDED NEEDED...
  # (/dev/null first, so that readelf, given two files at least, names each; it names no file
  # that is not ELF).
  readelf_all() {
    xargs -r -d '\n' readelf -dlW /dev/null 2>/dev/null | awk '
      function flush() { if (file != "") print file "|" interp "|" runpath "|" needed }
      function inside(s) { sub(/^.*\[/, "", s); sub(/\]$/, "", s); return s }
      /^File: / { flush(); file = substr($0, 7); interp = ""; runpath = ""; needed = ""; next }
      /\[Requesting program interpreter: / { s = $0; sub(/^.*interpreter: /, "", s); sub(/\]$/, "", s); interp = s; next }
      /\(RUNPATH\)/ { runpath = inside($0); next }
      /\(RPATH\)/ { if (runpath == "") runpath = inside($0); next }
      /\(NEEDED\)/ { needed = needed " " inside($0); next }
      END { flush() }'
  }
  # find_lib NAME DIR...: BASE|PATH of the first DIR/NAME there is, ROOT before this stage.
  find_lib() {
    name=$1
    shift
    for dir in "$@"; do
      for b in "$root" ''; do
        d=$(canon "$b" "$dir")
        if [ -e "$b$(canon "$b" "$d/$name")" ]; then printf '%s|%s/%s\n' "$b" "${d%/}" "$name" && return; fi
      done
    done
  }
  : > "$work/files"
  : > "$work/names"
  : > "$work/kept"
  for p in "$@"; do
    b=''
    if [ -e "$root/$p" ] || [ -L "$root/$p" ]; then b=$root; fi
    keep "$b" "$p"
    (cd "${b:-/}" && find "$p" -type f) | sed "s#^#${b}/#" >> "$work/files"
  done
  # In rounds: the files found so far are read; each library name they load is looked up once
  # (the loader maps one object per name), with the runpath of a file that loads it; what is
  # found is copied and read in the next round.
  while [ -s "$work/files" ]; do
    readelf_all < "$work/files" | awk -F'|' -v root="$root" -v gnu="$gnu" '
      {
        f = $1
        if (root != "" && index(f, root "/") == 1) f = substr(f, length(root) + 1)
        origin = f; sub(/\/[^\/]*$/, "", origin)
        rp = $3; gsub(/:/, " ", rp); gsub(/\$\{ORIGIN\}|\$ORIGIN/, origin, rp)
        if ($2 != "") { n = $2; d = n; sub(/\/[^\/]*$/, "", d); sub(/^.*\//, "", n); print n "|" d }
        k = split($4, needed, " ")
        for (i = 1; i <= k; i++) print needed[i] "|" rp " /lib/" gnu " /usr/lib/" gnu " /lib /usr/lib"
      }' | sort -t'|' -k1,1 -u | awk -F'|' 'FILENAME == ARGV[1] { done[$1] = 1; next } !($1 in done)' "$work/names" - > "$work/wanted"
    : > "$work/files"
    # shellcheck disable=SC2086 # the directories hold no spaces
    while IFS='|' read -r name dirs; do
      echo "$name" >> "$work/names"
      find_lib "$name" $dirs
    done < "$work/wanted" | while IFS='|' read -r lb lib; do
      if grep -qxF "$lb|$lib" "$work/kept"; then continue; fi
      echo "$lb|$lib" >> "$work/kept"
      keep "$lb" "${lib#/}"
      echo "$lb$(canon "$lb" "$lib")" >> "$work/files"
    done
  done
fi
rm -rf "$work"
echo "collect-closure: $(find "$out" -type f | wc -l) files, $(du -sk "$out" | cut -f1) KiB"
