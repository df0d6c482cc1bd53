#!/usr/bin/env bash
# make up: Kafka + PostgreSQL, then every service as its own process (like production), and
# the web application reaching them over HTTP.
#
#   portal 8000 (public site /, staff console /console),
#   registry 8001, planning 8002, draws 8003, inspections 8004, publication 8005,
#   objections 8006, archives 8007       (SPOTCHECK_BASE_PORT moves them all: base..base+7)
#
# Like `make run`, it serves the demo district (its registers loaded on first start) and the
# demo sign-in (tokens from the services' local issuer); SPOTCHECK_DEMO=false turns both off
# (then sign-in needs the bureau's OIDC settings).
#
# Each runs `uv run spotcheck --target=<name> --port <port>` with the dev Kafka and the dev
# database; logs and pid files in .run/. A service that is not installed yet (no entry point)
# is skipped with a warning; one that is installed but does not become healthy fails the run.
# SPOTCHECK_SERVICES="registry,planning" starts only those.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
UV="$ROOT/infra/bin/uv.sh"
RUN="$ROOT/.run"
mkdir -p "$RUN"

SERVICES=(registry planning draws inspections publication objections archives)
BASE_PORT="${SPOTCHECK_BASE_PORT:-8000}"
HOST="${SPOTCHECK_HOST:-127.0.0.1}"
TIMEOUT="${SPOTCHECK_UP_TIMEOUT:-120}"

log() { echo "[up] $*" >&2; }

"$ROOT/infra/dev/infra.sh" start
while IFS='=' read -r key value; do export "$key=$value"; done < <("$ROOT/infra/dev/infra.sh" env)
export SPOTCHECK_HOST="$HOST"
# Traces go to Jaeger (UI on :16686), built once from the Go module proxy, unless the traces
# are sent elsewhere (SPOTCHECK_OTEL_EXPORTER_ENDPOINT) or not at all (SPOTCHECK_TRACES=false).
if [ -z "${SPOTCHECK_OTEL_EXPORTER_ENDPOINT:-}" ] && [ "${SPOTCHECK_TRACES:-true}" = true ]; then
  "$ROOT/infra/jaeger/jaeger.sh" start
  SPOTCHECK_OTEL_EXPORTER_ENDPOINT="$("$ROOT/infra/jaeger/jaeger.sh" endpoint)"
  export SPOTCHECK_OTEL_EXPORTER_ENDPOINT
fi
export SPOTCHECK_DEMO="${SPOTCHECK_DEMO:-true}"
if [ "$SPOTCHECK_DEMO" = true ]; then
  export SPOTCHECK_AUTH_LOCAL_ISSUER="${SPOTCHECK_AUTH_LOCAL_ISSUER:-true}" SPOTCHECK_LOG_JSON=false
fi
# A service refuses to start without a token verification key. Unless one is given, the local
# services share a development secret kept in .run/ (mint tokens with it, e.g. in a test).
if [ -z "${SPOTCHECK_AUTH_SECRET:-}${SPOTCHECK_AUTH_PUBLIC_KEY:-}${SPOTCHECK_AUTH_JWKS_URL:-}" ]; then
  [ -s "$RUN/auth-secret" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$RUN/auth-secret")
  SPOTCHECK_AUTH_SECRET="$(cat "$RUN/auth-secret")"
  export SPOTCHECK_AUTH_SECRET
fi

# Installed services: entry point names only (loading them would fail on a half-written one).
mapfile -t installed < <("$UV" run --quiet python -c '
from importlib.metadata import entry_points
for ep in entry_points(group="spotcheck.services"):
    print(ep.name)')
is_installed() { printf '%s\n' "${installed[@]}" | grep -qx "$1"; }
wanted() { [ -z "${SPOTCHECK_SERVICES:-}" ] || [[ ",${SPOTCHECK_SERVICES}," == *",$1,"* ]]; }

healthy() { curl -fsS --max-time 2 "http://$HOST:$1/healthz" >/dev/null 2>&1; }
alive() {
  local pid
  pid="$(cat "$RUN/$1.pid" 2>/dev/null)" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q spotcheck
}

# The web application reads every service at its own port, as the chart wires it.
portal_services=""
for i in "${!SERVICES[@]}"; do
  portal_services+="${portal_services:+,}${SERVICES[$i]}=http://$HOST:$((BASE_PORT + i + 1))"
done
export SPOTCHECK_PORTAL_SERVICES="$portal_services"

started=()
ports=()
for i in "${!SERVICES[@]}" portal; do
  if [ "$i" = portal ]; then
    name=portal port=$BASE_PORT
  else
    name="${SERVICES[$i]}" port=$((BASE_PORT + i + 1))
  fi
  wanted "$name" || continue
  if [ "$name" != portal ] && ! is_installed "$name"; then
    log "skipping $name: not installed (no spotcheck.services entry point yet)"
    continue
  fi
  if alive "$name" && healthy "$port"; then
    log "$name already running on :$port (pid $(cat "$RUN/$name.pid"))"
  else
    if alive "$name"; then kill -TERM -- "-$(cat "$RUN/$name.pid")" 2>/dev/null || true; sleep 1; fi
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
      log "ERROR: port $port (for $name) is taken by another process"
      exit 1
    fi
    [ -f "$RUN/$name.log" ] && mv -f "$RUN/$name.log" "$RUN/$name.log.1"
    # setsid: the pid is also the process group, so down.sh stops uv and the server together.
    SPOTCHECK_OTEL_SERVICE_NAME="spotcheck" setsid nohup "$UV" run --quiet spotcheck \
      --target="$name" --port "$port" >"$RUN/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
    log "started $name on :$port (pid $!, log .run/$name.log)"
  fi
  started+=("$name")
  ports+=("$port")
done

[ "${#started[@]}" -gt 0 ] || { log "no service to start"; exit 1; }

failed=()
t0=$SECONDS
for i in "${!started[@]}"; do
  name="${started[$i]}"
  port="${ports[$i]}"
  until healthy "$port"; do
    if ! alive "$name"; then
      log "ERROR: $name exited; last lines of .run/$name.log:"
      tail -n 30 "$RUN/$name.log" >&2 || true
      failed+=("$name")
      break
    fi
    if [ $((SECONDS - t0)) -ge "$TIMEOUT" ]; then
      log "ERROR: $name not healthy on :$port after $TIMEOUT s; last lines of .run/$name.log:"
      tail -n 30 "$RUN/$name.log" >&2 || true
      failed+=("$name")
      break
    fi
    sleep 0.5
  done
done

echo
echo "spotcheck is up ($(( ${#started[@]} - ${#failed[@]} ))/${#started[@]} services healthy):"
for i in "${!started[@]}"; do
  name="${started[$i]}"
  mark=ok
  printf '%s\n' "${failed[@]}" | grep -qx "$name" && mark=FAILED
  printf '  %-12s http://%s:%s   (docs /docs, health /healthz, metrics /metrics)  %s\n' \
    "$name" "$HOST" "${ports[$i]}" "$mark"
done
[ "$SPOTCHECK_DEMO" = true ] && echo "  sign in      http://$HOST:$BASE_PORT/console (the demo people)"
[ -n "${SPOTCHECK_OTEL_EXPORTER_ENDPOINT:-}" ] && echo "  traces       $SPOTCHECK_OTEL_EXPORTER_ENDPOINT (Jaeger's UI: http://127.0.0.1:${JAEGER_QUERY_PORT:-16686})"
echo "  kafka        $SPOTCHECK_KAFKA_BOOTSTRAP"
echo "  postgres     $SPOTCHECK_DATABASE_URL"
echo "  logs         .run/<service>.log; stop with: make down"
[ "${#failed[@]}" -eq 0 ] || exit 1
