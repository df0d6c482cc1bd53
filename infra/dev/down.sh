#!/usr/bin/env bash
# make down: stop the services up.sh started (pid files in .run/), then Kafka and PostgreSQL.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUN="$ROOT/.run"

log() { echo "[down] $*" >&2; }

pids=()
names=()
for f in "$RUN"/*.pid; do
  [ -f "$f" ] || continue
  name="$(basename "$f" .pid)"
  pid="$(cat "$f")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # The pid leads its own process group (setsid in up.sh): uv and the server go together.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    names+=("$name")
  else
    rm -f "$f"
  fi
done
for i in "${!pids[@]}"; do
  pid="${pids[$i]}"
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "${names[$i]} did not stop in 10 s; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/${names[$i]}.pid"
  log "stopped ${names[$i]}"
done
"$ROOT/infra/jaeger/jaeger.sh" stop
"$ROOT/infra/dev/infra.sh" stop
