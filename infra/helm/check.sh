#!/usr/bin/env bash
# Validates the Helm chart and the regional pieces without a cluster (`make helm-check`, part
# of `make test`). One summary line per step; the first failing step stops the script non-zero.
#
#   1. helm      reuse or build helm (infra/bin/go-tool.sh, into ~/.cache/spotcheck/bin)
#   2. lint      helm lint --strict with each deploy/helm/values/<district>.yaml (both charts)
#   3. template  helm template for each district (+ a minimal, an everything-on, a no-portal and
#                a whole-URL database render), and the namespace chart for each district
#   4. validate  every rendered object against the Kubernetes $KUBE_VERSION schemas
#                (kubernetes-validate, strict) and the chart's rules (restricted pods, Secrets
#                per district, JWKS and OTLP/HTTP egress); each namespace restricted, default
#                deny, its quota and limits holding the release at its largest; no Secret
#                shared by two districts
#   5. portal    the web application: no database Secret, migration nor database/Kafka egress;
#                SPOTCHECK_PORTAL_SERVICES names all seven services; the Ingress sends / to the
#                portal and /api/draws to draws; without it nothing of the portal is rendered
#   6. refuse    values the chart must refuse (schema and template checks), e.g. district=Bad_Name,
#                a namespace other than spotcheck-<district>, an OTLP endpoint on port 4317
#   7. guard     the validators themselves catch broken renders (a pod not restricted, no JWKS
#                egress, a quota too small, a Secret shared by two districts, honorLabels on the
#                ServiceMonitor, a district dashboard querying another district)
#   8. regional  districts, values files and neighbours agree (and the refusals of bad ones);
#                topics, alert rules, Kafka's JMX exporter rules, dashboards, Alertmanager
#                routes, SLO rules current (infra/regional/check.py)
#   9. package   helm package --sign with a throwaway GPG key, helm verify
#  10. upgrade   the previous chart version (CHANGELOG) rendered per district against this one:
#                immutable fields, removed objects acknowledged in the CHANGELOG
#  11. operators Strimzi (infra/kafka/check-manifests.sh) and CloudNativePG
#                (infra/postgres/check-manifests.sh) objects against their CRDs
#  12. promtool  promtool check rules + test rules (hand-written alerts, SLO burn rates over up
#                to 3 days of samples: about 4 minutes on 2 cores), and the chart's
#                PrometheusRule of each district narrowed to it and valid (promtool built once
#                by infra/bin/go-tool.sh); promtool check config of the scrape configuration
#  13. amtool    amtool check-config and `config routes test` of the example Alertmanager
#                configuration: two districts' pages and tickets to their own receivers, alerts
#                without a district to the region's (amtool built once by infra/bin/go-tool.sh;
#                skipped with a message without go)
#
# Environment: KUBE_VERSION (default 1.31.0), HELM_VERSION (default v3.22.0),
# PROMTOOL_VERSION (default v0.316.0, i.e. Prometheus 3.x), AMTOOL_VERSION (default v0.28.1,
# Alertmanager's), SPOTCHECK_BIN (default
# ~/.cache/spotcheck/bin), SPOTCHECK_SKIP_PROMTOOL=1, KEEP_RENDERED=1 keeps the rendered manifests.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CHART=deploy/helm/spotcheck
NS_CHART=deploy/helm/spotcheck-namespace
VALUES_DIR=deploy/helm/values
# The OIDC provider's addresses of the renders that have no district file.
AUTH=(--set-json 'auth.egressCidrs=["10.30.0.0/28"]')
KUBE_VERSION="${KUBE_VERSION:-1.31.0}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
AMTOOL_VERSION="${AMTOOL_VERSION:-v0.28.1}"
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
GO_TOOL="$ROOT/infra/bin/go-tool.sh"
helm_ok() { command -v helm >/dev/null && helm version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; }
if ! helm_ok; then
  "$GO_TOOL" helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >/dev/null || fail "helm $HELM_VERSION could not be built"
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
  for chart in "$CHART" "$NS_CHART"; do
    log="$OUT/lint-$d.log"
    if ! helm lint --strict "$chart" -f "$VALUES_DIR/$d.yaml" --namespace "spotcheck-$d" \
      --kube-version "$KUBE_VERSION" >"$log" 2>&1; then
      cat "$log" >&2
      fail "helm lint --strict $chart with $d.yaml"
    fi
  done
done
step lint "ok: helm lint --strict passes for ${#districts[@]} districts (${districts[*]}), chart and namespace chart"

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
  --set bureauName=某区市场监督管理局 "${AUTH[@]}"
everything=(--set district=everything --set 'neighbours={lingang,huancui}' --set-string 'divisionCodes={371071,371002}' --set ingress.enabled=true
  --set bureauName=某区市场监督管理局 "${AUTH[@]}"
  --set ingress.host=spotcheck.everything.example --set monitoring.serviceMonitor.enabled=true
  --set monitoring.prometheusRule.enabled=true --set monitoring.prometheusRule.regional=true
  --set monitoring.dashboards.enabled=true --set monitoring.dashboards.regional=true
  --set database.host=spotcheck-everything-pg-pooler --set database.secretNames.draws=everything-draws-login
  --set sso.enabled=true --set sso.publicUrl=https://spotcheck.everything.example
  --set otel.enabled=true --set otel.endpoint=http://otel-collector.observability.svc:4318/v1/traces)
for c in registry planning draws inspections publication objections archives portal; do
  everything+=(--set "$c.autoscaling.enabled=true" --set "$c.autoscaling.targetMemoryUtilizationPercentage=80")
done
render everything spotcheck-everything "${everything[@]}"
# Without the portal: the services alone, as before the web application.
render noportal spotcheck-noportal "${everything[@]}" --set district=noportal --set portal.enabled=false \
  --set database.host= --set database.secretNames.draws=noportal-draws-login
# Another operator's PostgreSQL: whole URLs (runtime and owner) from one Secret, TLS required.
render urlmode spotcheck-urlmode --set district=urlmode --set-string 'divisionCodes={371000}' \
  --set bureauName=某区市场监督管理局 "${AUTH[@]}" --set database.urlSecret.secretName=spotcheck-urlmode-database \
  --set database.urlSecret.ownerKey=owner-url
renders=("${districts[@]}" minimal everything noportal urlmode)
counts=""
for r in "${renders[@]}"; do counts+=" $r=$(grep -c '^kind:' "$OUT/$r.yaml")"; done
# The namespace of each district, as the regional administrator renders it.
for d in "${districts[@]}"; do
  helm template "spotcheck-namespace-$d" "$NS_CHART" --namespace spotcheck-regional \
    --kube-version "$KUBE_VERSION" -f "$VALUES_DIR/$d.yaml" >"$OUT/ns-$d.yaml" 2>"$OUT/ns-$d.err" \
    || { cat "$OUT/ns-$d.err" >&2; fail "helm template $NS_CHART for $d"; }
done
step template "ok: rendered ${#renders[@]} releases, objects:$counts; ${#districts[@]} namespaces"

# ------------------------------------------------------------------------------------ 4. validate
for r in "${renders[@]}"; do
  if ! "$UV" run python infra/helm/validate_manifests.py --kube-version "$KUBE_VERSION" \
    --district "$r" --namespace "spotcheck-$r" "$OUT/$r.yaml" >"$OUT/validate-$r.log" 2>&1; then
    cat "$OUT/validate-$r.log" >&2
    fail "rendered manifests of $r are not valid"
  fi
done
validate() { # log-name validator-args...
  local log="$OUT/$1.log"
  shift
  "$UV" run python infra/helm/validate_manifests.py "$@" >"$log" 2>&1
}
for d in "${districts[@]}"; do
  validate "ns-$d" --kube-version "$KUBE_VERSION" --district "$d" --namespace "spotcheck-$d" \
    --namespace-chart "$OUT/ns-$d.yaml" "$OUT/$d.yaml" \
    || { cat "$OUT/ns-$d.log" >&2; fail "namespace spotcheck-$d"; }
done
district_files=()
for d in "${districts[@]}"; do district_files+=("$OUT/$d.yaml"); done
validate distinct --distinct-secrets "${district_files[@]}" \
  || { cat "$OUT/distinct.log" >&2; fail "Secret names shared between districts"; }
step validate "ok: every object of ${#renders[@]} releases valid against Kubernetes $KUBE_VERSION (strict) and the chart's rules (restricted pods, per-district Secrets, JWKS and OTLP/HTTP egress); ${#districts[@]} namespaces restricted, default deny, quota holds the release at its largest; $(tail -1 "$OUT/distinct.log" | sed 's/^ok *//')"

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
  if helm template spotcheck "$CHART" --namespace "spotcheck-${districts[0]}" --kube-version "$KUBE_VERSION" \
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
# The region's guard-rails: the namespace, per-district Secrets, TLS and SASL, restricted pods,
# the OTLP/HTTP endpoint, the OIDC provider's egress.
refuse "must be installed in namespace \"spotcheck-${districts[0]}\", not \"spotcheck-other\"" --namespace spotcheck-other
refuse "must be installed in namespace \"spotcheck-${districts[1]}\"" --set "district=${districts[1]}"
refuse "database.secretNames.registry \"spotcheck-db-registry\" must carry the district" \
  --set database.secretNames.registry=spotcheck-db-registry
refuse "kafka.password.secretName \"spotcheck-${districts[1]}-kafka\" must carry the district" \
  --set "kafka.password.secretName=spotcheck-${districts[1]}-kafka"
refuse "ingress.tls\[0\].secretName \"spotcheck-tls\" must carry the district" --set 'ingress.tls[0].secretName=spotcheck-tls'
refuse "invalid propertyName 'portal'" --set database.secretNames.portal=spotcheck-x-db
refuse "'/database': additional properties 'secretName' not allowed" --set database.secretName=spotcheck-database
refuse "'/database/sslmode'" --set database.sslmode=disable
refuse "'/kafka/securityProtocol'" --set kafka.securityProtocol=PLAINTEXT
refuse "'/kafka/saslMechanism'" --set kafka.saslMechanism=PLAIN
refuse "'/podSecurityContext': missing property 'seccompProfile'" --set podSecurityContext.seccompProfile=null
refuse "'/containerSecurityContext/capabilities/drop'" --set-json 'containerSecurityContext.capabilities.drop=["NET_RAW"]'
refuse "'/containerSecurityContext/capabilities/add/0'" --set-json 'containerSecurityContext.capabilities.add=["SYS_ADMIN"]'
refuse "'/otel/endpoint': 'not' failed" --set otel.enabled=true --set otel.endpoint=http://otel-collector.observability.svc:4317/v1/traces
refuse "'/otel/endpoint': 'http://otel-collector.observability.svc:4318' does not match" --set otel.enabled=true \
  --set otel.endpoint=http://otel-collector.observability.svc:4318
refuse "'/monitoring/prometheusRule/runbookBaseUrl': 'https://docs.example/' does not match" \
  --set monitoring.prometheusRule.runbookBaseUrl=https://docs.example/
refuse "auth.egressCidrs is empty: the NetworkPolicy would block the OIDC provider (sso.gov.example)" --set-json 'auth.egressCidrs=[]'
refuse "'/auth/egressCidrs/0': 'sso.gov.example' does not match" --set-json 'auth.egressCidrs=["sso.gov.example"]'
refuse "additional properties 'egress' not allowed" --set-json 'sso.egress={"ports":[443]}'
# The namespace chart: only restricted, and only for a district.
ns_refuse() { # expected-error-fragment helm-args...
  local want="$1"
  shift
  if helm template ns "$NS_CHART" --kube-version "$KUBE_VERSION" -f "$VALUES_DIR/${districts[0]}.yaml" "$@" \
    >/dev/null 2>"$OUT/refuse.err"; then
    fail "the namespace chart accepted $* (it must be refused: $want)"
  fi
  grep -q -- "$want" "$OUT/refuse.err" || { cat "$OUT/refuse.err" >&2; fail "refusal of $* did not mention '$want'"; }
  refused=$((refused + 1))
}
ns_refuse "'/namespace/podSecurity/level': value must be 'restricted'" --set namespace.podSecurity.level=baseline
ns_refuse "'/district': 'not' failed" --set district=region
ns_refuse "'/namespace/quota': missing property 'pods'" --set namespace.quota.pods=null
step refuse "ok: $refused bad values refused with the expected reason (e.g. district=Bad_Name, namespace spotcheck-other, OTLP port 4317)"

# -------------------------------------------------------------------------------------- 7. guard
# The validators must catch what they are there for: each broken copy of a good render fails
# with the expected reason.
caught=0
expect_invalid() { # name expected-error-fragment validator-args...
  local name="$1" want="$2"
  shift 2
  if "$UV" run python infra/helm/validate_manifests.py "$@" >"$OUT/guard-$name.log" 2>&1; then
    fail "the validator accepted the broken render '$name' (want: $want)"
  fi
  grep -q -- "$want" "$OUT/guard-$name.log" || { cat "$OUT/guard-$name.log" >&2; fail "guard $name: no '$want'"; }
  caught=$((caught + 1))
}
d="${districts[0]}"
check_args=(--kube-version "$KUBE_VERSION" --district "$d" --namespace "spotcheck-$d")
broken() { sed "$1" "$OUT/$d.yaml" >"$OUT/broken-$2.yaml"; }
broken 's/type: RuntimeDefault/type: Unconfined/' seccomp
expect_invalid seccomp "seccompProfile is not RuntimeDefault" "${check_args[@]}" "$OUT/broken-seccomp.yaml"
broken '/- ALL$/d' caps
expect_invalid caps "capabilities do not drop ALL" "${check_args[@]}" "$OUT/broken-caps.yaml"
broken 's/^\( *\)- port: 443$/\1- port: 444/' jwks
expect_invalid jwks "no egress to the JWKS" "${check_args[@]}" "$OUT/broken-jwks.yaml"
broken "s/spotcheck-$d-kafka\$/spotcheck-kafka/" secret
expect_invalid secret "Secret spotcheck-kafka does not carry the district" "${check_args[@]}" "$OUT/broken-secret.yaml"
broken 's|:4318/v1/traces|:4317|' otel
expect_invalid otel "OTel endpoint .* is the OTLP/gRPC port 4317" "${check_args[@]}" "$OUT/broken-otel.yaml"
broken 's|value: "postgresql://$(PGUSER):$(PGPASSWORD)@|value: "postgresql://spotcheck:plain@|' plainurl
expect_invalid plainurl "SPOTCHECK_DATABASE_URL is not made of Secret keys only" "${check_args[@]}" "$OUT/broken-plainurl.yaml"
sed 's/requests.cpu: "[0-9]*"/requests.cpu: "1"/' "$OUT/ns-$d.yaml" >"$OUT/broken-ns-quota.yaml"
expect_invalid quota "ResourceQuota requests.cpu: the release needs" "${check_args[@]}" \
  --namespace-chart "$OUT/broken-ns-quota.yaml" "$OUT/$d.yaml"
sed 's/memory: 2Gi/memory: 128Mi/' "$OUT/ns-$d.yaml" >"$OUT/broken-ns-limits.yaml"
expect_invalid limits "above the LimitRange max 128Mi" "${check_args[@]}" \
  --namespace-chart "$OUT/broken-ns-limits.yaml" "$OUT/$d.yaml"
sed '/^  policyTypes:/,/^    - Egress/d' "$OUT/ns-$d.yaml" >"$OUT/broken-ns-deny.yaml"
expect_invalid deny "no default-deny NetworkPolicy" "${check_args[@]}" \
  --namespace-chart "$OUT/broken-ns-deny.yaml" "$OUT/$d.yaml"
sed "s/spotcheck-${districts[1]}-/spotcheck-$d-/g" "$OUT/${districts[1]}.yaml" >"$OUT/broken-shared.yaml"
expect_invalid shared "Secret spotcheck-$d-kafka is used by" --distinct-secrets "$OUT/$d.yaml" "$OUT/broken-shared.yaml"
# Tenancy of the metrics: a ServiceMonitor that honours the targets' labels, a district dashboard
# with a query of another district (the everything render has both).
e_args=(--kube-version "$KUBE_VERSION" --district everything --namespace spotcheck-everything)
sed 's/honorLabels: false/honorLabels: true/' "$OUT/everything.yaml" >"$OUT/broken-honor.yaml"
expect_invalid honor "honorLabels: true lets a target set its own district" "${e_args[@]}" "$OUT/broken-honor.yaml"
sed '0,/district=\\"everything\\"/s//district=\\"lingang\\"/' "$OUT/everything.yaml" >"$OUT/broken-board.yaml"
expect_invalid board 'selector {job="spotcheck", district="lingang"} is not this district' "${e_args[@]}" "$OUT/broken-board.yaml"
step guard "ok: the validators refuse $caught broken renders (seccomp, capabilities, JWKS egress, Secret names, OTLP port, plaintext URL, quota, limits, default deny, shared Secret, honorLabels, another district's dashboard query)"

# ----------------------------------------------------------------------------------- 8. regional
if ! bash infra/regional/topics.sh check >"$OUT/topics.log" 2>&1; then
  cat "$OUT/topics.log" >&2
  fail "infra/regional/kafka/topics.yaml"
fi
if ! "$UV" run python infra/regional/check.py >"$OUT/regional.log" 2>&1; then
  cat "$OUT/regional.log" >&2
  fail "infra/regional checks"
fi
# The districts check refuses values files and lists that disagree (copies in a temp dir).
regional_refuse() { # expected-problem edit-command (run in the copy's values dir)
  local want="$1" dir="$OUT/regional-case"
  rm -rf "$dir" && mkdir -p "$dir/values" && cp "$VALUES_DIR"/*.yaml "$dir/values/"
  grep -v '^region$' infra/regional/districts.txt >"$dir/districts.txt"
  (cd "$dir/values" && eval "$2")
  if "$UV" run python infra/regional/check.py districts --values-dir "$dir/values" \
    --districts "$dir/districts.txt" >"$OUT/regional-case.log" 2>&1; then
    fail "infra/regional/check.py accepted: $2 (want: $want)"
  fi
  grep -q -- "$want" "$OUT/regional-case.log" || { cat "$OUT/regional-case.log" >&2; fail "regional: no '$want'"; }
  regional_refused=$((regional_refused + 1))
}
regional_refused=0
one="${districts[0]}" two="${districts[1]}"
set_neighbours() { # file neighbours-yaml
  sed -i '/^neighbours:/,/^[a-zA-Z]/{/^  - /d}' "$1" && sed -i "s/^neighbours:.*/neighbours: $2/" "$1"
}
regional_refuse "neighbour 'nosuch' is not a listed district" "set_neighbours $one.yaml '[nosuch]'"
regional_refuse "names itself as a neighbour" "set_neighbours $one.yaml '[$one]'"
regional_refuse "does not name" "set_neighbours $one.yaml '[]'"
regional_refuse "listed in districts.txt but has no values file" "rm $one.yaml"
regional_refuse "has a values file but is not listed" "cp $one.yaml newtown.yaml && sed -i 's/^district: .*/district: newtown/' newtown.yaml"
regional_refuse "district is 'newtown', not '$one'" "sed -i 's/^district: .*/district: newtown/' $one.yaml"
regional_refuse "is given by" "sed -i 's/^kafka:/kafka:\n  password: {secretName: spotcheck-$one-$two-kafka, key: password}/' $one.yaml $two.yaml"
step regional "ok: $(grep -c '^ok' "$OUT/regional.log") checks (districts, rules, Kafka metrics, dashboards, topics, Alertmanager routes, SLO files) in infra/regional; $regional_refused disagreements refused (e.g. neighbours=[nosuch])"

# ------------------------------------------------------------------------------------ 9. package
# The released chart is a signed package: every bureau installs the same bytes. Here with a
# throwaway key; the bureau's release key signs the real one (docs/operations/deploy.md).
version="$(sed -n 's/^version: *//p' "$CHART/Chart.yaml")"
# helm reads the legacy keyring format: export the key pair into files of their own.
export GNUPGHOME="$OUT/gnupg"
mkdir -m 700 "$GNUPGHOME" "$OUT/keys"
gpg --batch --quiet --passphrase '' --quick-gen-key "spotcheck check <check@spotcheck.invalid>" rsa2048 sign never \
  2>"$OUT/gpg.log" || { cat "$OUT/gpg.log" >&2; fail "gpg could not make a throwaway key"; }
gpg --batch --quiet --export-secret-keys >"$OUT/keys/secring.gpg"
gpg --batch --quiet --export >"$OUT/keys/pubring.gpg"
gpgconf --kill gpg-agent # the throwaway home's agent; helm reads the exported files
helm package "$CHART" --destination "$OUT/package" --sign --key "spotcheck check" \
  --keyring "$OUT/keys/secring.gpg" >"$OUT/package.log" 2>&1 || { cat "$OUT/package.log" >&2; fail "helm package --sign"; }
tgz="$OUT/package/spotcheck-$version.tgz"
helm verify "$tgz" --keyring "$OUT/keys/pubring.gpg" >"$OUT/verify.log" 2>&1 \
  || { cat "$OUT/verify.log" >&2; fail "helm verify $tgz"; }
# A package whose bytes changed after signing must not verify.
cp "$tgz" "$OUT/tampered.tgz" && cp "$tgz.prov" "$OUT/tampered.tgz.prov" && printf 'x' >>"$OUT/tampered.tgz"
if helm verify "$OUT/tampered.tgz" --keyring "$OUT/keys/pubring.gpg" >/dev/null 2>&1; then
  fail "helm verify accepted a package changed after signing"
fi
# The package renders like the directory: it is what the bureaus install.
helm template spotcheck "$tgz" --namespace "spotcheck-${districts[0]}" --kube-version "$KUBE_VERSION" \
  -f "$VALUES_DIR/${districts[0]}.yaml" >"$OUT/packaged.yaml" 2>"$OUT/packaged.err" \
  || { cat "$OUT/packaged.err" >&2; fail "the package does not render"; }
cmp -s "$OUT/packaged.yaml" "$OUT/${districts[0]}.yaml" || fail "the package renders differently from $CHART"
step package "ok: spotcheck-$version.tgz signed and verified ($(sed -n 's/^Signed by: *//p' "$OUT/verify.log")); a changed package is refused; it renders as the chart"

# ------------------------------------------------------------------------------------ 10. upgrade
# The previous version (the CHANGELOG's "Previous version: X, git revision `R`") rendered with
# the district's values of that revision, against this version with today's values.
changelog="$CHART/CHANGELOG.md"
previous="$(sed -n 's/^Previous version: \([0-9.]*\), git revision `\([0-9a-f]*\)`.*/\1 \2/p' "$changelog" | head -1)"
[[ -n "$previous" ]] || fail "$changelog: no 'Previous version: X, git revision \`R\`' line"
read -r prev_version prev_rev <<<"$previous"
git cat-file -e "$prev_rev^{commit}" 2>/dev/null || fail "revision $prev_rev of the previous chart is not in this clone (CI needs a full clone)"
mkdir -p "$OUT/previous"
git archive "$prev_rev" "$CHART" "$VALUES_DIR" | tar -x -C "$OUT/previous"
got="$(sed -n 's/^version: *//p' "$OUT/previous/$CHART/Chart.yaml")"
[[ "$got" == "$prev_version" ]] || fail "the chart at $prev_rev is version $got, the CHANGELOG says $prev_version"
upgraded=()
for d in "${districts[@]}"; do
  [[ -f "$OUT/previous/$VALUES_DIR/$d.yaml" ]] || continue # a district new in this version installs
  helm template spotcheck "$OUT/previous/$CHART" --namespace "spotcheck-$d" --kube-version "$KUBE_VERSION" \
    -f "$OUT/previous/$VALUES_DIR/$d.yaml" >"$OUT/previous-$d.yaml" 2>"$OUT/previous-$d.err" \
    || { cat "$OUT/previous-$d.err" >&2; fail "the previous chart $prev_version does not render $d"; }
  "$UV" run python infra/helm/upgrade_check.py --changelog "$changelog" --version "$version" \
    "$OUT/previous-$d.yaml" "$OUT/$d.yaml" >"$OUT/upgrade-$d.log" 2>&1 \
    || { cat "$OUT/upgrade-$d.log" >&2; fail "upgrade of $d from $prev_version to $version"; }
  upgraded+=("$d")
done
# The check itself: a renamed chart (new selectors and names) must fail it.
helm template spotcheck "$CHART" --namespace "spotcheck-${upgraded[0]}" --kube-version "$KUBE_VERSION" \
  -f "$VALUES_DIR/${upgraded[0]}.yaml" --set nameOverride=renamed --set fullnameOverride=spotcheck >"$OUT/renamed.yaml"
if "$UV" run python infra/helm/upgrade_check.py --changelog "$changelog" --version "$version" \
  "$OUT/previous-${upgraded[0]}.yaml" "$OUT/renamed.yaml" >"$OUT/upgrade-renamed.log" 2>&1 \
  || ! grep -q "spec.selector changes" "$OUT/upgrade-renamed.log"; then
  cat "$OUT/upgrade-renamed.log" >&2
  fail "upgrade_check.py did not refuse a change of the Deployments' selectors"
fi
sed 's/name: spotcheck-archives$/name: spotcheck-dossiers/' "$OUT/${upgraded[0]}.yaml" >"$OUT/renamed-object.yaml"
if "$UV" run python infra/helm/upgrade_check.py --changelog "$changelog" --version "$version" \
  "$OUT/previous-${upgraded[0]}.yaml" "$OUT/renamed-object.yaml" >"$OUT/upgrade-renamed.log" 2>&1 \
  || ! grep -q "Deployment/spotcheck-archives of the previous release is removed or renamed" "$OUT/upgrade-renamed.log"; then
  cat "$OUT/upgrade-renamed.log" >&2
  fail "upgrade_check.py did not refuse an unacknowledged renamed object"
fi
step upgrade "ok: $prev_version ($prev_rev) -> $version rendered and checked for ${upgraded[*]}; a selector change and an unacknowledged rename are refused; $(sed 's/^ok *//' "$OUT/upgrade-${upgraded[0]}.log")"
# ---------------------------------------------------------------------------------- 11. operators
# The regional Kafka (Strimzi) and each district's PostgreSQL (CloudNativePG) as code: generated
# files equal their generators' output, every object valid against its operator's CRD schema.
"$ROOT/infra/kafka/check-manifests.sh" >"$OUT/strimzi.log" 2>&1 \
  || { cat "$OUT/strimzi.log" >&2; fail "Strimzi manifests (infra/kafka/check-manifests.sh)"; }
"$ROOT/infra/postgres/check-manifests.sh" >"$OUT/cnpg.log" 2>&1 \
  || { cat "$OUT/cnpg.log" >&2; fail "CloudNativePG manifests (infra/postgres/check-manifests.sh)"; }
step operators "ok: Strimzi ($(tail -1 "$OUT/strimzi.log")); CloudNativePG ($(tail -1 "$OUT/cnpg.log"))"

# ----------------------------------------------------------------------------------- 12. promtool
# promtool: `check rules` and the unit tests of every alert (rules_test.yaml). Built once with go
# (about 5 minutes on 2 cores); SPOTCHECK_SKIP_PROMTOOL=1 skips it, a failed build only warns.
if [[ "${SPOTCHECK_SKIP_PROMTOOL:-}" == 1 ]]; then
  step promtool "skipped (SPOTCHECK_SKIP_PROMTOOL=1); rules checked by infra/regional/check.py only"
else
  "$GO_TOOL" promtool "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" >/dev/null \
    || echo "WARN     promtool $PROMTOOL_VERSION could not be built; on PATH: $(command -v promtool || echo 'none, rules checked by infra/regional/check.py only')" >&2
  if command -v promtool >/dev/null; then
    (
      cd infra/regional/prometheus
      promtool check rules rules.yaml slo-rules.yaml >"$OUT/promtool.log" 2>&1 \
        && promtool check config scrape-config.yaml >>"$OUT/promtool.log" 2>&1 \
        && promtool test rules rules_test.yaml slo_page_test.yaml slo_ticket_test.yaml >>"$OUT/promtool.log" 2>&1
    ) || { cat "$OUT/promtool.log" >&2; fail "promtool check rules / test rules"; }
    # The chart's PrometheusRule as each district gets it: narrowed to the district, still valid.
    for d in "${districts[@]}"; do
      helm template spotcheck "$CHART" --namespace "spotcheck-$d" --kube-version "$KUBE_VERSION" \
        -f "$VALUES_DIR/$d.yaml" --set monitoring.prometheusRule.enabled=true \
        -s templates/prometheusrule.yaml >"$OUT/rule-$d.yaml" 2>"$OUT/rule-$d.err" \
        || { cat "$OUT/rule-$d.err" >&2; fail "the PrometheusRule of $d does not render"; }
      "$UV" run python infra/regional/prometheus/narrowed.py "$d" "$OUT/rule-$d.yaml" "$OUT/groups-$d.yaml" \
        >"$OUT/narrowed-$d.log" 2>&1 || { cat "$OUT/narrowed-$d.log" >&2; fail "the PrometheusRule of $d is not narrowed to it"; }
      promtool check rules "$OUT/groups-$d.yaml" >>"$OUT/promtool.log" 2>&1 \
        || { cat "$OUT/promtool.log" >&2; fail "promtool check rules: the PrometheusRule of $d"; }
    done
    # The narrowing check itself: a rule that watches every district must fail it.
    d="${districts[0]}"
    sed "0,/, district=\"$d\"/s///" "$OUT/rule-$d.yaml" >"$OUT/rule-broken.yaml"
    if "$UV" run python infra/regional/prometheus/narrowed.py "$d" "$OUT/rule-broken.yaml" "$OUT/groups-broken.yaml" \
      >"$OUT/narrowed-broken.log" 2>&1 || ! grep -q "without the district" "$OUT/narrowed-broken.log"; then
      cat "$OUT/narrowed-broken.log" >&2
      fail "narrowed.py accepted a rule that is not narrowed to $d"
    fi
    step promtool "ok: promtool check rules ($(grep -o '[0-9]* rules found' "$OUT/promtool.log" | head -2 | paste -sd+)) and test rules (every alert fires when it should, each burn-rate pair fires and stops); the PrometheusRule of ${#districts[@]} districts narrowed and valid ($(tail -1 "$OUT/narrowed-${districts[0]}.log"))"
  fi
fi

# ------------------------------------------------------------------------------------- 13. amtool
# The example Alertmanager configuration: valid, and each alert routed where the bureaus expect.
# Built once with go (a few minutes); without go the step is skipped with a message.
AM=infra/regional/alertmanager/alertmanager.yaml
if command -v go >/dev/null; then
  "$GO_TOOL" amtool "github.com/prometheus/alertmanager/cmd/amtool@$AMTOOL_VERSION" >/dev/null \
    || fail "amtool $AMTOOL_VERSION could not be built"
fi
if ! command -v amtool >/dev/null; then
  step amtool "skipped: no amtool and no go to build it; $AM checked by infra/regional/check.py only"
else
  amtool check-config "$AM" >"$OUT/amtool.log" 2>&1 || { cat "$OUT/amtool.log" >&2; fail "amtool check-config $AM"; }
  routed=0
  route_is() { # expected-receivers label=value...
    local want="$1"
    shift
    amtool config routes test --config.file="$AM" --verify.receivers="$want" "$@" >>"$OUT/amtool.log" 2>&1 \
      || { cat "$OUT/amtool.log" >&2; fail "Alertmanager routes $* to $(amtool config routes test --config.file="$AM" "$@"), not $want"; }
    routed=$((routed + 1))
  }
  for d in "${districts[0]}" "${districts[1]}"; do
    route_is "$d-page" alertname=SpotcheckTargetDown severity=page district="$d" component=draws
    route_is "$d-ticket" alertname=SpotcheckLegalDeadlineDueSoon severity=ticket district="$d"
  done
  route_is regional-page alertname=SpotcheckKafkaOfflinePartitions severity=page namespace=spotcheck-regional
  route_is regional-ticket alertname=SpotcheckKafkaUnderReplicated severity=ticket namespace=spotcheck-regional
  route_is regional-page alertname=SpotcheckTargetDown severity=page district=nosuch
  route_is "regional-page,${districts[0]}-page" alertname=SpotcheckDistrictVanished severity=page district="${districts[0]}"
  # The assertion itself: a district's page routed to its ticket receiver must fail.
  if amtool config routes test --config.file="$AM" --verify.receivers="${districts[0]}-ticket" \
    severity=page district="${districts[0]}" >/dev/null 2>&1; then
    fail "amtool config routes test accepted a wrong receiver"
  fi
  step amtool "ok: $AM valid; $routed alerts routed as expected (${districts[0]} and ${districts[1]}: page and ticket to their own receivers; Kafka, unknown district to the region's; a vanished district to both)"
fi

echo "helm-check: all steps passed"
