#!/usr/bin/env bash
# Kafka and PostgreSQL for development (make infra-up / infra-down; used by up.sh / down.sh).
#
#   infra/dev/infra.sh start    PostgreSQL on 127.0.0.1:$PG_PORT (15432) with database `spotcheck`,
#                               Kafka on 127.0.0.1:$KAFKA_PORT (19092) with SCRAM and ACLs on, as
#                               in production, every district of infra/regional/districts.txt set
#                               up (user, ACLs, quotas, topics; passwords in .run/kafka/)
#   infra/dev/infra.sh stop
#   infra/dev/infra.sh status
#   infra/dev/infra.sh env      the SPOTCHECK_* variables the services need (signed in to Kafka
#                               as $SPOTCHECK_DISTRICT, default lingang)
# Data stays in ~/.cache/spotcheck (pg/, kafka-data/) between runs. A Kafka data dir formatted
# before authentication was on is refused: remove ~/.cache/spotcheck/kafka-data once.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PG="$ROOT/infra/postgres/pg.sh"
KAFKA="$ROOT/infra/kafka/kafka.sh"
DB="${SPOTCHECK_DEV_DATABASE:-spotcheck}"
PASSWORDS="$ROOT/.run/kafka"
DISTRICT="${SPOTCHECK_DISTRICT:-lingang}"

case "${1:-}" in
  start)
    "$PG" start
    "$PG" createdb "$DB"
    "$KAFKA" start
    "$KAFKA" setup --single-node --passwords "$PASSWORDS"
    ;;
  stop)
    rc=0
    "$KAFKA" stop || rc=1
    "$PG" stop || rc=1
    exit "$rc"
    ;;
  status)
    rc=0
    "$PG" status || rc=3
    "$KAFKA" status || rc=3
    exit "$rc"
    ;;
  env)
    echo "SPOTCHECK_KAFKA_BOOTSTRAP=$("$KAFKA" bootstrap)"
    echo "SPOTCHECK_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"
    echo "SPOTCHECK_KAFKA_SASL_USERNAME=$DISTRICT"
    echo "SPOTCHECK_KAFKA_SASL_PASSWORD=$(cat "$PASSWORDS/$DISTRICT.password")"
    echo "SPOTCHECK_DATABASE_URL=$("$PG" url "$DB")"
    ;;
  *)
    echo "usage: $0 {start|stop|status|env}" >&2
    exit 2
    ;;
esac
