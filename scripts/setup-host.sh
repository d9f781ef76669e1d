#!/usr/bin/env bash
# Turns a fresh Debian 12 root machine into a mab build host. Idempotent: every step checks
# before it acts, so a second run takes seconds. Facts behind each step: shared/design/HOST-SETUP.md.
#   MAB_REGISTRY_DIR   registry data dir (default /var/lib/mab/registry)
#   MAB_SKIP_BASE=1    do not create the debian base images
#   MAB_MIN_FREE_MIB   free disk space required to go on (default 6144)
#   MAB_BUILD_CACHE    BuildKit cache size dockerd prunes back to after builds (default 20GB)
#   MAB_ENGINE         the Docker Engine to run (docs/engines.md):
#                        26.1-containerd  trixie's docker.io 26.1 with the containerd image store (default:
#                                         the store Docker 29 uses on new installs)
#                        26.1-overlay2    the same engine with its own overlay2 layer store
#                        20.10            bookworm's docker.io 20.10, the engine edge boards run
#                      A host that runs another one is moved to it (images built there stay in its store,
#                      unseen, until it is chosen again).
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_DIR=${MAB_REGISTRY_DIR:-/var/lib/mab/registry}
ENGINE=${MAB_ENGINE:-26.1-containerd}
case $ENGINE in
  26.1-containerd|26.1-overlay2) ENGINE_VERSION=26.1 ;;
  20.10) ENGINE_VERSION=20.10 ;;
  *) echo "setup-host.sh: MAB_ENGINE=$ENGINE is none of 26.1-containerd, 26.1-overlay2, 20.10" >&2; exit 1 ;;
esac
log() { printf '[setup] %s\n' "$*"; }
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { echo "setup-host.sh must run as root (it installs packages and starts dockerd)" >&2; exit 1; }

# --- free disk -------------------------------------------------------------------------------
# Base images, BuildKit's cache, the registry and the engine tests' stores need several GiB; a
# build that runs out halfway fails with errors that do not say why. Say it up front instead.
need_mib=${MAB_MIN_FREE_MIB:-6144}
for d in / /var/lib /tmp; do
  free_mib=$(df -Pm "$d" | awk 'NR==2 {print $4}')
  if [ "$free_mib" -lt "$need_mib" ]; then
    echo "setup-host.sh: only ${free_mib} MiB free on the filesystem of $d; a build host needs ${need_mib} MiB." >&2
    echo "  Free space (e.g. 'docker builder prune', old /tmp/mab-* directories) or set MAB_MIN_FREE_MIB." >&2
    exit 1
  fi
done

# --- Debian packages -------------------------------------------------------------------------
# git, bzip2 and xz-utils: mab fetches git sources and unpacks compressed artifacts on the host;
# gnupg (gpg, gpgv): it checks apt repository signatures (the tests build .deb files with dpkg-deb,
# part of dpkg); debian-archive-keyring: the keys Debian's InRelease files are checked with (the
# package preflight); openssl and apache2-utils (htpasswd): the auth tests make certificates and users;
# umoci: a second OCI tool that must read the local store; chromium: the test that opens the HTML
# reports headless at two widths and screenshots them (playwright-core drives it and downloads no
# browser of its own); tmux: the test that runs a build in a pseudo-terminal and reads its screen;
# zsh: the test that loads `mab completion zsh` (bash, for its twin, is always there).
pkgs=(qemu-user-static binfmt-support docker-registry apache2-utils mmdebstrap skopeo
      uidmap arch-test ca-certificates curl git bzip2 xz-utils gnupg gpgv debian-archive-keyring openssl umoci chromium
      tmux zsh)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
# buildx and engine 26.1 are not in bookworm; trixie's packages depend only on libc6 and work
# here. The pin keeps every other package on bookworm.
if [ ! -f /etc/apt/sources.list.d/mab-trixie.list ]; then
  echo 'deb http://deb.debian.org/debian trixie main' > /etc/apt/sources.list.d/mab-trixie.list
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/mab-trixie
fi
# cosign and oras come from trixie too (Go programs that need only libc6 >= 2.34): the tests use
# them as independent checkers of the signatures and attestations mab writes; mab needs neither.
from_trixie=()
[ -x /usr/libexec/docker/cli-plugins/docker-buildx ] || from_trixie+=(docker-buildx)
for p in cosign oras; do command -v "$p" >/dev/null || from_trixie+=("$p"); done
if [ ${#missing[@]} -gt 0 ] || [ ${#from_trixie[@]} -gt 0 ]; then
  log "installing: ${missing[*]} ${from_trixie[*]}"
  apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ ${#from_trixie[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends -t trixie "${from_trixie[@]}" >/dev/null
fi

# --- Docker Engine ---------------------------------------------------------------------------
# Trixie's docker.io 26.1, its docker-cli and containerd 1.7 install on bookworm (libc6 >= 2.34);
# trixie's runc needs glibc 2.38, so runc stays bookworm's 1.1.5 (the pin makes apt take it).
# Moving between engines stops the running daemon first: apt replaces its binary under it.
# A machine without docker.io makes dpkg-query fail; that is the "not installed" answer, not an error.
engine_installed=$( (dpkg-query -W -f='${Status} ${Version}' docker.io 2>/dev/null || true) | sed -n 's/^install ok installed //p')
if [ "$(echo "$engine_installed" | cut -d. -f1,2)" != "$ENGINE_VERSION" ]; then
  if [ -f /var/run/docker.pid ]; then
    log "stopping dockerd ${engine_installed%%+*} to install $ENGINE_VERSION"
    kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
    for _ in $(seq 150); do [ -f /var/run/docker.pid ] || break; sleep 0.2; done
  fi
  log "installing Docker Engine $ENGINE_VERSION"
  apt-get update -qq
  if [ "$ENGINE_VERSION" = 26.1 ]; then
    apt-get install -y -qq --no-install-recommends docker.io/trixie docker-cli/trixie containerd/trixie >/dev/null
  else
    # 20.10's package holds the CLI itself, which trixie's docker-cli would otherwise own.
    apt-get install -y -qq --no-install-recommends --allow-downgrades docker.io/bookworm docker-cli- >/dev/null
  fi
fi

# --- QEMU user emulation ---------------------------------------------------------------------
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || [ ! -e /proc/sys/fs/binfmt_misc/qemu-arm ]; then
  log "registering QEMU interpreters"
  # The F flag (fix binary) in Debian's binfmt.d entries makes them work inside containers.
  /lib/systemd/systemd-binfmt 2>/dev/null || update-binfmts --enable >/dev/null
fi

# --- registry on loopback --------------------------------------------------------------------
mkdir -p "$REGISTRY_DIR" /etc/mab
cat > /etc/mab/registry.yml <<CONF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $REGISTRY_DIR }
  delete: { enabled: true }
http: { addr: $REGISTRY_ADDR }
CONF
if ! curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then
  log "starting registry on $REGISTRY_ADDR ($REGISTRY_DIR)"
  nohup docker-registry serve /etc/mab/registry.yml >/var/log/mab-registry.log 2>&1 &
  for _ in $(seq 50); do curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null || { cat /var/log/mab-registry.log >&2; exit 1; }
fi

# --- dockerd, with the loopback registry as its Docker Hub mirror ----------------------------
# BuildKit keeps every layer and cache mount it made until told otherwise: on this project's CI
# host it reached 55 GB and stopped a run at the free-disk check above. With a keep size, BuildKit
# prunes its least recently used records after each build, so the warm caches CI needs stay.
mkdir -p /etc/docker
# The containerd image store keeps images as the registry has them (manifests, compressed blobs).
features=''
[ "$ENGINE" = 26.1-containerd ] && features=',"features":{"containerd-snapshotter":true}'
want='{"registry-mirrors":["http://'$REGISTRY_ADDR'"],"insecure-registries":["'$REGISTRY_ADDR'"],"builder":{"gc":{"enabled":true,"defaultKeepStorage":"'${MAB_BUILD_CACHE:-20GB}'"}}'$features'}'
restart=0
if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != "$want" ]; then echo "$want" > /etc/docker/daemon.json; restart=1; fi
# A running dockerd whose bridge is gone (another daemon on this host removed docker0) fails
# every RUN step with "could not find bridge docker0"; a restart makes the bridge again.
if [ -f /var/run/docker.pid ] && [ ! -e /sys/class/net/docker0 ]; then restart=1; fi
# A daemon left from another engine (its binary was replaced under it) is restarted too.
running=$(/usr/bin/docker version -f '{{.Server.Version}}' 2>/dev/null || true)
if [ -n "$running" ] && [ "${running#"$ENGINE_VERSION".}" = "$running" ]; then restart=1; fi
if [ $restart = 1 ] && [ -f /var/run/docker.pid ]; then
  log "restarting dockerd (new daemon.json, another engine, or its bridge docker0 is gone)"
  kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
  for _ in $(seq 100); do [ -f /var/run/docker.pid ] || break; sleep 0.2; done
fi
if ! /usr/bin/docker info >/dev/null 2>&1; then
  log "starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 150); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 0.2; done
  /usr/bin/docker info >/dev/null || { tail -20 /var/log/dockerd.log >&2; exit 1; }
fi

# Images the tests and benchmarks tag keep their layers in the store (with the containerd store,
# BuildKit's own cache too, which its GC cannot reclaim while an image uses it): a machine that
# runs the suite again and again fills its disk. Below MAB_PRUNE_BELOW_MIB free (default 30 GiB),
# unused images go and the build cache is cut to 10 GB; what is needed is built again, mostly
# from that cache. (A run here once ended at 11 MiB free: 63 GB of images, 61 GB of build cache.)
prune_mib=${MAB_PRUNE_BELOW_MIB:-30720}
free_mib=$(df -Pm /var/lib/docker 2>/dev/null | awk 'NR==2 {print $4}')
if [ -n "$free_mib" ] && [ "$free_mib" -lt "$prune_mib" ]; then
  log "only ${free_mib} MiB free: removing unused images and cutting the build cache to 10 GB"
  /usr/bin/docker image prune -a -f >/dev/null
  /usr/bin/docker builder prune -f --keep-storage 10GB >/dev/null
  log "now $(df -Pm /var/lib/docker | awk 'NR==2 {print $4}') MiB free"
fi

# --- the project itself ----------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "compiling"
npm run -s build

# --- base images (mab's own command: air-gapped sites need it too) ---------------------------
if [ "${MAB_SKIP_BASE:-0}" != 1 ]; then
  node bin/mab.js base debian:bookworm debian:bookworm-slim --arch amd64,arm64,arm/v7 --security auto --push "$REGISTRY_ADDR"
fi
log "host ready: dockerd $(/usr/bin/docker version -f '{{.Server.Version}}') ($(/usr/bin/docker info -f '{{.Driver}}') store), registry $REGISTRY_ADDR"
