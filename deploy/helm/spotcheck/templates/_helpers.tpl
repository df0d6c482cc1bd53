{{/*
The seven components, in the order they are rendered. Each runs the same image with --target=<name>.
*/}}
{{- define "spotcheck.componentNames" -}}
{{- list "registry" "planning" "draws" "inspections" "publication" "objections" "archives" | toJson -}}
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
{{- if and .Values.otel.enabled (not .Values.otel.endpoint) -}}
{{- fail "otel.enabled is true but otel.endpoint is empty" -}}
{{- end -}}
{{- end -}}
