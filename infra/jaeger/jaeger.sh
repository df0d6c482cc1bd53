#!/usr/bin/env bash
# The trace backend: Jaeger (v2, built on the OpenTelemetry Collector) with in-memory storage,
# receiving OTLP/HTTP from the services and answering the query API and UI. No package ships it:
# `fetch` builds it once from the Go module proxy (the module pinned by go.mod / go.sum here)
# into the cache outside the repository.
#
#   infra/jaeger/jaeger.sh fetch          build (once) -> $JAEGER_BIN
#   infra/jaeger/jaeger.sh start|stop     run it in the background (pid and log in $JAEGER_DIR)
#   infra/jaeger/jaeger.sh config         print the configuration it runs with
#   infra/jaeger/jaeger.sh endpoint       the OTLP/HTTP endpoint for SPOTCHECK_OTEL_EXPORTER_ENDPOINT
#
# Ports: JAEGER_OTLP_PORT (4318, OTLP/HTTP), JAEGER_QUERY_PORT (16686, UI and /api/traces),
# JAEGER_GRPC_PORT (16685, query gRPC); JAEGER_LISTEN_HOST (127.0.0.1).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPOTCHECK_CACHE:-$HOME/.cache/spotcheck}"
JAEGER_BIN="${JAEGER_BIN:-$CACHE/bin/jaeger}"
JAEGER_DIR="${JAEGER_DIR:-$ROOT/.run/jaeger}"
HOST="${JAEGER_LISTEN_HOST:-127.0.0.1}"
OTLP_PORT="${JAEGER_OTLP_PORT:-4318}"
QUERY_PORT="${JAEGER_QUERY_PORT:-16686}"
GRPC_PORT="${JAEGER_GRPC_PORT:-16685}"

log() { echo "[jaeger] $*" >&2; }

fetch() {
  [ -x "$JAEGER_BIN" ] && return 0
  command -v go >/dev/null || { log "ERROR: go is needed to build Jaeger"; return 1; }
  local build
  build="$(mktemp -d)"
  cp "$HERE/go.mod" "$HERE/go.sum" "$build/"
  log "building Jaeger from the Go module proxy (once; a few minutes)"
  mkdir -p "$(dirname "$JAEGER_BIN")"
  (cd "$build" && GOFLAGS=-mod=mod go build -trimpath -o "$JAEGER_BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv -f "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  rm -rf "$build"
  log "built $JAEGER_BIN"
}

config() {
  cat <<YAML
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
extensions:
  jaeger_storage:
    backends:
      memory_store:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memory_store
    http:
      endpoint: "$HOST:$QUERY_PORT"
    grpc:
      endpoint: "$HOST:$GRPC_PORT"
receivers:
  otlp:
    protocols:
      http:
        endpoint: "$HOST:$OTLP_PORT"
processors:
  batch:
    timeout: 1s
exporters:
  jaeger_storage_exporter:
    trace_storage: memory_store
YAML
}

answers() { curl -fsS --max-time 2 "http://$HOST:$QUERY_PORT/api/services" >/dev/null 2>&1; }

start() {
  fetch
  mkdir -p "$JAEGER_DIR"
  if [ -f "$JAEGER_DIR/pid" ] && kill -0 "$(cat "$JAEGER_DIR/pid")" 2>/dev/null && answers; then
    log "already running (pid $(cat "$JAEGER_DIR/pid"))"
    return 0
  fi
  config >"$JAEGER_DIR/config.yaml"
  setsid nohup "$JAEGER_BIN" --config "$JAEGER_DIR/config.yaml" >"$JAEGER_DIR/jaeger.log" 2>&1 </dev/null &
  echo $! >"$JAEGER_DIR/pid"
  for _ in $(seq 1 120); do
    if answers; then
      log "ready: OTLP/HTTP $(endpoint), UI http://$HOST:$QUERY_PORT"
      return 0
    fi
    kill -0 "$(cat "$JAEGER_DIR/pid")" 2>/dev/null || { tail -20 "$JAEGER_DIR/jaeger.log" >&2; return 1; }
    sleep 0.5
  done
  log "ERROR: not answering after 60 s"; tail -20 "$JAEGER_DIR/jaeger.log" >&2; return 1
}

stop() {
  [ -f "$JAEGER_DIR/pid" ] || return 0
  local pid
  pid="$(cat "$JAEGER_DIR/pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$JAEGER_DIR/pid"
  log "stopped"
}

endpoint() { echo "http://$HOST:$OTLP_PORT"; }

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  config) config ;;
  endpoint) endpoint ;;
  *) echo "usage: $0 fetch|start|stop|config|endpoint" >&2; exit 2 ;;
esac
