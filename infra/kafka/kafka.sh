#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker + controller) from the official jars.
#
#   kafka.sh fetch    download the broker jars (mvn, infra/kafka/pom.xml) into the cache
#   kafka.sh start    fetch if needed, format storage once, start in the background and wait
#                     until the broker answers (fails with the log tail after KAFKA_START_TIMEOUT)
#   kafka.sh stop     stop the broker started from this data dir
#   kafka.sh status   running / stopped (exit 0 / 3)
#   kafka.sh run      foreground (container entrypoint): format once, then exec java
#   kafka.sh bootstrap  print host:port for clients
#   kafka.sh libs       print the directory holding the jars
#   kafka.sh setup [ARGS]  as admin: the districts' users, ACLs, quotas and topics
#                       (python -m spotcheck_common.kafka_admin setup ARGS, see its --help)
#
# Authentication and authorisation are always on, as in production (docs/operations/kafka.md):
# the client listener is SASL_PLAINTEXT with SCRAM-SHA-512, the StandardAuthorizer denies what
# no ACL allows, and `admin` (super user, for tooling only) gets its credential at format time.
# The controller listener stays PLAINTEXT on the listen host (its principal, User:ANONYMOUS, is a
# super user so the broker can register): never expose KAFKA_CONTROLLER_PORT to clients.
#
# Environment (all optional):
#   KAFKA_PORT=19092             client (broker) listener port
#   KAFKA_CONTROLLER_PORT=19093  KRaft controller listener port
#   KAFKA_LISTEN_HOST=127.0.0.1  address both listeners bind (0.0.0.0 in a container if needed)
#   KAFKA_ADVERTISED_HOST        host clients are told to use (default: the listen host, or
#                                127.0.0.1 when listening on 0.0.0.0)
#   KAFKA_DATA_DIR=~/.cache/spotcheck/kafka-data   config, logs, pid, KRaft log dirs
#   KAFKA_LIBS=~/.cache/spotcheck/kafka/<version>/libs   the jars (set to /opt/kafka/libs in the image)
#   KAFKA_NODE_ID=1, KAFKA_CLUSTER_ID (generated once per data dir), KAFKA_HEAP_OPTS=-Xmx512m ...
#   KAFKA_START_TIMEOUT=90       seconds `start` waits for the broker
#   KAFKA_EXTRA_CONFIG           extra server.properties lines appended verbatim
#   KAFKA_ADMIN_PASSWORD=spotcheck-admin   the super user's SCRAM password (a local-dev default:
#                                set a real one anywhere else); fixed when the storage is formatted
# The broker logs "Kafka Server started" once it serves clients (a wait strategy for containers).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${SPOTCHECK_CACHE:-$HOME/.cache/spotcheck}"

kafka_version() {
  if [ -n "${KAFKA_VERSION:-}" ]; then
    echo "$KAFKA_VERSION"
  elif [ -f "$HERE/pom.xml" ]; then
    sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$HERE/pom.xml" | head -n 1
  else
    echo unknown
  fi
}

LIBS="${KAFKA_LIBS:-$CACHE/kafka/$(kafka_version)/libs}"
PORT="${KAFKA_PORT:-19092}"
CPORT="${KAFKA_CONTROLLER_PORT:-19093}"
LISTEN="${KAFKA_LISTEN_HOST:-127.0.0.1}"
if [ "$LISTEN" = 0.0.0.0 ] || [ "$LISTEN" = "::" ]; then LOCAL=127.0.0.1; else LOCAL="$LISTEN"; fi
ADVERTISED="${KAFKA_ADVERTISED_HOST:-$LOCAL}"
DATA="${KAFKA_DATA_DIR:-$CACHE/kafka-data}"
NODE_ID="${KAFKA_NODE_ID:-1}"
HEAP="${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
ADMIN_PASSWORD="${KAFKA_ADMIN_PASSWORD:-spotcheck-admin}"
PIDFILE="$DATA/kafka.pid"
LOGFILE="$DATA/kafka.log"

log() { echo "[kafka] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# It lands in a JAAS line and in StorageTool's --add-scram list: no quotes, brackets or commas.
[[ "$ADMIN_PASSWORD" =~ ^[A-Za-z0-9._~+/=@%-]{8,}$ ]] \
  || die "KAFKA_ADMIN_PASSWORD: at least 8 characters of [A-Za-z0-9._~+/=@%-]"

# --- prerequisites --------------------------------------------------------------------------
ensure_java() {
  command -v java >/dev/null 2>&1 && return 0
  [ -f "$HERE/../dev/lib.sh" ] || die "java not found"
  # shellcheck source=infra/dev/lib.sh
  . "$HERE/../dev/lib.sh"
  log "installing openjdk-17-jre-headless"
  apt_install openjdk-17-jre-headless >&2
}

libs_stamp() { sha256sum "$HERE/pom.xml" | cut -d' ' -f1; }

libs_ready() {
  [ -d "$LIBS" ] || return 1
  compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null || return 1
  # Cache built from this repo's pom: refetch when the pom changed. A libs dir without a
  # stamp (the container image) is taken as is.
  if [ -f "$HERE/pom.xml" ] && [ -z "${KAFKA_LIBS:-}" ]; then
    [ "$(cat "$LIBS/.pom.sha256" 2>/dev/null)" = "$(libs_stamp)" ] || return 1
  fi
}

cmd_fetch() {
  if libs_ready; then
    log "jars present in $LIBS"
    return 0
  fi
  [ -f "$HERE/pom.xml" ] || die "no jars in $LIBS and no pom.xml to fetch them with"
  ensure_java
  if ! command -v mvn >/dev/null 2>&1; then
    # shellcheck source=infra/dev/lib.sh
    . "$HERE/../dev/lib.sh"
    log "installing maven"
    apt_install maven >&2
  fi
  local tmp="$LIBS.tmp.$$" t0=$SECONDS
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "fetching Kafka $(kafka_version) jars into $LIBS"
  mkdir -p "$CACHE"
  if ! mvn -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$CACHE/kafka-fetch.log" 2>&1; then
    grep -E 'ERROR|BUILD' "$CACHE/kafka-fetch.log" | tail -n 30 >&2
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (log: $CACHE/kafka-fetch.log)"
  fi
  libs_stamp >"$tmp/.pom.sha256"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - t0)) s"
}

# --- configuration --------------------------------------------------------------------------
write_config() {
  mkdir -p "$DATA/kraft"
  (umask 077 && cat >"$DATA/server.properties" <<EOF
# generated by infra/kafka/kafka.sh; edits are overwritten on the next start
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$NODE_ID@$LOCAL:$CPORT
listeners=SASL_PLAINTEXT://$LISTEN:$PORT,CONTROLLER://$LISTEN:$CPORT
advertised.listeners=SASL_PLAINTEXT://$ADVERTISED:$PORT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
log.dirs=$DATA/kraft
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=67108864
EOF
  )
  if [ -n "${KAFKA_EXTRA_CONFIG:-}" ]; then
    printf '%s\n' "$KAFKA_EXTRA_CONFIG" >>"$DATA/server.properties"
  fi
  cat >"$DATA/log4j2.properties" <<'EOF'
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

java_opts() {
  # shellcheck disable=SC2086
  printf '%s\n' $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=$DATA/log4j2.properties" \
    "-Dkafka.logs.dir=$DATA"
}

format_storage() {
  if [ -f "$DATA/kraft/meta.properties" ]; then
    [ -f "$DATA/scram" ] && return 0
    die "$DATA was formatted without authentication (before SCRAM): remove it and start again"
  fi
  local id="${KAFKA_CLUSTER_ID:-}"
  if [ -z "$id" ] && [ -f "$DATA/cluster.id" ]; then id="$(cat "$DATA/cluster.id")"; fi
  if [ -z "$id" ]; then
    # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding.
    # (Not starting with '-': the tool's argument parser would take it for an option.)
    id=-
    while [ "${id#-}" != "$id" ]; do
      id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
  fi
  echo "$id" >"$DATA/cluster.id"
  local opts out cls
  mapfile -t opts < <(java_opts)
  for cls in kafka.tools.StorageTool org.apache.kafka.tools.StorageTool; do
    if out="$(java "${opts[@]}" -cp "$LIBS/*" "$cls" format -t "$id" \
      -c "$DATA/server.properties" --ignore-formatted \
      --add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]" 2>&1)"; then
      touch "$DATA/scram"
      log "formatted $DATA/kraft (cluster id $id, super user admin)"
      return 0
    fi
    case "$out" in
      *"Could not find or load main class"* | *ClassNotFoundException*) continue ;;
      *) printf '%s\n' "$out" >&2; die "StorageTool format failed" ;;
    esac
  done
  die "no StorageTool class in $LIBS"
}

# --- probing --------------------------------------------------------------------------------
# Signed in as admin, a Metadata round trip listing >= 1 broker: python3 stdlib if there is
# one, else a TCP connect.
probe() {
  local host="$1" port="$2"
  if command -v python3 >/dev/null 2>&1; then
    KAFKA_PROBE_USER=admin KAFKA_PROBE_PASSWORD="$ADMIN_PASSWORD" \
      python3 "$HERE/probe.py" "$host" "$port" >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

pid_alive() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Not a recycled pid: the process is this broker (or the script about to exec it).
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -e kafka.Kafka -e kafka.sh
}

# --- commands -------------------------------------------------------------------------------
cmd_run() {
  ensure_java
  libs_ready || cmd_fetch
  write_config
  format_storage
  local opts
  mapfile -t opts < <(java_opts)
  log "Kafka $(kafka_version): SASL_PLAINTEXT://$ADVERTISED:$PORT, SCRAM-SHA-512 and ACLs (listening on $LISTEN, controller $CPORT)"
  exec java "${opts[@]}" -cp "$LIBS/*" kafka.Kafka "$DATA/server.properties"
}

cmd_start() {
  if pid_alive; then
    if probe "$LOCAL" "$PORT"; then
      log "already running (pid $(cat "$PIDFILE")) on $ADVERTISED:$PORT"
      return 0
    fi
    log "pid $(cat "$PIDFILE") alive but not answering; restarting"
    cmd_stop
  fi
  local p
  for p in "$PORT" "$CPORT"; do
    if (exec 3<>"/dev/tcp/$LOCAL/$p") 2>/dev/null; then
      die "port $p is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done
  ensure_java
  cmd_fetch
  mkdir -p "$DATA"
  # Fresh log per start; the previous one is kept once.
  [ -f "$LOGFILE" ] && mv -f "$LOGFILE" "$LOGFILE.1"
  setsid nohup bash "$HERE/kafka.sh" run >"$LOGFILE" 2>&1 </dev/null &
  local pid=$! t0=$SECONDS
  echo "$pid" >"$PIDFILE"
  while [ $((SECONDS - t0)) -lt "$TIMEOUT" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 60 "$LOGFILE" >&2 || true
      rm -f "$PIDFILE"
      die "Kafka exited during startup (log: $LOGFILE)"
    fi
    if probe "$LOCAL" "$PORT"; then
      log "ready on $ADVERTISED:$PORT in $((SECONDS - t0)) s (pid $pid, data $DATA)"
      return 0
    fi
    sleep 1
  done
  tail -n 60 "$LOGFILE" >&2 || true
  cmd_stop || true
  die "Kafka did not answer on $LOCAL:$PORT within $TIMEOUT s (log: $LOGFILE)"
}

cmd_stop() {
  if ! pid_alive; then
    rm -f "$PIDFILE"
    log "not running (data $DATA)"
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop in 30 s; killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  log "stopped (pid $pid)"
}

cmd_setup() {
  KAFKA_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$HERE/../bin/uv.sh" run --quiet python -m \
    spotcheck_common.kafka_admin setup --bootstrap "$ADVERTISED:$PORT" "$@"
}

cmd_status() {
  if pid_alive && probe "$LOCAL" "$PORT"; then
    echo "kafka: running (pid $(cat "$PIDFILE")) on $ADVERTISED:$PORT, data $DATA"
  elif pid_alive; then
    echo "kafka: starting or not answering (pid $(cat "$PIDFILE")) on $ADVERTISED:$PORT"
    return 3
  else
    echo "kafka: stopped (data $DATA)"
    return 3
  fi
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  run) cmd_run ;;
  bootstrap) echo "$ADVERTISED:$PORT" ;;
  libs) echo "$LIBS" ;;
  setup) shift; cmd_setup "$@" ;;
  *)
    echo "usage: $0 {fetch|start|stop|status|run|bootstrap|libs|setup}" >&2
    exit 2
    ;;
esac
