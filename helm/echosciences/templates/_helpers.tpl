{{/* The chart's name, or nameOverride. */}}
{{- define "echosciences.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's resource name: <release>-<chart>, or the release name if it contains the chart name. */}}
{{- define "echosciences.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "echosciences.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "echosciences.selectorLabels" -}}
app.kubernetes.io/name: {{ include "echosciences.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "echosciences.labels" -}}
helm.sh/chart: {{ include "echosciences.chart" . }}
{{ include "echosciences.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "echosciences.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The application's settings, the same for the web pods and the migrate Job. Every ECHOS_ variable
must name a real setting: the application refuses unknown ones (and the pods set
enableServiceLinks: false so that Kubernetes adds none of its own).
*/}}
{{- define "echosciences.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret: name the Secret that holds the database URL" .Values.database.existingSecret }}
      key: {{ .Values.database.secretKey }}
- name: ECHOS_PLATFORM__DOMAIN
  value: {{ required "platform.domain is required" .Values.platform.domain | quote }}
- name: ECHOS_PLATFORM__PUBLIC_SCHEME
  value: {{ .Values.platform.publicScheme | quote }}
- name: ECHOS_DATABASE__SUBPOOLS
  value: {{ .Values.database.subpools | quote }}
- name: ECHOS_DATABASE__POOL_SIZE
  value: {{ .Values.database.poolSize | quote }}
- name: ECHOS_DATABASE__PLATFORM_POOL_SIZE
  value: {{ .Values.database.platformPoolSize | quote }}
{{- with .Values.http.trustedProxies }}
- name: ECHOS_HTTP__TRUSTED_PROXIES
  value: {{ toJson . | quote }}
{{- end }}
- name: ECHOS_HTTP__REQUEST_TIMEOUT_SECS
  value: {{ .Values.http.requestTimeoutSecs | quote }}
- name: ECHOS_TENANCY__SPARES
  value: {{ .Values.tenancy.spares | quote }}
{{- with .Values.telemetry.otlpEndpoint }}
- name: ECHOS_TELEMETRY__OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: ECHOS_TELEMETRY__LOG
  value: {{ .Values.telemetry.log | quote }}
- name: NO_COLOR
  value: "1"
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The HTTP routing of one ingress rule: everything to the web Service. */}}
{{- define "echosciences.ingressHttp" -}}
http:
  paths:
    - path: /
      pathType: Prefix
      backend:
        service:
          name: {{ include "echosciences.fullname" . }}
          port:
            name: http
{{- end }}
