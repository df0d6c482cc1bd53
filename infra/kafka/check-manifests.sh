#!/usr/bin/env bash
# The regional Kafka's Strimzi resources (deploy/regional/kafka/), checked offline:
#   1. they are what the model generates (infra/regional/kafka/strimzi.py check);
#   2. every object is valid against its CRD's openAPIV3Schema (infra/kafka/validate_strimzi.py).
# The CRDs are made the way Strimzi's own build makes them: its CRD generator (Maven Central,
# infra/kafka/strimzi/pom.xml) run over its API model, byte for byte the released files. They
# are cached in ~/.cache/spotcheck/strimzi/<version>/ (SPOTCHECK_CACHE moves it). The generator
# needs Java 21+: JAVA_HOME, `java` on PATH or /usr/lib/jvm/*, the first recent enough.
# Exits non-zero on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
UV="$ROOT/infra/bin/uv.sh"
POM="$ROOT/infra/kafka/strimzi/pom.xml"
VERSION="$(sed -n 's#.*<strimzi.version>\(.*\)</strimzi.version>.*#\1#p' "$POM")"
CRDS="${SPOTCHECK_CACHE:-$HOME/.cache/spotcheck}/strimzi/$VERSION"
MODEL=io.strimzi.api.kafka.model

die() { echo "check-manifests: $*" >&2; exit 1; }

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p'; }

java21() {
  local java
  for java in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [ -x "$java" ] && [ "$(java_major "$java")" -ge 21 ] 2>/dev/null && { echo "$java"; return 0; }
  done
  return 1
}

make_crds() {
  [ -s "$CRDS/kafkauser.yaml" ] && [ "$(cat "$CRDS/.pom.sha256" 2>/dev/null)" = "$(sha256sum <"$POM")" ] && return 0
  local java tmp="$CRDS.tmp.$$"
  java="$(java21)" || die "no Java 21+ for Strimzi $VERSION's CRD generator (set JAVA_HOME)"
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  rm -rf "$tmp" && mkdir -p "$tmp"
  mvn -B -q -f "$POM" dependency:build-classpath -Dmdep.outputFile="$tmp/classpath.txt" >"$tmp/mvn.log" 2>&1 \
    || { tail -20 "$tmp/mvn.log" >&2; die "mvn could not fetch Strimzi $VERSION's api and crd-generator"; }
  "$java" -cp "$(cat "$tmp/classpath.txt")" io.strimzi.crdgenerator.CrdGenerator \
    --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
    --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
    "$MODEL.kafka.Kafka=$tmp/kafka.yaml" "$MODEL.nodepool.KafkaNodePool=$tmp/kafkanodepool.yaml" \
    "$MODEL.user.KafkaUser=$tmp/kafkauser.yaml" "$MODEL.topic.KafkaTopic=$tmp/kafkatopic.yaml" \
    || die "Strimzi's CRD generator failed"
  sha256sum <"$POM" >"$tmp/.pom.sha256"
  rm -rf "$CRDS" && mv "$tmp" "$CRDS"
}

"$UV" run --quiet python infra/regional/kafka/strimzi.py check
make_crds
"$UV" run --quiet python infra/kafka/validate_strimzi.py "$CRDS" deploy/regional/kafka/*.yaml
