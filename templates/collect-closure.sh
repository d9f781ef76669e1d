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
#
# Then the Debian packages the kept files come from are recorded as distroless images record
# theirs, where SBOM scanners (and mab sbom) look: OUT has no dpkg database, yet it holds, say,
# libc6's files. For each package that lists a kept file or link (in ROOT's dpkg database for
# what came from ROOT, in this stage's for the rest):
#   var/lib/dpkg/status.d/PACKAGE          its stanza, as dpkg-query -s prints it
#   var/lib/dpkg/status.d/PACKAGE.md5sums  the lines of its md5sums for the kept files
# A file no package lists (the build's own output, a module byte-compiled here) gets nothing.
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

# merged BASE: an awk regular expression for the paths under the top-level directories BASE links
# to usr/ (merged /usr): a package may list /lib/x for what is at /usr/lib/x.
merged() {
  mr=''
  for d in bin sbin lib lib32 lib64 libx32; do
    if [ "$(readlink "$1/$d" || true)" = "usr/$d" ]; then mr="$mr${mr:+|}$d"; fi
  done
  if [ -n "$mr" ]; then echo "^/($mr)/"; fi
}

# owners BASE FILES: "PATH<TAB>NAME", sorted, for each path of the file FILES that a package of
# BASE's dpkg database lists, NAME as its info/NAME.list is called (PACKAGE, or PACKAGE:ARCH for
# a Multi-Arch: same one). One awk per batch of lists, not one process per file.
owners() {
  find "$1/var/lib/dpkg/info" -name '*.list' 2> /dev/null | LC_ALL=C sort |
    xargs -r awk -v re="$(merged "$1")" '
      FILENAME == ARGV[1] { kept[$0] = 1; next }
      FNR == 1 { name = FILENAME; sub(/^.*\//, "", name); sub(/\.list$/, "", name) }
      { p = $0; if (re != "" && p ~ re) p = "/usr" p }
      p in kept { print p "\t" name }' "$2" | LC_ALL=C sort -u
}

# record BASE OWNERS: writes status.d/PACKAGE and PACKAGE.md5sums for each package OWNERS names,
# from BASE's dpkg database (appending: a package of ROOT's and one of this stage's may share a
# name, and a status.d file may hold several stanzas).
record() {
  rb=$1 db=$1/var/lib/dpkg
  cut -f2 "$2" | LC_ALL=C sort -u > "$work/names"
  # unpack-target.sh's stanzas have no Conffiles field: given here as dpkg would have written it
  # (each conffile's path and the MD5 of what was unpacked).
  : > "$work/conffiles"
  if [ "$rb" = "$root" ] && [ -n "$root" ]; then
    while read -r name; do
      if [ -f "$db/info/$name.conffiles" ]; then
        sed -n 's#^\(remove-on-upgrade[[:space:]]\{1,\}\)\{0,1\}\(/.*\)$#\2#p' "$db/info/$name.conffiles" | while read -r c; do
          if [ -f "$rb$c" ]; then printf '%s\t %s %s\n' "$name" "$c" "$(md5sum < "$rb$c" | cut -d' ' -f1)"; fi
        done
      fi
    done < "$work/names" >> "$work/conffiles"
  fi
  # Each stanza's fields in dpkg's order (lib/dpkg/parse.c, fieldinfos), then the others as
  # written: what dpkg-query -s prints, the same for a stanza of ROOT's as for one dpkg wrote.
  awk -v names="$work/names" -v conffiles="$work/conffiles" -v dir="$sd" '
    function value(f,   v) { v = val[f]; sub(/^[^:]*:[ \t]*/, "", v); return v }
    BEGIN {
      while ((getline l < names) > 0) want[l] = 1
      while ((getline l < conffiles) > 0) { t = index(l, "\t"); cf[substr(l, 1, t - 1)] = cf[substr(l, 1, t - 1)] "\n" substr(l, t + 1) }
      n = split("Package Essential Protected Status Priority Section Installed-Size Origin Maintainer Bugs " \
        "Architecture Multi-Arch Source Version Config-Version Replaces Provides Depends Pre-Depends " \
        "Recommends Suggests Breaks Conflicts Enhances Conffiles Filename Size MD5sum MSDOS-Filename " \
        "Description Triggers-Pending Triggers-Awaited", order, " ")
      for (i = 1; i <= n; i++) known[order[i]] = 1
      RS = ""
    }
    {
      split("", val); nf = 0
      k = split($0, line, "\n")
      for (i = 1; i <= k; i++) {
        if (line[i] ~ /^[ \t]/) { if (nf) val[f] = val[f] "\n" line[i]; continue }
        c = index(line[i], ":")
        if (c < 2) continue
        f = substr(line[i], 1, c - 1); field[++nf] = f; val[f] = line[i]
      }
      if (value("Status") !~ / installed$/) next
      pkg = value("Package"); key = pkg ":" value("Architecture")
      if (!(key in want)) key = pkg
      if (!(key in want)) next
      if (!("Conffiles" in val) && (key in cf)) val["Conffiles"] = "Conffiles:" cf[key]
      out = dir "/" pkg
      for (i = 1; i <= n; i++) if (order[i] in val) print val[order[i]] >> out
      for (i = 1; i <= nf; i++) if (!(field[i] in known)) print val[field[i]] >> out
      close(out)
    }' "$db/status"
  # The md5sums lines of the kept files, named by their path in OUT, in the order of OWNERS.
  awk -F'\t' -v db="$db" -v dir="$sd" -v re="$(merged "$rb")" '
    { kept[$2, ++count[$2]] = $1; if (count[$2] == 1) names[++n] = $2 }
    END {
      for (i = 1; i <= n; i++) {
        name = names[i]; split("", md5)
        f = db "/info/" name ".md5sums"
        while ((getline l < f) > 0) {
          p = l; sub(/^[0-9a-fA-F]+[ \t]+\*?/, "", p); sub(/^(\.\/|\/)+/, "", p); p = "/" p
          if (re != "" && p ~ re) p = "/usr" p
          md5[p] = substr(l, 1, 32)
        }
        close(f)
        pkg = name; sub(/:.*$/, "", pkg)
        for (j = 1; j <= count[name]; j++) {
          p = kept[name, j]
          if (p in md5) print md5[p] "  " substr(p, 2) >> (dir "/" pkg ".md5sums")
        }
        close(dir "/" pkg ".md5sums")
      }
    }' "$2"
}

# The kept files and links (not the top-level merged-/usr links: those are directories in the
# packages), each from ROOT if ROOT has it, as keep() took it.
sd=$out/var/lib/dpkg/status.d
(cd "$out" && find . -mindepth 2 \( -type f -o -type l \) -print) | sed 's#^\.##' | LC_ALL=C sort > "$work/out"
: > "$work/from-root"
if [ -n "$cross" ]; then
  while IFS= read -r p; do
    if [ -e "$root$p" ] || [ -L "$root$p" ]; then echo "$p" >&3; else echo "$p"; fi
  done < "$work/out" > "$work/from-stage" 3> "$work/from-root"
else
  cp "$work/out" "$work/from-stage"
fi
: > "$work/owners-root"
if [ -s "$work/from-root" ]; then owners "$root" "$work/from-root" > "$work/owners-root"; fi
owners '' "$work/from-stage" > "$work/owners-stage"
if [ -s "$work/owners-root" ] || [ -s "$work/owners-stage" ]; then
  mkdir -p "$sd"
  if [ -s "$work/owners-root" ]; then record "$root" "$work/owners-root"; fi
  if [ -s "$work/owners-stage" ]; then record '' "$work/owners-stage"; fi
fi
recorded=$(cat "$work/owners-root" "$work/owners-stage" | cut -f2 | sed 's/:.*//' | sort -u | wc -l)
rm -rf "$work"
echo "collect-closure: $(find "$out" -type f | wc -l) files, $(du -sk "$out" | cut -f1) KiB; $recorded Debian packages recorded in /var/lib/dpkg/status.d"
