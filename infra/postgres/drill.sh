#!/usr/bin/env bash
# The backup-and-restore drill (`make drill`): base backup + WAL archive, a point-in-time restore
# to a named restore point, then every dossier verifies and no event is lost or doubled
# (infra/postgres/drill.py says what is checked). Local PostgreSQL 15 binaries, 127.0.0.1 only,
# free ports, everything under one temporary directory removed on exit.
#
# Prints `DRILL <name> <value>` lines; exit non-zero on any failure.
# Environment: DRILL_DIR (parent of the temporary directory, default /var/tmp),
# DRILL_KEEP=1 (keep the directory: data, archive, the services' logs), DRILL_TIMEOUT (seconds,
# default 300), PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
[ -x "$PG_BIN/pg_basebackup" ] || { echo "drill: no PostgreSQL 15 in $PG_BIN" >&2; exit 1; }
mkdir -p "${DRILL_DIR:-/var/tmp}"
WORK="$(mktemp -d "${DRILL_DIR:-/var/tmp}/spotcheck-drill.XXXXXX")"
chmod 755 "$WORK" # the server runs as `postgres` when we are root

cleanup() {
  local name
  for name in primary restored; do
    [ -d "$WORK/$name/data" ] && PG_DIR="$WORK/$name" PG_BIN="$PG_BIN" infra/postgres/pg.sh stop >/dev/null 2>&1
  done
  if [[ "${DRILL_KEEP:-}" == 1 ]]; then echo "drill: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { infra/bin/uv.sh run python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ports=()
while ((${#ports[@]} < 3)); do
  p="$(free_port)"
  [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done

timeout --foreground "${DRILL_TIMEOUT:-300}" infra/bin/uv.sh run python infra/postgres/drill.py \
  --dir "$WORK" --port "${ports[0]}" --restore-port "${ports[1]}" --app-port "${ports[2]}" \
  --pg-bin "$PG_BIN"
