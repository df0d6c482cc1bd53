#!/usr/bin/env bash
# Builds the container images the e2e tests use, with rootful podman on the debootstrap base.
#
#   infra/images/build.sh [all|kafka|postgres|app]...      (default: all)
#
#   localhost/spotcheck-kafka:dev     Apache Kafka (KRaft), entrypoint infra/kafka/kafka.sh run
#   localhost/spotcheck-postgres:dev  PostgreSQL 15, entrypoint infra/postgres/pg.sh run
#   localhost/spotcheck:dev           the application, entrypoint `spotcheck`
#
# Each image carries a label spotcheck.inputs=<sha256 of everything it is built from, base image
# included>; an image whose label matches is not rebuilt. SPOTCHECK_REBUILD=1 forces a build,
# SPOTCHECK_NO_CACHE=1 also without podman's layer cache (a cold build, as on a new machine).
# SPOTCHECK_BASE_IMAGE (default localhost/debian:bookworm) is passed as the BASE build arg.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/infra/images"
BASE="${SPOTCHECK_BASE_IMAGE:-localhost/debian:bookworm}"
TAG="${SPOTCHECK_IMAGE_TAG:-dev}"
UV="$ROOT/infra/bin/uv.sh"
HOST_CA=/etc/ssl/certs/ca-certificates.crt
LOGS="$ROOT/.run/images"
mkdir -p "$LOGS"

log() { echo "[images] $*" >&2; }

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(all)
want() {
  local t
  for t in "${targets[@]}"; do [ "$t" = all ] || [ "$t" = "$1" ] && return 0; done
  return 1
}

# podman, its configuration and the base image (prints the env on stdout: not needed here).
if [ "$BASE" = localhost/debian:bookworm ]; then
  "$ROOT/infra/podman/setup.sh" >/dev/null
fi
base_id="$(podman image inspect --format '{{.Id}}' "$BASE")"

WORK="$(mktemp -d /var/tmp/spotcheck-images.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# inputs_hash FILE...: sha256 over the base image id, then each file's path and content.
inputs_hash() {
  {
    echo "base $base_id"
    local f
    for f in "$@"; do
      printf '%s\n' "$f"
      sha256sum <"$f"
    done
  } | sha256sum | cut -c1-64
}

up_to_date() { # IMAGE HASH
  [ "${SPOTCHECK_REBUILD:-0}" != 1 ] && [ "${SPOTCHECK_NO_CACHE:-0}" != 1 ] || return 1
  [ "$(podman image inspect --format '{{index .Labels "spotcheck.inputs"}}' "$1" 2>/dev/null)" = "$2" ]
}

# build NAME IMAGE CONTAINERFILE CONTEXT HASH: podman build in the background, log to a file.
pids=()
names=()
build() {
  local name="$1" image="$2" file="$3" ctx="$4" hash="$5"
  (
    t0=$SECONDS
    # Host network for RUN steps: apt and pip reach the registries exactly as the host does.
    local cache=(--layers)
    [ "${SPOTCHECK_NO_CACHE:-0}" = 1 ] && cache=(--no-cache)
    if podman build "${cache[@]}" --pull=never --network host \
      --build-arg "BASE=$BASE" \
      --label "spotcheck.inputs=$hash" \
      -v "$HOST_CA:/etc/host-ca.crt:ro" \
      -f "$file" -t "$image" "$ctx" >"$LOGS/$name.log" 2>&1; then
      log "built $image in $((SECONDS - t0)) s"
    else
      tail -n 40 "$LOGS/$name.log" >&2
      log "FAILED to build $image after $((SECONDS - t0)) s (log: $LOGS/$name.log)"
      exit 1
    fi
  ) &
  pids+=($!)
  names+=("$name")
}

T0=$SECONDS

# --- Kafka ------------------------------------------------------------------------------------
if want kafka; then
  image="localhost/spotcheck-kafka:$TAG"
  hash="$(inputs_hash infra/kafka/pom.xml infra/kafka/kafka.sh infra/kafka/probe.py infra/images/kafka.Containerfile)"
  if up_to_date "$image" "$hash"; then
    log "$image is up to date"
  else
    infra/kafka/kafka.sh fetch
    libs="$(infra/kafka/kafka.sh libs)"
    ctx="$WORK/kafka"
    mkdir -p "$ctx"
    cp -al "$libs" "$ctx/libs" 2>/dev/null || cp -a "$libs" "$ctx/libs"
    rm -f "$ctx/libs/.pom.sha256"
    cp infra/kafka/kafka.sh infra/kafka/probe.py "$ctx/"
    log "building $image"
    build kafka "$image" "$HERE/kafka.Containerfile" "$ctx" "$hash"
  fi
fi

# --- PostgreSQL -------------------------------------------------------------------------------
if want postgres; then
  image="localhost/spotcheck-postgres:$TAG"
  hash="$(inputs_hash infra/postgres/pg.sh infra/images/postgres.Containerfile)"
  if up_to_date "$image" "$hash"; then
    log "$image is up to date"
  else
    ctx="$WORK/postgres"
    mkdir -p "$ctx"
    cp infra/postgres/pg.sh "$ctx/"
    log "building $image"
    build postgres "$image" "$HERE/postgres.Containerfile" "$ctx" "$hash"
  fi
fi

# --- the application --------------------------------------------------------------------------
if want app; then
  image="localhost/spotcheck:$TAG"
  # The web assets first (git-ignored, carried by the spotcheck-common wheel): the hash below
  # covers them, as files under libs/common/src.
  "$ROOT/infra/web/vendor.sh"
  mapfile -t app_inputs < <(
    {
      printf '%s\n' pyproject.toml uv.lock infra/images/app.Containerfile
      ls libs/*/pyproject.toml services/*/pyproject.toml
      find libs/*/src services/*/src -type f ! -name '*.pyc' ! -path '*/__pycache__/*'
    } | LC_ALL=C sort -u
  )
  hash="$(inputs_hash "${app_inputs[@]}")"
  if up_to_date "$image" "$hash"; then
    log "$image is up to date"
  else
    ctx="$WORK/app"
    mkdir -p "$ctx/wheels"
    t0=$SECONDS
    "$UV" export --frozen --no-dev --no-emit-workspace --no-hashes --quiet -o "$ctx/requirements.txt" >/dev/null
    "$UV" build --all-packages --wheel --quiet -o "$ctx/wheels" >"$LOGS/app-wheels.log" 2>&1 || {
      cat "$LOGS/app-wheels.log" >&2
      log "uv build failed"
      exit 1
    }
    listing="$(python3 -m zipfile -l "$ctx"/wheels/spotcheck_common-*.whl)"
    grep -q 'spotcheck_common/assets/vendor/swagger-ui/swagger-ui-bundle.js' <<<"$listing" || {
      log "the spotcheck-common wheel lacks the vendored web assets (infra/web/vendor.sh)"
      exit 1
    }
    log "wheels: $(find "$ctx/wheels" -name '*.whl' | wc -l) workspace packages, requirements: $(grep -c '==' "$ctx/requirements.txt") pins ($((SECONDS - t0)) s)"
    log "building $image"
    build app "$image" "$HERE/app.Containerfile" "$ctx" "$hash"
  fi
fi

failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { failed=1; log "${names[$i]} failed"; }
done
[ "$failed" = 0 ] || exit 1
# Superseded builds of these images (dangling, with our label; nobody else's).
podman image prune -f --filter label=spotcheck.inputs >/dev/null 2>&1 || true
log "images ready in $((SECONDS - T0)) s"
