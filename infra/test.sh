#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run via trap and indirectly through stage()
# The test driver behind `make test` / `make integration` / `make e2e` (and so CI).
#
#   infra/test.sh [all|unit|clock|integration|chaos|helm|fuzz|browser|e2e]
#                (default: all = unit, clock, integration, chaos, helm, fuzz, browser, e2e)
#
# unit         uv run pytest -m "not integration and not e2e and not browser" libs services tests
# clock        the unit stage again with the machine's clock moved to SPOTCHECK_TEST_WALL_CLOCK
#              (default 2027-06-01 09:00 UTC) by libfaketime, child processes included: no test
#              may depend on the day it runs (tests inject the domain clock instead)
# integration  PostgreSQL and Kafka of its own (ports 25432 / 29092+29093, or the next free ones;
#              data in a temp dir; Kafka with SCRAM and ACLs, its admin password made per run),
#              SPOTCHECK_TEST_DATABASE_URL, SPOTCHECK_TEST_KAFKA and
#              SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD exported (each test sets its own district's
#              user up with it: conftest.py), uv run pytest -m integration libs services tests
# chaos        the fault campaign's short version (tests/chaos, docs/operations/chaos.md): its
#              own PostgreSQL, Kafka (ports 27532, 27192+27193) and seven service processes in
#              $TMP/chaos, three full cycles with a SIGKILL in each (the broker's among them),
#              then nothing lost or duplicated, and the unit tests of its checks; uv run
#              pytest -m "chaos or not (integration or e2e or browser)" tests/chaos
#              (SPOTCHECK_CHAOS_SEED replays a run's kills)
# helm         infra/helm/check.sh, when it exists
# fuzz         infra/fuzz.sh: schemathesis over every service's OpenAPI on the all-in-one
#              server (no 5xx, documented statuses, schemas and types); one worker and a fixed
#              seed (SPOTCHECK_FUZZ_SEED), so a failure here is a change, not luck
# browser      the web application in Debian's Chromium (installed here when missing), driven
#              by Playwright against the all-in-one server (with the test Kafka: a joint draw
#              between two districts): uv run pytest -m browser
# e2e          podman (infra/podman/setup.sh), images (infra/images/build.sh), Jaeger
#              (infra/jaeger/jaeger.sh fetch: built once into the cache), then
#              uv run pytest -m e2e tests/e2e with DOCKER_HOST / TESTCONTAINERS_* set
#
# Everything started here is stopped on exit, failure or interrupt, and test containers are
# removed. pytest's exit code 5 (no tests collected) passes a stage; any other failure fails the
# run (after the remaining stages ran, unless SPOTCHECK_FAIL_FAST=1).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.local/bin:$PATH"
UV="$ROOT/infra/bin/uv.sh"
# shellcheck source=infra/dev/lib.sh
. "$ROOT/infra/dev/lib.sh"

mode="${1:-all}"
case "$mode" in
  all) stages=(unit clock integration chaos helm fuzz browser e2e) ;;
  unit | clock | integration | chaos | helm | fuzz | browser | e2e) stages=("$mode") ;;
  *)
    echo "usage: $0 [all|unit|clock|integration|chaos|helm|fuzz|browser|e2e]" >&2
    exit 2
    ;;
esac

TMP="$(mktemp -d /var/tmp/spotcheck-test.XXXXXX)"
PG_STARTED=0
KAFKA_STARTED=0
PODMAN_STARTED=0
PODMAN_SOCK="${PODMAN_SOCK:-/tmp/podman.sock}"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # first free port from $1 (and $1+1 free too when $2=pair)
  local p="$1"
  while ! port_free "$p" || { [ "${2:-}" = pair ] && ! port_free $((p + 1)); }; do
    p=$((p + 10))
  done
  echo "$p"
}

pg() {
  PG_PORT="$TEST_PG_PORT" PG_DIR="$TMP/pg" PG_LISTEN_HOST=127.0.0.1 "$ROOT/infra/postgres/pg.sh" "$@"
}
kafka() {
  KAFKA_ADMIN_PASSWORD="${TEST_KAFKA_ADMIN_PASSWORD:-}" \
    KAFKA_PORT="$TEST_KAFKA_PORT" KAFKA_CONTROLLER_PORT=$((TEST_KAFKA_PORT + 1)) \
    KAFKA_DATA_DIR="$TMP/kafka" KAFKA_LISTEN_HOST=127.0.0.1 "$ROOT/infra/kafka/kafka.sh" "$@"
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ "$KAFKA_STARTED" = 1 ]; then kafka stop >/dev/null 2>&1; fi
  if [ "$PG_STARTED" = 1 ]; then pg stop >/dev/null 2>&1; fi
  chaos_down
  "$ROOT/infra/podman/cleanup.sh" 2>/dev/null
  if [ "$PODMAN_STARTED" = 1 ]; then
    local pidfile
    pidfile="${SPOTCHECK_CACHE:-$HOME/.cache/spotcheck}/podman-service.$(basename "$PODMAN_SOCK" .sock).pid"
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- stage bookkeeping ----------------------------------------------------------------------
declare -a summary=()
failed=0

banner() {
  echo
  echo "======================================================================"
  echo "== $*"
  echo "======================================================================"
}

# tests/chaos imports tests/e2e's modules (`..e2e.flow`): collected beside libs' and services'
# own `tests` packages it could not resolve them, so it runs in its own stage only.
ALONE=(--ignore=tests/chaos)

# run_pytest ARGS...: pytest, with "no tests collected" (5) counted as a pass.
run_pytest() {
  local rc=0
  "$UV" run pytest "$@" || rc=$?
  if [ "$rc" = 5 ]; then
    echo "(no tests collected for: pytest $*)"
    NOTE="no tests yet"
    return 0
  fi
  return "$rc"
}

# stage NAME FUNCTION: banner, timing, result line.
stage() {
  local name="$1" fn="$2" t0=$SECONDS rc=0
  NOTE=""
  banner "stage: $name"
  "$fn" || rc=$?
  local took=$((SECONDS - t0)) result=passed
  [ "$rc" = 0 ] || { result="FAILED (exit $rc)"; failed=1; }
  [ -n "$NOTE" ] && result="$result, $NOTE"
  summary+=("$(printf '%-12s %-32s %5d s' "$name" "$result" "$took")")
  echo "== $name: $result in $took s"
  if [ "$rc" != 0 ] && [ "${SPOTCHECK_FAIL_FAST:-0}" = 1 ]; then finish; fi
  return 0
}

finish() {
  banner "summary"
  printf '%s\n' "${summary[@]}"
  echo "total: $((SECONDS - T0)) s"
  if [ "$failed" != 0 ]; then
    echo "RESULT: FAILED"
    exit 1
  fi
  echo "RESULT: passed"
  exit 0
}

# --- stages -----------------------------------------------------------------------------------
stage_unit() {
  run_pytest -q -m "not integration and not e2e and not browser" libs services tests "${ALONE[@]}"
}

stage_clock() {
  command -v faketime >/dev/null 2>&1 || apt_install faketime >/dev/null || return 1
  local target="${SPOTCHECK_TEST_WALL_CLOCK:-2027-06-01 09:00:00}" offset
  # An offset, not a start time: every child process (the all-in-one server) sees the same clock.
  offset=$(($(date -u -d "$target" +%s) - $(date -u +%s)))
  echo "machine clock moved by ${offset}s to $(faketime -f "+${offset}s" date -u)"
  faketime -f "+${offset}s" "$UV" run pytest -q -m "not integration and not e2e and not browser" libs services tests "${ALONE[@]}"
}

# The test PostgreSQL and Kafka, started once per run (integration, then browser, use them).
pg_up() {
  [ "$PG_STARTED" = 1 ] && return 0
  TEST_PG_PORT="$(free_port "${SPOTCHECK_TEST_PG_PORT:-25432}")"
  PG_STARTED=1
  pg start
}

kafka_up() {
  [ "$KAFKA_STARTED" = 1 ] && return 0
  TEST_KAFKA_PORT="$(free_port "${SPOTCHECK_TEST_KAFKA_PORT:-29092}" pair)"
  TEST_KAFKA_ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
  KAFKA_STARTED=1
  kafka start
}

stage_integration() {
  local t0=$SECONDS
  pg_up || return 1
  kafka_up || return 1
  echo "infrastructure up in $((SECONDS - t0)) s: PostgreSQL :$TEST_PG_PORT, Kafka :$TEST_KAFKA_PORT"
  SPOTCHECK_TEST_DATABASE_URL="$(pg url)" SPOTCHECK_TEST_KAFKA="$(kafka bootstrap)" \
    SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD="$TEST_KAFKA_ADMIN_PASSWORD" \
    run_pytest -q -m integration libs services tests "${ALONE[@]}"
}

# The campaign stops what it started, also on SIGTERM; this is for when it could not (the
# campaign itself killed, or this script stopped while it ran).
# Pid files are removed when their process ends; ``chaos_alive PIDFILE WORD`` still checks
# the process is the one meant (a pid may be recycled).
chaos_alive() {
  [ -f "$1" ] && tr '\0' ' ' <"/proc/$(cat "$1")/cmdline" 2>/dev/null | grep -q -- "$2"
}

chaos_down() {
  local dir="$TMP/chaos" f
  [ -d "$dir" ] || return 0
  if chaos_alive "$dir/campaign.pid" tests.chaos.campaign; then
    kill -TERM "$(cat "$dir/campaign.pid")"
    for _ in $(seq 1 120); do chaos_alive "$dir/campaign.pid" tests.chaos.campaign || break; sleep 0.5; done
  fi
  for f in "$dir"/pids/*.pid; do
    chaos_alive "$f" spotcheck && kill -KILL -- "-$(cat "$f")"
  done
  KAFKA_DATA_DIR="$dir/kafka" "$ROOT/infra/kafka/kafka.sh" stop >/dev/null 2>&1
  PG_DIR="$dir/pg" PG_PORT=27532 "$ROOT/infra/postgres/pg.sh" stop >/dev/null 2>&1
  return 0
}

stage_chaos() {
  # The campaign and the unit tests of its checks (collected alone: see ALONE).
  SPOTCHECK_CHAOS_WORK="$TMP/chaos" run_pytest -q -s \
    -m "chaos or not (integration or e2e or browser)" tests/chaos
}

stage_helm() {
  if [ -f "$ROOT/infra/helm/check.sh" ]; then
    bash "$ROOT/infra/helm/check.sh"
  else
    echo "infra/helm/check.sh does not exist yet: nothing to check"
    NOTE="skipped, no check.sh"
  fi
}

stage_fuzz() {
  SPOTCHECK_FUZZ_SEED="${SPOTCHECK_FUZZ_SEED:-20261130}" SPOTCHECK_FUZZ_WORKERS=1 bash "$ROOT/infra/fuzz.sh"
}

stage_browser() {
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-noto-cjk >/dev/null || return 1
  # A joint draw in the browser reaches the neighbour's draws service through the broker.
  kafka_up || return 1
  SPOTCHECK_TEST_KAFKA="$(kafka bootstrap)" SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD="$TEST_KAFKA_ADMIN_PASSWORD" \
    run_pytest -q -m browser services
}

stage_e2e() {
  local t0=$SECONDS line
  sock_answers "$PODMAN_SOCK" || PODMAN_STARTED=1
  local envfile="$TMP/podman.env"
  PODMAN_SOCK="$PODMAN_SOCK" "$ROOT/infra/podman/setup.sh" >"$envfile" || return 1
  while IFS= read -r line; do
    [[ "$line" == *=* ]] && export "${line?}"
  done <"$envfile"
  echo "podman ready in $((SECONDS - t0)) s"
  "$ROOT/infra/images/build.sh" all || return 1
  # The trace backend the containers export to (built once from the Go module proxy).
  local t1=$SECONDS
  "$ROOT/infra/jaeger/jaeger.sh" fetch || return 1
  echo "jaeger ready in $((SECONDS - t1)) s"
  export SPOTCHECK_E2E_APP_IMAGE=localhost/spotcheck:dev
  export SPOTCHECK_E2E_KAFKA_IMAGE=localhost/spotcheck-kafka:dev
  export SPOTCHECK_E2E_PG_IMAGE=localhost/spotcheck-postgres:dev
  if [ ! -d tests/e2e ]; then
    echo "tests/e2e does not exist yet"
    NOTE="no tests yet"
    return 0
  fi
  local rc=0
  run_pytest -q -m e2e tests/e2e || rc=$?
  "$ROOT/infra/podman/cleanup.sh" || true
  return "$rc"
}

T0=$SECONDS
for s in "${stages[@]}"; do
  # Free the test PostgreSQL and Kafka (integration, browser) before the containers need the
  # memory and CPU.
  if [ "$s" = e2e ]; then
    [ "$KAFKA_STARTED" = 1 ] && kafka stop >/dev/null 2>&1 && KAFKA_STARTED=0
    [ "$PG_STARTED" = 1 ] && pg stop >/dev/null 2>&1 && PG_STARTED=0
  fi
  stage "$s" "stage_$s"
done
finish
