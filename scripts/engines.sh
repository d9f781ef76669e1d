#!/usr/bin/env bash
# Unpacks the Docker engines the engine tests run side by side (test/fixtures/engines.ts), each
# into its own directory, from Debian's .debs without installing them: the host's own docker.io
# package stays whatever it is, and dpkg never sees two docker.io versions at once.
#   /var/lib/mab/engines/docker-20.10/bin   bookworm's docker.io 20.10 (dockerd and its CLI)
#   /var/lib/mab/engines/docker-26.1/bin    trixie's docker.io 26.1 and docker-cli 26.1
# containerd, runc and tini (docker-init) come from the host's packages: trixie's runc needs a newer
# glibc than bookworm has, and bookworm's runc 1.1.5 runs both engines (shared/design/HOST-SETUP.md).
# Idempotent: a stamp file per engine names the .debs it came from; a second run takes no time.
set -euo pipefail
ENGINES=/var/lib/mab/engines
log() { printf '[engines] %s\n' "$*"; }
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { echo "engines.sh must run as root (it writes $ENGINES and may install packages)" >&2; exit 1; }

if ! command -v containerd >/dev/null || ! command -v runc >/dev/null || [ ! -x /usr/bin/tini-static ]; then
  log "installing containerd, runc and tini from the host's own suite"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends containerd runc tini >/dev/null
fi

updated=
# Sets REPLY to the newest version of package $1 that suite $2 (or its -security/-updates) offers
# and that starts with $3: selected by suite, so a point release is picked up without editing
# this file. (REPLY, not output: the one `apt-get update` must be remembered across calls.)
version_in() {
  local pkg=$1 suite=$2 prefix=$3
  REPLY=$(apt-cache madison "$pkg" 2>/dev/null | awk -F' [|] ' -v s="$suite" -v p="$prefix" '
    $3 ~ (" " s "(-security|-updates)?/") && index($2, p) == 1 { print $2; exit }')
  if [ -z "$REPLY" ] && [ -z "$updated" ]; then
    # Package lists may predate the trixie source (or be absent on a fresh machine): refresh once.
    apt-get update -qq
    updated=1
    version_in "$pkg" "$suite" "$prefix"
  fi
  [ -n "$REPLY" ] || { echo "engines.sh: no $pkg $prefix* in Debian $suite (apt-cache madison $pkg; is $suite an apt source?)" >&2; exit 1; }
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

# prepare NAME SUITE PREFIX PKG...: the binaries of PKG (at the suite's version) into $ENGINES/NAME/bin.
prepare() {
  local name=$1 suite=$2 prefix=$3 dir="$ENGINES/$1" tmp="$work/$1" want="" pkg f
  shift 3
  if [ -x "$dir/bin/dockerd" ] && [ -s "$dir/stamp" ]; then
    log "$name: $(cat "$dir/stamp") (already unpacked)"
    return
  fi
  for pkg in "$@"; do version_in "$pkg" "$suite" "$prefix"; want+="$pkg=$REPLY "; done
  want=${want% }
  mkdir -m 755 "$tmp"
  # apt downloads as its _apt user, which must be able to write there (or it warns and runs as root).
  chown _apt "$tmp" 2>/dev/null || true
  # shellcheck disable=SC2086 # one word per package=version
  (cd "$tmp" && apt-get download -qq $want)
  for f in "$tmp"/*.deb; do dpkg-deb -x "$f" "$tmp/root"; done
  mkdir -p "$tmp/bin"
  for f in dockerd docker-proxy docker; do
    for d in usr/sbin usr/bin; do
      if [ -f "$tmp/root/$d/$f" ] && [ ! -L "$tmp/root/$d/$f" ]; then cp "$tmp/root/$d/$f" "$tmp/bin/"; fi
    done
    [ -x "$tmp/bin/$f" ] || { echo "engines.sh: $f is not in $want" >&2; exit 1; }
  done
  # The packages' docker-init is a link to tini's tini-static, which lives outside them.
  ln -s /usr/bin/tini-static "$tmp/bin/docker-init"
  # Swapped in whole, so an interrupted run leaves either the old directory or the new one.
  mkdir -p "$dir"
  rm -rf "$dir/bin.old"
  [ ! -d "$dir/bin" ] || mv "$dir/bin" "$dir/bin.old"
  mv "$tmp/bin" "$dir/bin"
  rm -rf "$dir/bin.old" "$tmp"
  echo "$want" > "$dir/stamp"
  log "$name: $want ($("$dir/bin/dockerd" --version))"
}

prepare docker-20.10 bookworm 20.10. docker.io
prepare docker-26.1 trixie 26.1. docker.io docker-cli
