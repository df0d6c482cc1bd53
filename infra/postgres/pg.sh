#!/usr/bin/env bash
# PostgreSQL 15 for development, tests and the container image (Debian's binaries).
#
#   pg.sh start          install postgresql-15 if missing, initdb once, pg_ctl start, wait ready
#   pg.sh stop           pg_ctl stop -m fast
#   pg.sh status         running / stopped (exit 0 / 3)
#   pg.sh url            postgresql+asyncpg://spotcheck@127.0.0.1:<port>/postgres
#   pg.sh createdb NAME  create a database if it does not exist
#   pg.sh run            foreground (container entrypoint): initdb once, exec postgres
#
# Environment (all optional):
#   PG_PORT=15432            TCP port
#   PG_LISTEN_HOST=127.0.0.1 listen_addresses (0.0.0.0 in a container that publishes ports)
#   PG_DIR=~/.cache/spotcheck/pg   holds data/, run/ (unix socket), postgres.log
#   PG_USER=spotcheck        superuser created by initdb; trust authentication
#   PG_DATABASE              a database to create besides `postgres` (start, run)
#   PG_BIN                   binaries (default /usr/lib/postgresql/15/bin)
#   PG_FSYNC=off             fsync/full_page_writes/synchronous_commit (off: tests, dev)
#   PG_MAX_CONNECTIONS=200
# When run as root the server runs as the `postgres` user (PostgreSQL refuses root).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${SPOTCHECK_CACHE:-$HOME/.cache/spotcheck}"
PORT="${PG_PORT:-15432}"
LISTEN="${PG_LISTEN_HOST:-127.0.0.1}"
if [ "$LISTEN" = 0.0.0.0 ] || [ "$LISTEN" = "*" ] || [ "$LISTEN" = "::" ]; then LOCAL=127.0.0.1; else LOCAL="$LISTEN"; fi
DIR="${PG_DIR:-$CACHE/pg}"
DATA="$DIR/data"
SOCK="$DIR/run"
LOGFILE="$DIR/postgres.log"
USER_NAME="${PG_USER:-spotcheck}"
FSYNC="${PG_FSYNC:-off}"
MAXCONN="${PG_MAX_CONNECTIONS:-200}"
TIMEOUT="${PG_START_TIMEOUT:-60}"

log() { echo "[postgres] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_bin() {
  local d
  for d in "${PG_BIN:-}" /usr/lib/postgresql/15/bin; do
    [ -n "$d" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_bin() {
  if BIN="$(find_bin)"; then return 0; fi
  [ "$(id -u)" = 0 ] || die "PostgreSQL 15 binaries not found (apt-get install postgresql-15 as root)"
  [ -f "$HERE/../dev/lib.sh" ] || die "PostgreSQL 15 binaries not found"
  # shellcheck source=infra/dev/lib.sh
  . "$HERE/../dev/lib.sh"
  # No default cluster on 5432: this script makes its own.
  mkdir -p /etc/postgresql-common
  [ -f /etc/postgresql-common/createcluster.conf ] ||
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  log "installing postgresql-15"
  apt_install postgresql-15 >&2
  BIN="$(find_bin)" || die "postgresql-15 installed but pg_ctl not found"
}

# as_pg CMD...: run as the postgres user when root, else as ourselves.
RUN_AS=()
setup_user() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres does not exist"
    RUN_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi
}
as_pg() { "${RUN_AS[@]}" "$@"; }

# The postgres user must be able to reach DIR (e.g. /root/.cache/... when root runs this):
# give traverse-only (o+x, never read) to the ancestors that lack it.
prepare_dir() {
  mkdir -p "$DIR" "$SOCK"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$DIR" "$SOCK"
    [ -d "$DATA" ] && chown -R postgres:postgres "$DATA"
    local d="" part
    local -a parts
    IFS=/ read -ra parts <<<"${DIR#/}"
    for part in "${parts[@]}"; do
      d="$d/$part"
      if ! as_pg test -x "$d"; then
        log "chmod o+x $d (so the postgres user can reach $DIR)"
        chmod o+x "$d"
      fi
    done
  fi
  chmod 700 "$SOCK" 2>/dev/null || true
}

init_data() {
  [ -f "$DATA/PG_VERSION" ] && return 0
  log "initdb $DATA (superuser $USER_NAME, trust)"
  as_pg "$BIN/initdb" -D "$DATA" -U "$USER_NAME" --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
    cat "$DIR/initdb.log" >&2
    die "initdb failed"
  }
  # Containers and other hosts on the test network: trust like the loopback (tests only).
  echo "host all all all trust" >>"$DATA/pg_hba.conf"
  # The extra database exists before the server first listens (single-user mode).
  if [ -n "${PG_DATABASE:-}" ] && [ "$PG_DATABASE" != postgres ]; then
    echo "CREATE DATABASE \"$PG_DATABASE\";" |
      as_pg "$BIN/postgres" --single -D "$DATA" -j postgres >"$DIR/createdb.log" 2>&1 || {
      cat "$DIR/createdb.log" >&2
      die "could not create database $PG_DATABASE"
    }
    log "created database $PG_DATABASE"
  fi
}

server_opts() {
  local fpw=on sync=on
  [ "$FSYNC" = off ] && fpw=off && sync=off
  printf '%s\n' -c "port=$PORT" -c "listen_addresses=$LISTEN" \
    -c "unix_socket_directories=$SOCK" -c "max_connections=$MAXCONN" \
    -c "fsync=$FSYNC" -c "full_page_writes=$fpw" -c "synchronous_commit=$sync" \
    -c "shared_buffers=128MB" -c "log_min_messages=warning"
}

ready() { "$BIN/pg_isready" -q -h "$LOCAL" -p "$PORT" -t 2 >/dev/null 2>&1; }

running() { [ -f "$DATA/postmaster.pid" ] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

cmd_start() {
  ensure_bin
  setup_user
  prepare_dir
  init_data
  if running; then
    if ready; then
      log "already running on $LOCAL:$PORT (data $DATA)"
      if [ -n "${PG_DATABASE:-}" ]; then cmd_createdb "$PG_DATABASE"; fi
      return 0
    fi
    log "running but not answering on $LOCAL:$PORT; restarting"
    as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w >/dev/null 2>&1 || true
  fi
  if (exec 3<>"/dev/tcp/$LOCAL/$PORT") 2>/dev/null; then
    die "port $PORT is already in use by another process (set PG_PORT)"
  fi
  local opts t0=$SECONDS
  mapfile -t opts < <(server_opts)
  [ -f "$LOGFILE" ] && mv -f "$LOGFILE" "$LOGFILE.1"
  if ! as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$LOGFILE" -w -t "$TIMEOUT" -o "${opts[*]}" >/dev/null; then
    tail -n 40 "$LOGFILE" >&2 || true
    die "pg_ctl start failed (log: $LOGFILE)"
  fi
  while ! ready; do
    [ $((SECONDS - t0)) -lt "$TIMEOUT" ] || {
      tail -n 40 "$LOGFILE" >&2 || true
      die "PostgreSQL did not answer on $LOCAL:$PORT within $TIMEOUT s"
    }
    sleep 0.5
  done
  log "ready on $LOCAL:$PORT in $((SECONDS - t0)) s (data $DATA)"
  if [ -n "${PG_DATABASE:-}" ]; then cmd_createdb "$PG_DATABASE"; fi
}

cmd_stop() {
  BIN="$(find_bin)" || { log "not installed"; return 0; }
  setup_user
  if running; then
    as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null
    log "stopped (data $DATA)"
  else
    log "not running (data $DATA)"
  fi
}

cmd_status() {
  BIN="$(find_bin)" || { echo "postgres: not installed"; return 3; }
  setup_user
  if running && ready; then
    echo "postgres: running on $LOCAL:$PORT, data $DATA"
  else
    echo "postgres: stopped (data $DATA)"
    return 3
  fi
}

cmd_url() { echo "postgresql+asyncpg://$USER_NAME@$LOCAL:$PORT/${1:-postgres}"; }

cmd_createdb() {
  local name="${1:?usage: pg.sh createdb NAME}"
  BIN="$(find_bin)" || die "not installed"
  local psql=("$BIN/psql" -X -q -h "$LOCAL" -p "$PORT" -U "$USER_NAME" -d postgres -v ON_ERROR_STOP=1)
  if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
    "${psql[@]}" -c "CREATE DATABASE \"$name\""
    log "created database $name"
  fi
}

cmd_run() {
  ensure_bin
  setup_user
  prepare_dir
  init_data
  running || rm -f "$DATA/postmaster.pid"
  local opts
  mapfile -t opts < <(server_opts)
  log "PostgreSQL on $LISTEN:$PORT, user $USER_NAME (trust), data $DATA"
  # Log to stderr in the foreground; "ready to accept connections" marks readiness.
  exec "${RUN_AS[@]}" "$BIN/postgres" -D "$DATA" "${opts[@]}" -c log_min_messages=info
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) cmd_url "${2:-}" ;;
  createdb) cmd_createdb "${2:-}" ;;
  run) cmd_run ;;
  *)
    echo "usage: $0 {start|stop|status|url|createdb NAME|run}" >&2
    exit 2
    ;;
esac
