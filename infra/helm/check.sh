#!/usr/bin/env bash
# Validates the Helm chart and the regional pieces without a cluster (`make helm-check`, part
# of `make test`). One summary line per step; the first failing step stops the script non-zero.
#
#   1. helm      reuse or build helm (go install, into ~/.cache/spotcheck/bin)
#   2. lint      helm lint --strict with each deploy/helm/values/<district>.yaml
#   3. template  helm template for each district (+ a minimal, an everything-on and a
#                no-portal render)
#   4. validate  every rendered object against the Kubernetes $KUBE_VERSION schemas
#                (kubernetes-validate, strict) and the chart's own rules
#   5. portal    the web application: no database Secret, migration nor database/Kafka egress;
#                SPOTCHECK_PORTAL_SERVICES names all seven services; the Ingress sends / to the
#                portal and /api/draws to draws; without it nothing of the portal is rendered
#   6. refuse    values the chart must refuse (schema and template checks), e.g. district=Bad_Name
#   7. regional  topics, alert rules, dashboard (infra/regional/check.py)
#   8. promtool  promtool check rules + test rules (built with go install if missing)
#
# Environment: KUBE_VERSION (default 1.31.0), HELM_VERSION (default v3.22.0),
# PROMTOOL_VERSION (default v0.316.0, i.e. Prometheus 3.x), SPOTCHECK_BIN (default
# ~/.cache/spotcheck/bin), SPOTCHECK_SKIP_PROMTOOL=1, KEEP_RENDERED=1 keeps the rendered manifests.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CHART=deploy/helm/spotcheck
VALUES_DIR=deploy/helm/values
KUBE_VERSION="${KUBE_VERSION:-1.31.0}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
BIN="${SPOTCHECK_BIN:-$HOME/.cache/spotcheck/bin}"
UV="$ROOT/infra/bin/uv.sh"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/spotcheck-helm.XXXXXX")"
if [[ "${KEEP_RENDERED:-}" == 1 ]]; then
  echo "rendered manifests kept in $OUT"
else
  trap 'rm -rf "$OUT"' EXIT
fi

fail() { echo "FAIL helm-check: $*" >&2; exit 1; }
step() { printf '%-9s %s\n' "$1" "$2"; }

# ---------------------------------------------------------------------------------------- 1. helm
export PATH="$BIN:$PATH"
helm_ok() { command -v helm >/dev/null && helm version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; }
if ! helm_ok; then
  command -v go >/dev/null || fail "helm is missing and go is not installed to build it"
  mkdir -p "$BIN"
  echo "building helm $HELM_VERSION into $BIN (first time: a few minutes)..."
  start=$SECONDS
  GOBIN="$BIN" GOFLAGS=-buildvcs=false go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    || fail "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed"
  step helm "built $HELM_VERSION in $((SECONDS - start))s"
fi
helm_ok || fail "helm on PATH is not $HELM_VERSION: $(helm version --short 2>&1)"
step helm "$(command -v helm) $(helm version --short)"

# ------------------------------------------------------------------------------------ districts
shopt -s nullglob
files=("$VALUES_DIR"/*.yaml)
((${#files[@]})) || fail "no district values in $VALUES_DIR"
districts=()
for f in "${files[@]}"; do
  d="$(basename "$f" .yaml)"
  grep -qE "^district: *\"?$d\"?[[:space:]]*$" "$f" || fail "$f must set 'district: $d' (file name = district)"
  districts+=("$d")
done

# ---------------------------------------------------------------------------------------- 2. lint
for d in "${districts[@]}"; do
  log="$OUT/lint-$d.log"
  if ! helm lint --strict "$CHART" -f "$VALUES_DIR/$d.yaml" --namespace "spotcheck-$d" \
    --kube-version "$KUBE_VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    fail "helm lint --strict with $d.yaml"
  fi
done
step lint "ok: helm lint --strict passes for ${#districts[@]} districts (${districts[*]})"

# ------------------------------------------------------------------------------------ 3. template
render() { # name namespace args...
  local name="$1" ns="$2"
  shift 2
  if ! helm template spotcheck "$CHART" --namespace "$ns" --kube-version "$KUBE_VERSION" "$@" \
    >"$OUT/$name.yaml" 2>"$OUT/$name.err"; then
    cat "$OUT/$name.err" >&2
    fail "helm template for $name"
  fi
}
for d in "${districts[@]}"; do
  render "$d" "spotcheck-$d" -f "$VALUES_DIR/$d.yaml"
done
# Chart defaults with only the required values set, everything optional switched on (with the
# database owner: the portal must still get no migration), and the same without the portal.
render minimal spotcheck-minimal --set district=minimal --set-string 'divisionCodes={371000}' \
  --set bureauName=某区市场监督管理局
everything=(--set district=everything --set 'neighbours={lingang,huancui}' --set-string 'divisionCodes={371071,371002}' --set ingress.enabled=true
  --set bureauName=某区市场监督管理局
  --set ingress.host=spotcheck.everything.example --set monitoring.serviceMonitor.enabled=true
  --set database.owner.secretName=spotcheck-database-owner --set database.owner.key=url
  --set otel.enabled=true --set otel.endpoint=http://otel-collector.observability.svc:4317)
for c in registry planning draws inspections publication objections archives portal; do
  everything+=(--set "$c.autoscaling.enabled=true" --set "$c.autoscaling.targetMemoryUtilizationPercentage=80")
done
render everything spotcheck-everything "${everything[@]}"
# Without the portal: the services alone, as before the web application.
render noportal spotcheck-noportal "${everything[@]}" --set district=noportal --set portal.enabled=false
renders=("${districts[@]}" minimal everything noportal)
counts=""
for r in "${renders[@]}"; do counts+=" $r=$(grep -c '^kind:' "$OUT/$r.yaml")"; done
step template "ok: rendered ${#renders[@]} releases, objects:$counts"

# ------------------------------------------------------------------------------------ 4. validate
for r in "${renders[@]}"; do
  if ! "$UV" run python infra/helm/validate_manifests.py --kube-version "$KUBE_VERSION" \
    --district "$r" --namespace "spotcheck-$r" "$OUT/$r.yaml" >"$OUT/validate-$r.log" 2>&1; then
    cat "$OUT/validate-$r.log" >&2
    fail "rendered manifests of $r are not valid"
  fi
done
step validate "ok: every object of ${#renders[@]} releases valid against Kubernetes $KUBE_VERSION (strict) and the chart's rules"

# ------------------------------------------------------------------------------------- 5. portal
portal_renders=("${districts[@]}" minimal everything)
portal_files=()
for r in "${portal_renders[@]}"; do portal_files+=("$OUT/$r.yaml"); done
if ! "$UV" run python infra/helm/validate_manifests.py --portal "${portal_files[@]}" \
  >"$OUT/portal.log" 2>&1; then
  cat "$OUT/portal.log" >&2
  fail "the portal's rendering"
fi
if grep -q 'component: portal' "$OUT/noportal.yaml"; then
  fail "portal.enabled=false still renders portal objects"
fi
ingresses=$(grep -c 'Ingress / -> ' "$OUT/portal.log" || true)
step portal "ok: ${#portal_renders[@]} releases: portal without database Secret, migration or database/Kafka egress, SPOTCHECK_PORTAL_SERVICES names all 7 services; $ingresses Ingresses send / to the portal and /api/draws to draws; none with portal.enabled=false"

# ------------------------------------------------------------------------------------- 6. refuse
# Each case: values that must be refused, and a fragment of the error that says why.
refused=0
refuse() { # expected-error-fragment helm-args...
  local want="$1"
  shift
  local err="$OUT/refuse.err"
  if helm template spotcheck "$CHART" --namespace spotcheck-x --kube-version "$KUBE_VERSION" \
    -f "$VALUES_DIR/${districts[0]}.yaml" "$@" >/dev/null 2>"$err"; then
    fail "helm template accepted $* (it must be refused: $want)"
  fi
  grep -q -- "$want" "$err" || { cat "$err" >&2; fail "refusal of $* did not mention '$want'"; }
  refused=$((refused + 1))
}
refuse "'/district': 'Bad_Name' does not match pattern" --set district=Bad_Name
refuse "'/district': 'x' does not match pattern" --set district=x
refuse "'/district': 'not' failed" --set district=region
refuse "'/district': '' does not match pattern" --set district=
refuse "'/neighbours/0': 'Huan Cui' does not match" --set 'neighbours={Huan Cui}'
refuse "divisionCodes" --set-json 'divisionCodes=[]'
refuse "'/divisionCodes/0': '37107' does not match" --set-string 'divisionCodes={37107}'
refuse "neighbours must not contain the district itself" --set "neighbours={${districts[0]}}"
refuse "additional properties 'url' not allowed" --set database.url=postgresql+asyncpg://u:p@db:5432/spotcheck
refuse "'/database/secretName': '' does not match" --set database.secretName=
refuse "'/kafka/bootstrap': '' does not match" --set kafka.bootstrap=
refuse "'/image/pullPolicy'" --set image.pullPolicy=Sometimes
refuse "'/registry/replicas': minimum" --set registry.replicas=-1
refuse "'/draws': additional properties 'replica' not allowed" --set draws.replica=2
refuse "'/containerSecurityContext/readOnlyRootFilesystem': value must be true" --set containerSecurityContext.readOnlyRootFilesystem=false
refuse "'/podSecurityContext/runAsNonRoot': value must be true" --set podSecurityContext.runAsNonRoot=false
refuse "otel.endpoint is empty" --set otel.enabled=true --set otel.endpoint=
refuse "not both" --set registry.podDisruptionBudget.minAvailable=1
refuse "minReplicas" --set planning.autoscaling.enabled=true --set planning.autoscaling.minReplicas=5 \
  --set planning.autoscaling.maxReplicas=2
refuse "invalid propertyName 'SPOTCHECK_DATABASE_URL'" --set commonEnv.SPOTCHECK_DATABASE_URL=postgresql://x
refuse "invalid propertyName 'SPOTCHECK_CLOCK'" --set commonEnv.SPOTCHECK_CLOCK=2027-06-01
refuse "'/objections/extraEnv/0/name': 'not' failed" --set 'objections.extraEnv[0].name=SPOTCHECK_CLOCK' \
  --set 'objections.extraEnv[0].value=2027-06-01'
# The demo mode and its token issuer (anyone signs in with any role) never run in a release, and
# no secret is written into values (commonEnv lands in a ConfigMap).
refuse "invalid propertyName 'SPOTCHECK_AUTH_LOCAL_ISSUER'" --set commonEnv.SPOTCHECK_AUTH_LOCAL_ISSUER=true
refuse "invalid propertyName 'SPOTCHECK_DEMO'" --set commonEnv.SPOTCHECK_DEMO=true
refuse "'/draws/extraEnv/0/name': 'not' failed" --set 'draws.extraEnv[0].name=SPOTCHECK_AUTH_LOCAL_ISSUER' \
  --set-string 'draws.extraEnv[0].value=true'
refuse "invalid propertyName 'SPOTCHECK_AUTH_SECRET'" --set commonEnv.SPOTCHECK_AUTH_SECRET=s3cret
refuse "invalid propertyName 'SPOTCHECK_KAFKA_SASL_PASSWORD'" --set commonEnv.SPOTCHECK_KAFKA_SASL_PASSWORD=pw
refuse "'/extraEnv/0': 'not' failed" --set 'extraEnv[0].name=SPOTCHECK_AUTH_SECRET' --set 'extraEnv[0].value=s3cret'
# The portal: the bureau's name is required; the portal needs every service (or a gateway).
refuse "missing property 'bureauName'" --set bureauName=null
refuse "'/bureauName': minLength" --set bureauName=
refuse "portal.enabled needs every service: draws not enabled" --set draws.enabled=false
refuse "invalid propertyName 'SPOTCHECK_BUREAU_NAME'" --set commonEnv.SPOTCHECK_BUREAU_NAME=x
refuse "'/portal': additional properties 'database' not allowed" --set portal.database.secretName=x
step refuse "ok: $refused bad values refused with the expected reason (e.g. district=Bad_Name)"

# ----------------------------------------------------------------------------------- 7. regional
if ! bash infra/regional/topics.sh check >"$OUT/topics.log" 2>&1; then
  cat "$OUT/topics.log" >&2
  fail "infra/regional/kafka/topics.yaml"
fi
if ! "$UV" run python infra/regional/check.py >"$OUT/regional.log" 2>&1; then
  cat "$OUT/regional.log" >&2
  fail "infra/regional checks"
fi
step regional "ok: $(grep -c '^ok' "$OUT/regional.log") checks (topics, rules, dashboard) in infra/regional"
# promtool: `check rules` and the unit tests of every alert (rules_test.yaml). Built once with go
# (about 5 minutes on 2 cores); SPOTCHECK_SKIP_PROMTOOL=1 skips it, a failed build only warns.
if [[ "${SPOTCHECK_SKIP_PROMTOOL:-}" == 1 ]]; then
  step promtool "skipped (SPOTCHECK_SKIP_PROMTOOL=1); rules checked by infra/regional/check.py only"
else
  if ! command -v promtool >/dev/null && command -v go >/dev/null; then
    echo "building promtool $PROMTOOL_VERSION into $BIN (first time: about 5 minutes)..."
    start=$SECONDS
    if GOBIN="$BIN" GOFLAGS=-buildvcs=false go install \
      "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" >"$OUT/promtool-build.log" 2>&1; then
      step promtool "built $PROMTOOL_VERSION in $((SECONDS - start))s"
    else
      tail -5 "$OUT/promtool-build.log" >&2
      echo "WARN     promtool could not be built; rules checked by infra/regional/check.py only" >&2
    fi
  fi
  if command -v promtool >/dev/null; then
    (
      cd infra/regional/prometheus
      promtool check rules rules.yaml >"$OUT/promtool.log" 2>&1 \
        && promtool test rules rules_test.yaml >>"$OUT/promtool.log" 2>&1
    ) || { cat "$OUT/promtool.log" >&2; fail "promtool check rules / test rules"; }
    step promtool "ok: promtool check rules ($(grep -o '[0-9]* rules found' "$OUT/promtool.log")) and test rules (every alert fires when it should)"
  fi
fi

echo "helm-check: all steps passed"
