#!/usr/bin/env bash
# Fuzzes every operation of every service's OpenAPI with schemathesis (`make fuzz`, and the
# `fuzz` stage of `make test`): the all-in-one server on embedded defaults with the demo
# district, on 127.0.0.1 and a free port, its data in a temp dir, its domain clock fixed;
# requests carry a token holding every role so they reach the handlers.
#
# SPOTCHECK_FUZZ_WORKERS concurrent requests (default 2). Checks: no 5xx (not_a_server_error), only documented statuses (status_code_conformance),
# answers matching their documented schema and content type. Bounded: SPOTCHECK_FUZZ_EXAMPLES
# examples per operation (default 12), at most SPOTCHECK_FUZZ_TIMEOUT seconds (default 900). A fixed
# seed (SPOTCHECK_FUZZ_SEED) makes a run repeatable; the report names the seed either way.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
UV="$ROOT/infra/bin/uv.sh"
TMP="$(mktemp -d /var/tmp/spotcheck-fuzz.XXXXXX)"
SECRET="fuzz-$(head -c 24 /dev/urandom | base64 | tr -d '=+/')"
PORT="${SPOTCHECK_FUZZ_PORT:-48600}"
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
SERVER_PID=""

stop() {
  local rc=$?
  if [ -n "$SERVER_PID" ]; then
    kill -TERM -- "-$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap stop EXIT

echo "fuzz: starting the all-in-one server on 127.0.0.1:$PORT"
SPOTCHECK_DATA_DIR="$TMP" SPOTCHECK_DEMO=true SPOTCHECK_AUTH_SECRET="$SECRET" \
  SPOTCHECK_CLOCK="2026-06-01T09:00:00+08:00" SPOTCHECK_LOG_JSON=false SPOTCHECK_LOG_LEVEL=WARNING \
  SPOTCHECK_HOST=127.0.0.1 setsid "$UV" run --quiet spotcheck --target=all --port "$PORT" \
  >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 180); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -30 "$TMP/server.log" >&2; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { tail -30 "$TMP/server.log" >&2; exit 1; }

TOKEN="$(SECRET="$SECRET" "$UV" run --quiet python - <<'EOF'
import os

from spotcheck_common.auth import Authenticator
from spotcheck_common.roles import Role
from spotcheck_common.settings import Settings

auth = Authenticator(Settings(district="lingang", auth_secret=os.environ["SECRET"]))
print(auth.issue("fuzz", list(Role), department="信用监管科", inspector_id="LG0001"))
EOF
)"

seed=()
[ -n "${SPOTCHECK_FUZZ_SEED:-}" ] && seed=(--seed "$SPOTCHECK_FUZZ_SEED")
rc=0
timeout "${SPOTCHECK_FUZZ_TIMEOUT:-900}" "$UV" run --quiet st --no-color run "http://127.0.0.1:$PORT/openapi.json" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
  --phases coverage,fuzzing --max-examples "${SPOTCHECK_FUZZ_EXAMPLES:-12}" --workers "${SPOTCHECK_FUZZ_WORKERS:-2}" \
  "${seed[@]}" "$@" || rc=$?
if [ "$rc" != 0 ]; then
  echo "fuzz: server log (last lines):"
  tail -40 "$TMP/server.log"
fi
exit "$rc"
