#!/usr/bin/env bash
# The HTTP load tool of `make load`: vegeta (constant arrival rate, an open model: requests leave
# on schedule whether or not the earlier ones have answered, so a slow server shows as latency,
# not as a lower rate). No package ships it: `fetch` builds it once with `go install` from the
# Go module proxy, pinned, into the cache outside the repository.
#
#   infra/load/vegeta.sh fetch    build (once) -> $VEGETA_BIN; the build's log beside it
#   infra/load/vegeta.sh path     print the binary's path (builds it first if missing)
#
# Environment: VEGETA_VERSION (default v12.13.0), SPOTCHECK_BIN (default ~/.cache/spotcheck/bin).
set -euo pipefail
VEGETA_VERSION="${VEGETA_VERSION:-v12.13.0}"
BIN="${SPOTCHECK_BIN:-$HOME/.cache/spotcheck/bin}"
VEGETA_BIN="$BIN/vegeta-$VEGETA_VERSION"
LOG="$BIN/vegeta-$VEGETA_VERSION.build.log"

log() { echo "[vegeta] $*" >&2; }

fetch() {
  [ -x "$VEGETA_BIN" ] && return 0
  command -v go >/dev/null || { log "ERROR: go is needed to build vegeta"; return 1; }
  mkdir -p "$BIN"
  local gobin
  gobin="$(mktemp -d)"  # go install names the binary "vegeta"; the cache keeps the version
  log "building github.com/tsenart/vegeta/v12@$VEGETA_VERSION (once; log $LOG)"
  if ! GOBIN="$gobin" GOFLAGS=-mod=mod go install -trimpath \
    "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    rm -rf "$gobin"
    log "ERROR: the build failed (log $LOG)"
    return 1
  fi
  mv -f "$gobin/vegeta" "$VEGETA_BIN"
  rm -rf "$gobin"
  log "built $VEGETA_BIN"
}

case "${1:-}" in
  fetch) fetch ;;
  path) fetch && echo "$VEGETA_BIN" ;;
  *) echo "usage: $0 fetch|path" >&2; exit 2 ;;
esac
