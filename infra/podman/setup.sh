#!/usr/bin/env bash
# Rootful podman serving the Docker API for testcontainers, plus the base image the
# project's Containerfiles build on (localhost/debian:bookworm, imported from debootstrap:
# there is no container registry here).
#
#   infra/podman/setup.sh          install/configure, build the base once, start the API socket,
#                                  print the env to use (eval-able KEY=VALUE lines on stdout)
#   PODMAN_SOCK=/tmp/podman.sock   where the Docker-compatible API listens
#
# Idempotent and fast when everything is already there.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=infra/dev/lib.sh
. "$HERE/../dev/lib.sh"

SOCK="${PODMAN_SOCK:-/tmp/podman.sock}"
BASE_IMAGE="${SPOTCHECK_BASE_IMAGE:-localhost/debian:bookworm}"
SUITE="${DEBIAN_SUITE:-bookworm}"
LOG_DIR="${SPOTCHECK_CACHE:-$HOME/.cache/spotcheck}"
mkdir -p "$LOG_DIR"
# pid and log of the API service, one per socket: $LOG_DIR/podman-service.<socket name>.{pid,log}
SERVICE="$LOG_DIR/podman-service.$(basename "$SOCK" .sock)"

log() { echo "[podman-setup] $*" >&2; }

# --- packages ---------------------------------------------------------------------------
export PATH="$PATH:/usr/sbin:/sbin"
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  # With recommends: netavark, aardvark-dns, catatonit, slirp4netns come along as on the
  # reference machine.
  APT_RECOMMENDS=1 apt_install "${need[@]}" >&2
fi

# --- engine configuration (crun fails on this kernel's hybrid cgroups) -------------------
conf=/etc/containers/containers.conf
want='# written by spotcheck infra/podman/setup.sh
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
'
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$(printf '%s' "$want")" ]; then
  mkdir -p /etc/containers
  if [ -f "$conf" ] && ! grep -q 'spotcheck infra/podman/setup.sh' "$conf"; then
    cp "$conf" "$conf.bak.$(date +%s)"
  fi
  printf '%s' "$want" >"$conf"
  log "wrote $conf"
fi

# --- base image ---------------------------------------------------------------------------
if ! podman image exists "$BASE_IMAGE"; then
  mirror="$(debian_mirror "$SUITE")"
  [ -n "$mirror" ] || { log "no Debian mirror for $SUITE in /etc/apt/sources.list(.d)"; exit 1; }
  root="$(mktemp -d /var/tmp/spotcheck-debootstrap.XXXXXX)"
  trap 'rm -rf "$root"' EXIT
  log "debootstrap --variant=minbase $SUITE (this takes a few minutes, once)"
  t0=$SECONDS
  if ! debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$LOG_DIR/debootstrap.log" 2>&1; then
    tail -n 40 "$LOG_DIR/debootstrap.log" >&2
    log "debootstrap failed (log: $LOG_DIR/debootstrap.log)"
    exit 1
  fi
  # Same Debian sources as the host (updates and security too); the keyring is in minbase.
  sources="$(debian_sources_deb822 "$SUITE")"
  if [ -n "$sources" ]; then
    rm -f "$root/etc/apt/sources.list"
    printf '%s\n' "$sources" >"$root/etc/apt/sources.list.d/debian.sources"
  fi
  # Small images, no interactive prompts, no recommends.
  cat >"$root/etc/apt/apt.conf.d/90spotcheck" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
APT
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import -q \
    --change 'ENV DEBIAN_FRONTEND=noninteractive' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  log "imported $BASE_IMAGE in $((SECONDS - t0)) s"
fi

# --- Docker-compatible API socket --------------------------------------------------------
if ! sock_answers "$SOCK"; then
  rm -f "$SOCK"
  log "starting podman system service on unix://$SOCK"
  setsid nohup podman system service --time=0 "unix://$SOCK" \
    >"$SERVICE.log" 2>&1 </dev/null &
  echo $! >"$SERVICE.pid"
  for _ in $(seq 1 60); do
    sock_answers "$SOCK" && break
    sleep 0.5
  done
  sock_answers "$SOCK" || {
    tail -n 30 "$SERVICE.log" >&2
    log "podman API did not answer on $SOCK"
    exit 1
  }
fi

# --- the environment testcontainers needs (this VM has /.dockerenv) ----------------------
cat <<ENV
DOCKER_HOST=unix://$SOCK
TESTCONTAINERS_RYUK_DISABLED=true
TESTCONTAINERS_CONNECTION_MODE=docker_host
TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
ENV
