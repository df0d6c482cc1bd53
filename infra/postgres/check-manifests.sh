#!/usr/bin/env bash
# Checks deploy/postgres/ (CloudNativePG per district) offline; non-zero on any failure.
#
#   1. generated  every deploy/postgres/<district>.yaml is the generator's output for the
#                 districts of deploy/helm/values/ (infra/postgres/generate_manifests.py)
#   2. tests      the generator's and the checker's own tests (pytest infra/postgres/tests): the
#                 NetworkPolicy checks find each known mistake, empty CIDRs are refused
#   3. crds       CloudNativePG's CRDs at $CNPG_VERSION, from the Go module proxy (the module
#                 github.com/cloudnative-pg/cloudnative-pg holds config/crd/bases), cached in
#                 ~/.cache/spotcheck/gomod — never in the repository
#   4. validate   each object against its CRD's openAPIV3Schema (strict: unknown fields fail),
#                 the NetworkPolicies against Kubernetes $KUBE_VERSION's schema and on the pods
#                 CloudNativePG makes (what the database needs passes, nothing more), the
#                 Pooler's parameters against the operator's allow-list, spotcheck's rules, and
#                 that the checker refuses known faults (infra/postgres/validate_manifests.py)
#
# Environment: CNPG_VERSION (default v1.27.0), KUBE_VERSION (default 1.31.0), SPOTCHECK_CACHE
# (default ~/.cache/spotcheck).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
UV="$ROOT/infra/bin/uv.sh"
CNPG_VERSION="${CNPG_VERSION:-v1.27.0}"
KUBE_VERSION="${KUBE_VERSION:-1.31.0}"
CACHE="${SPOTCHECK_CACHE:-$HOME/.cache/spotcheck}"
MODULE=github.com/cloudnative-pg/cloudnative-pg
DIR="$CACHE/gomod/$MODULE@$CNPG_VERSION"

fail() { echo "FAIL postgres-manifests: $*" >&2; exit 1; }
step() { printf '%-9s %s\n' "$1" "$2"; }

# --------------------------------------------------------------------------------- 1. generated
"$UV" run python infra/postgres/generate_manifests.py --check ||
  fail "deploy/postgres is not the generator's output (or its values are refused, above): run infra/bin/uv.sh run python infra/postgres/generate_manifests.py"
step generated "ok: deploy/postgres/<district>.yaml match the generator"

# ------------------------------------------------------------------------------------- 2. tests
out="$("$UV" run pytest -q -p no:cacheprovider infra/postgres/tests 2>&1)" ||
  { echo "$out" >&2; fail "infra/postgres/tests"; }
step tests "ok: infra/postgres/tests"

# -------------------------------------------------------------------------------------- 3. crds
if [ ! -d "$DIR/config/crd/bases" ]; then
  command -v go >/dev/null || fail "go is needed once to fetch $MODULE@$CNPG_VERSION"
  # Outside any Go module (go mod download then takes module@version); a writable cache.
  (cd "$CACHE" && GOMODCACHE="$CACHE/gomod" GOFLAGS=-modcacherw go mod download "$MODULE@$CNPG_VERSION") ||
    fail "go mod download $MODULE@$CNPG_VERSION"
fi
[ -d "$DIR/config/crd/bases" ] || fail "no config/crd/bases in $DIR"
step crds "ok: CloudNativePG $CNPG_VERSION ($DIR)"

# ---------------------------------------------------------------------------------- 4. validate
shopt -s nullglob
files=()
for f in deploy/postgres/*.yaml; do
  [ "$(basename "$f")" = template.yaml ] || files+=("$f")
done
((${#files[@]})) || fail "no deploy/postgres/<district>.yaml"
"$UV" run python infra/postgres/validate_manifests.py --cnpg "$DIR" --kube-version "$KUBE_VERSION" "${files[@]}" ||
  fail "CloudNativePG manifests"
step validate "ok: ${#files[@]} districts against the CRDs of CloudNativePG $CNPG_VERSION, NetworkPolicies against Kubernetes $KUBE_VERSION and the database's connections"
