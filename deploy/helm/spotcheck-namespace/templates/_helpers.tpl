{{- define "spotcheck-namespace.name" -}}
{{- printf "spotcheck-%s" (required "district is required" .Values.district) -}}
{{- end -}}

{{- define "spotcheck-namespace.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spotcheck
spotcheck.io/district: {{ .Values.district | quote }}
{{- end -}}
