#!/usr/bin/env bash
# The regional cluster's Kafka topics (and users), from the one model: events.txt x districts.txt
# and the Helm values' neighbours, read by spotcheck_common.kafka_admin (docs/operations/kafka.md).
#
#   topics.sh list                          one topic name per line
#   topics.sh yaml                          regenerate deploy/regional/kafka/ (Strimzi Kafka,
#                                           KafkaUsers with their ACLs and quotas, KafkaTopics)
#   topics.sh create --bootstrap HOST:PORT [--single-node]
#                                           create the missing topics as admin (password in
#                                           KAFKA_ADMIN_PASSWORD), with their specs
#   topics.sh check                         deploy/regional/kafka/ is what `yaml` generates
#
# Users and ACLs without Strimzi: infra/kafka/kafka.sh setup (or python -m
# spotcheck_common.kafka_admin setup --bootstrap HOST:PORT). KAFKA_NAMESPACE=spotcheck-regional
# and KAFKA_CLUSTER=spotcheck name the Strimzi resources.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
UV="$HERE/../bin/uv.sh"

case "${1:-}" in
  list) "$UV" run --quiet python -m spotcheck_common.kafka_admin topics ;;
  yaml) "$UV" run --quiet python "$HERE/kafka/strimzi.py" write ;;
  create) shift; "$UV" run --quiet python -m spotcheck_common.kafka_admin topics --create "$@" ;;
  check) "$UV" run --quiet python "$HERE/kafka/strimzi.py" check ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
