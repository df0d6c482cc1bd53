#!/usr/bin/env bash
# A pinned Go tool that no package ships, built once with `go install` from the Go module proxy
# into the cache outside the repository: helm, promtool and amtool (infra/helm/check.sh), vegeta
# (make load).
#
#   infra/bin/go-tool.sh NAME MODULE@VERSION
#
# builds (once) $SPOTCHECK_BIN/NAME-VERSION, links $SPOTCHECK_BIN/NAME to it (so $SPOTCHECK_BIN
# on PATH finds it by name) and prints its path. The build's log is kept beside it
# (NAME-VERSION.build.log); a failed build prints its end and exits 1, as does a missing go.
# SPOTCHECK_BIN defaults to ~/.cache/spotcheck/bin.
set -euo pipefail
if [[ $# -ne 2 || "$2" != *@* ]]; then
  echo "usage: $0 NAME MODULE@VERSION" >&2
  exit 2
fi
NAME="$1"
MODULE="$2"
BIN="${SPOTCHECK_BIN:-$HOME/.cache/spotcheck/bin}"
TOOL="$BIN/$NAME-${MODULE##*@}"
LOG="$TOOL.build.log"

log() { echo "[$NAME] $*" >&2; }

build() {
  command -v go >/dev/null || { log "ERROR: go is needed to build $MODULE"; return 1; }
  mkdir -p "$BIN"
  local gobin start built
  gobin="$(mktemp -d)" # go install names the binary after the package; the cache adds the version
  start=$SECONDS
  log "building $MODULE (once; log $LOG)"
  if ! GOBIN="$gobin" GOFLAGS=-buildvcs=false go install -trimpath "$MODULE" >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    rm -rf "$gobin"
    log "ERROR: the build failed (log $LOG)"
    return 1
  fi
  built=("$gobin"/*)
  mv -f "${built[0]}" "$TOOL.tmp" && mv -f "$TOOL.tmp" "$TOOL"
  rm -rf "$gobin"
  log "built $TOOL in $((SECONDS - start)) s"
}

[[ -x "$TOOL" ]] || build
ln -sfn "$(basename "$TOOL")" "$BIN/$NAME"
echo "$TOOL"
