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
Checks that the JSON schema cannot express: fail early with a message a bureau operator can act on.
*/}}
{{- define "spotcheck.validate" -}}
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
