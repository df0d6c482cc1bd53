{{/*
The seven services (each owns its data: database schema, Kafka topics), in the order they are
rendered, and the components: the services and the web application (portal), which owns no data
and calls the services' HTTP APIs. Each runs the same image with --target=<name>.
*/}}
{{- define "spotcheck.serviceNames" -}}
{{- list "registry" "planning" "draws" "inspections" "publication" "objections" "archives" | toJson -}}
{{- end -}}

{{- define "spotcheck.componentNames" -}}
{{- append (include "spotcheck.serviceNames" . | fromJsonArray) "portal" | toJson -}}
{{- end -}}

{{/*
SPOTCHECK_PORTAL_SERVICES: "<service>=http://<its Service>:<port>,..." for every enabled service
of this release (in-cluster URLs; the portal calls them with the signed-in person's token).
*/}}
{{- define "spotcheck.portalServices" -}}
{{- $urls := list -}}
{{- range $name := include "spotcheck.serviceNames" . | fromJsonArray -}}
{{- if (index $.Values $name).enabled -}}
{{- $urls = append $urls (printf "%s=http://%s:%v" $name (include "spotcheck.componentFullname" (dict "root" $ "name" $name)) $.Values.service.port) -}}
{{- end -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{- define "spotcheck.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name: the release name when it already contains the chart name (e.g. "spotcheck"),
otherwise "<release>-<chart>". Truncated so "<fullname>-<component>" stays within 63 characters.
*/}}
{{- define "spotcheck.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "spotcheck.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "spotcheck.labels" -}}
helm.sh/chart: {{ include "spotcheck.chart" . }}
{{ include "spotcheck.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spotcheck
spotcheck.io/district: {{ .Values.district | quote }}
{{- end -}}

{{- define "spotcheck.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spotcheck.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Component helpers take (dict "root" $ "name" "<component>"). */}}
{{- define "spotcheck.componentFullname" -}}
{{- printf "%s-%s" (include "spotcheck.fullname" .root) .name -}}
{{- end -}}

{{- define "spotcheck.componentLabels" -}}
{{ include "spotcheck.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "spotcheck.componentSelectorLabels" -}}
{{ include "spotcheck.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "spotcheck.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "spotcheck.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "spotcheck.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{/*
Names the services and the other charts agree on, in one place: the environment the services
read, the Secrets a district's release references (each defaults from the district and carries
it), and where the CA files are mounted. A component helper takes (dict "root" $ "name" ...).
*/}}
{{- define "spotcheck.env" -}}
{{- dict
  "databaseUrl" "SPOTCHECK_DATABASE_URL"
  "databaseOwnerUrl" "SPOTCHECK_DATABASE_OWNER_URL"
  "dbUser" "PGUSER"
  "dbPassword" "PGPASSWORD"
  "dbOwnerUser" "SPOTCHECK_DB_OWNER_USER"
  "dbOwnerPassword" "SPOTCHECK_DB_OWNER_PASSWORD"
  "kafkaSecurityProtocol" "SPOTCHECK_KAFKA_SECURITY_PROTOCOL"
  "kafkaSaslMechanism" "SPOTCHECK_KAFKA_SASL_MECHANISM"
  "kafkaUsername" "SPOTCHECK_KAFKA_SASL_USERNAME"
  "kafkaPassword" "SPOTCHECK_KAFKA_SASL_PASSWORD"
  "kafkaCaFile" "SPOTCHECK_KAFKA_SSL_CAFILE"
  | toJson -}}
{{- end -}}

{{- define "spotcheck.mounts" -}}
{{- dict "pgCa" "/etc/spotcheck/pg-ca" "kafkaCa" "/etc/spotcheck/kafka-ca" | toJson -}}
{{- end -}}

{{/* "spotcheck-<district>-<suffix>", or the override when one is given. */}}
{{- define "spotcheck.districtSecret" -}}
{{- default (printf "spotcheck-%s-%s" .root.Values.district .suffix) .override -}}
{{- end -}}

{{- define "spotcheck.dbSecret" -}}
{{- include "spotcheck.districtSecret" (dict "root" .root "suffix" (printf "db-%s" .name) "override" (get .root.Values.database.secretNames .name)) -}}
{{- end -}}

{{- define "spotcheck.dbOwnerSecret" -}}
{{- include "spotcheck.districtSecret" (dict "root" . "suffix" "db-owner" "override" .Values.database.owner.secretName) -}}
{{- end -}}

{{- define "spotcheck.dbCaSecret" -}}
{{- include "spotcheck.districtSecret" (dict "root" . "suffix" "pg-ca" "override" .Values.database.ca.secretName) -}}
{{- end -}}

{{- define "spotcheck.kafkaSecret" -}}
{{- include "spotcheck.districtSecret" (dict "root" . "suffix" "kafka" "override" .Values.kafka.password.secretName) -}}
{{- end -}}

{{- define "spotcheck.kafkaCaSecret" -}}
{{- include "spotcheck.districtSecret" (dict "root" . "suffix" "kafka-ca" "override" .Values.kafka.ca.secretName) -}}
{{- end -}}

{{- define "spotcheck.ssoSecret" -}}
{{- include "spotcheck.districtSecret" (dict "root" . "suffix" "portal-oidc" "override" .Values.sso.clientSecret.secretName) -}}
{{- end -}}

{{/* Whole-URL mode (another operator's PostgreSQL) instead of per-service roles. */}}
{{- define "spotcheck.dbUrlMode" -}}
{{- if .Values.database.urlSecret.secretName }}true{{ end -}}
{{- end -}}

{{- define "spotcheck.dbCaMounted" -}}
{{- if and (not (include "spotcheck.dbUrlMode" .)) (ne .Values.database.sslmode "require") }}true{{ end -}}
{{- end -}}

{{/* postgresql://$(user):$(password)@host:port/name?sslmode=...: expanded by the kubelet. */}}
{{- define "spotcheck.dbUrl" -}}
{{- $v := .root.Values.database -}}
{{- $host := default (printf "spotcheck-%s-pg-rw" .root.Values.district) $v.host -}}
{{- $url := printf "postgresql://$(%s):$(%s)@%s:%v/%s?sslmode=%s" .user .password $host $v.port $v.name $v.sslmode -}}
{{- if include "spotcheck.dbCaMounted" .root -}}
{{- $url = printf "%s&sslrootcert=%s/%s" $url (get (include "spotcheck.mounts" .root | fromJson) "pgCa") $v.ca.key -}}
{{- end -}}
{{- $url -}}
{{- end -}}

{{/* EnvVar from a Secret's key. Takes (dict "env" NAME "secret" NAME "key" KEY). */}}
{{- define "spotcheck.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/*
The database env of a service's container (.owner: the migrating init container, which also gets
the owner's URL). Credentials come before the URL that expands them.
*/}}
{{- define "spotcheck.databaseEnv" -}}
{{- $e := include "spotcheck.env" .root | fromJson -}}
{{- $v := .root.Values.database -}}
{{- if include "spotcheck.dbUrlMode" .root }}
{{ include "spotcheck.secretEnv" (dict "env" $e.databaseUrl "secret" $v.urlSecret.secretName "key" $v.urlSecret.key) }}
{{- if .owner }}
{{ include "spotcheck.secretEnv" (dict "env" $e.databaseOwnerUrl "secret" $v.urlSecret.secretName "key" $v.urlSecret.ownerKey) }}
{{- end }}
{{- else }}
{{- $secret := include "spotcheck.dbSecret" . }}
{{ include "spotcheck.secretEnv" (dict "env" $e.dbUser "secret" $secret "key" "username") }}
{{ include "spotcheck.secretEnv" (dict "env" $e.dbPassword "secret" $secret "key" "password") }}
- name: {{ $e.databaseUrl }}
  value: {{ include "spotcheck.dbUrl" (dict "root" .root "user" $e.dbUser "password" $e.dbPassword) | quote }}
{{- if .owner }}
{{- $owner := include "spotcheck.dbOwnerSecret" .root }}
{{ include "spotcheck.secretEnv" (dict "env" $e.dbOwnerUser "secret" $owner "key" "username") }}
{{ include "spotcheck.secretEnv" (dict "env" $e.dbOwnerPassword "secret" $owner "key" "password") }}
- name: {{ $e.databaseOwnerUrl }}
  value: {{ include "spotcheck.dbUrl" (dict "root" .root "user" $e.dbOwnerUser "password" $e.dbOwnerPassword) | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Whether a service migrates in an init container as the owner (always, with roles). */}}
{{- define "spotcheck.ownerMigrates" -}}
{{- if or (not (include "spotcheck.dbUrlMode" .)) .Values.database.urlSecret.ownerKey }}true{{ end -}}
{{- end -}}

{{/* The services' Kafka password (the rest of the Kafka settings are in the ConfigMap). */}}
{{- define "spotcheck.kafkaEnv" -}}
{{- $e := include "spotcheck.env" . | fromJson -}}
{{ include "spotcheck.secretEnv" (dict "env" $e.kafkaPassword "secret" (include "spotcheck.kafkaSecret" .) "key" .Values.kafka.password.key) }}
{{- end -}}

{{/* The CA volumes of a service's pod: only the certificate key of each Secret is projected. */}}
{{- define "spotcheck.caVolumes" -}}
- name: kafka-ca
  secret:
    secretName: {{ include "spotcheck.kafkaCaSecret" . }}
    items:
      - key: {{ .Values.kafka.ca.key }}
        path: {{ .Values.kafka.ca.key }}
{{- if include "spotcheck.dbCaMounted" . }}
- name: pg-ca
  secret:
    secretName: {{ include "spotcheck.dbCaSecret" . }}
    items:
      - key: {{ .Values.database.ca.key }}
        path: {{ .Values.database.ca.key }}
{{- end }}
{{- end -}}

{{- define "spotcheck.pgCaMount" -}}
- name: pg-ca
  mountPath: {{ get (include "spotcheck.mounts" . | fromJson) "pgCa" }}
  readOnly: true
{{- end -}}

{{- define "spotcheck.caMounts" -}}
- name: kafka-ca
  mountPath: {{ get (include "spotcheck.mounts" . | fromJson) "kafkaCa" }}
  readOnly: true
{{- if include "spotcheck.dbCaMounted" . }}
{{ include "spotcheck.pgCaMount" . }}
{{- end }}
{{- end -}}

{{/*
Egress to the OIDC provider (token verification, sign-in): its CIDRs on the ports of the issuer
and the JWKS URL (443 unless a URL names its port).
*/}}
{{- define "spotcheck.authEgress" -}}
{{- $ports := list -}}
{{- range $u := list .Values.auth.issuer .Values.auth.jwksUrl -}}
{{- $url := urlParse $u -}}
{{- if $url.host -}}
{{- $port := ternary "80" "443" (eq $url.scheme "http") -}}
{{- if contains ":" $url.host }}{{ $port = last (splitList ":" $url.host) }}{{ end -}}
{{- $ports = append $ports $port | uniq -}}
{{- end -}}
{{- end -}}
# auth: the OIDC provider ({{ (urlParse .Values.auth.jwksUrl).host }})
- to:
    {{- range .Values.auth.egressCidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    {{- range $ports }}
    - port: {{ . | int }}
      protocol: TCP
    {{- end }}
{{- end -}}

{{/* A name a district's release gives itself carries the district as one dash-separated word. */}}
{{- define "spotcheck.carriesDistrict" -}}
{{- if regexMatch (printf "(^|-)%s(-|$)" .root.Values.district) .name }}true{{ end -}}
{{- end -}}

{{/*
Checks that the JSON schema cannot express: fail early with a message a bureau operator can act on.
*/}}
{{- define "spotcheck.validate" -}}
{{- $ns := printf "spotcheck-%s" .Values.district -}}
{{- if ne .Release.Namespace $ns -}}
{{- fail (printf "the release of district %q must be installed in namespace %q, not %q (helm ... --namespace %s)" .Values.district $ns .Release.Namespace $ns) -}}
{{- end -}}
{{- include "spotcheck.validateSecretNames" . -}}
{{- if and .Values.networkPolicy.enabled (not .Values.auth.egressCidrs) -}}
{{- fail (printf "auth.egressCidrs is empty: the NetworkPolicy would block the OIDC provider (%s), and every token would be refused (401); give the CIDRs its host resolves to" (urlParse .Values.auth.jwksUrl).host) -}}
{{- end -}}
{{- if has .Values.district .Values.neighbours -}}
{{- fail (printf "neighbours must not contain the district itself (%s)" .Values.district) -}}
{{- end -}}
{{- $enabled := 0 -}}
{{- range $name := include "spotcheck.componentNames" . | fromJsonArray -}}
{{- $c := index $.Values $name -}}
{{- if $c.enabled -}}{{- $enabled = add1 $enabled -}}{{- end -}}
{{- $pdb := $c.podDisruptionBudget -}}
{{- if and $pdb.enabled (not (kindIs "invalid" $pdb.minAvailable)) (not (kindIs "invalid" $pdb.maxUnavailable)) -}}
{{- fail (printf "%s.podDisruptionBudget: set maxUnavailable or minAvailable, not both (set maxUnavailable: null to use minAvailable)" $name) -}}
{{- end -}}
{{- if and $c.autoscaling.enabled (gt (int $c.autoscaling.minReplicas) (int $c.autoscaling.maxReplicas)) -}}
{{- fail (printf "%s.autoscaling: minReplicas (%v) is greater than maxReplicas (%v)" $name $c.autoscaling.minReplicas $c.autoscaling.maxReplicas) -}}
{{- end -}}
{{- end -}}
{{- if eq $enabled 0 -}}
{{- fail "no component is enabled" -}}
{{- end -}}
{{- if .Values.portal.enabled -}}
{{- $missing := list -}}
{{- range $name := include "spotcheck.serviceNames" . | fromJsonArray -}}
{{- if not (index $.Values $name).enabled -}}{{- $missing = append $missing $name -}}{{- end -}}
{{- end -}}
{{- $gateway := false -}}
{{- range (concat .Values.extraEnv .Values.portal.extraEnv) -}}
{{- if eq .name "SPOTCHECK_PORTAL_API_URL" -}}{{- $gateway = true -}}{{- end -}}
{{- end -}}
{{- if and $missing (not $gateway) -}}
{{- fail (printf "portal.enabled needs every service: %s not enabled in this release (enable them, disable the portal, or give portal.extraEnv SPOTCHECK_PORTAL_API_URL, the gateway that answers them)" (join ", " $missing)) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.otel.enabled (not .Values.otel.endpoint) -}}
{{- fail "otel.enabled is true but otel.endpoint is empty" -}}
{{- end -}}
{{- end -}}

{{/* Every Secret name given in values carries the district, so two districts' never meet. */}}
{{- define "spotcheck.validateSecretNames" -}}
{{- $given := dict
  "database.owner.secretName" .Values.database.owner.secretName
  "database.ca.secretName" .Values.database.ca.secretName
  "database.urlSecret.secretName" .Values.database.urlSecret.secretName
  "kafka.password.secretName" .Values.kafka.password.secretName
  "kafka.ca.secretName" .Values.kafka.ca.secretName
  "sso.clientSecret.secretName" .Values.sso.clientSecret.secretName -}}
{{- range $service, $name := .Values.database.secretNames -}}
{{- $_ := set $given (printf "database.secretNames.%s" $service) $name -}}
{{- end -}}
{{- range $i, $tls := .Values.ingress.tls -}}
{{- $_ := set $given (printf "ingress.tls[%d].secretName" $i) $tls.secretName -}}
{{- end -}}
{{- range $key := keys $given | sortAlpha -}}
{{- $name := get $given $key -}}
{{- if and $name (not (include "spotcheck.carriesDistrict" (dict "root" $ "name" $name))) -}}
{{- fail (printf "%s %q must carry the district %q as a dash-separated word (e.g. spotcheck-%s-...), so that no two districts share a Secret name" $key $name $.Values.district $.Values.district) -}}
{{- end -}}
{{- end -}}
{{- end -}}
