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

{{/* <fullname>-<suffix> (dict "root" $ "suffix" …), within 63 characters: the fullname is cut, never the suffix. */}}
{{- define "echosciences.suffixed" -}}
{{- $full := include "echosciences.fullname" .root }}
{{- printf "%s-%s" ($full | trunc (int (sub 62 (len .suffix))) | trimSuffix "-") .suffix }}
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

{{/* The ServiceAccount of the web and worker pods. */}}
{{- define "echosciences.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "echosciences.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The ServiceAccount of the migrate Job. A pre-install hook runs before the release's other
objects exist, so a ServiceAccount the chart creates is not there yet on a first install: the
chart then creates one more, itself a hook (serviceaccount.yaml).
*/}}
{{- define "echosciences.migrateServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "echosciences.suffixed" (dict "root" . "suffix" "migrate") }}
{{- else }}
{{- include "echosciences.serviceAccountName" . }}
{{- end }}
{{- end }}

{{/*
The web pods' terminationGracePeriodSeconds: the application's own shutdown delay and grace,
30 s more for the jobs under way when the worker runs inside `serve`, and a 10 s margin. A
smaller explicit value is refused.
*/}}
{{- define "echosciences.webGracePeriod" -}}
{{- $min := add .Values.http.shutdownDelaySecs .Values.http.shutdownGraceSecs 10 (ternary 0 30 .Values.worker.enabled) }}
{{- $set := int .Values.web.terminationGracePeriodSeconds }}
{{- if eq $set 0 }}
{{- $min }}
{{- else if lt $set (int $min) }}
{{- fail (printf "web.terminationGracePeriodSeconds (%d) must be at least %d: http.shutdownDelaySecs + http.shutdownGraceSecs + 10%s; or 0 to compute it" $set (int $min) (ternary "" " + 30 (the worker runs inside serve)" .Values.worker.enabled)) }}
{{- else }}
{{- $set }}
{{- end }}
{{- end }}

{{/*
The keys of the Secret the chart creates from inline values: key -> value. Empty when every
credential comes from an existingSecret (or is not used). The checks that a group is complete
live here, so that they apply whatever renders first.
*/}}
{{- define "echosciences.secretData" -}}
{{- $v := .Values }}
{{- $data := dict }}
{{- if $v.database.url }}
{{- $_ := set $data "database-url" $v.database.url }}
{{- end }}
{{- if and (eq $v.mail.transport "smtp") $v.mail.smtp.url }}
{{- $_ := set $data "smtp-url" $v.mail.smtp.url }}
{{- end }}
{{- if eq $v.media.store "s3" }}
{{- $s3 := $v.media.s3 }}
{{- if or $s3.accessKeyId $s3.secretAccessKey }}
{{- $_ := set $data "s3-access-key-id" (required "media.s3.accessKeyId: set both S3 keys, or neither (the AWS default credential chain)" $s3.accessKeyId) }}
{{- $_ := set $data "s3-secret-access-key" (required "media.s3.secretAccessKey: set both S3 keys, or neither (the AWS default credential chain)" $s3.secretAccessKey) }}
{{- end }}
{{- end }}
{{- $stripe := $v.billing.stripe }}
{{- if or $stripe.secretKey $stripe.webhookSecret }}
{{- $_ := set $data "stripe-secret-key" (required "billing.stripe.secretKey: set both Stripe keys, or neither" $stripe.secretKey) }}
{{- $_ := set $data "stripe-webhook-secret" (required "billing.stripe.webhookSecret: set both Stripe keys, or neither" $stripe.webhookSecret) }}
{{- end }}
{{- with $v.telemetry.otlpHeaders }}
{{- $pairs := list }}
{{- range $k, $val := . }}
{{- $pairs = append $pairs (printf "%s=%s" (toJson $k) (toJson (toString $val))) }}
{{- end }}
{{- $_ := set $data "otlp-headers" (printf "{%s}" (join ", " $pairs)) }}
{{- end }}
{{- if $data }}
{{- toYaml $data }}
{{- end }}
{{- end }}

{{/* One variable read from a Secret. */}}
{{- define "echosciences.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}

{{/*
The application's settings, the same for the web pods, the worker pods and the migrate Job
(dict "root" $ "secret" <the chart's Secret for this pod>). Every ECHOS_ variable names a real
setting: the application refuses unknown ones (and the pods set enableServiceLinks: false so that
Kubernetes adds none of its own). Credentials come from Secrets only: inline values from the
chart's Secret, otherwise from the group's existingSecret.
*/}}
{{- define "echosciences.env" -}}
{{- $root := .root }}
{{- $secret := .secret }}
{{- $v := $root.Values }}
{{- if $v.database.url }}
{{- include "echosciences.secretEnv" (dict "name" "DATABASE_URL" "secret" $secret "key" "database-url") }}
{{- else }}
{{- include "echosciences.secretEnv" (dict "name" "DATABASE_URL" "secret" (required "database.existingSecret (or database.url): name the Secret that holds the database URL" $v.database.existingSecret) "key" $v.database.existingSecretKeys.url) }}
{{- end }}
- name: ECHOS_PLATFORM__DOMAIN
  value: {{ required "platform.domain is required" $v.platform.domain | quote }}
- name: ECHOS_PLATFORM__PUBLIC_SCHEME
  value: {{ $v.platform.publicScheme | quote }}
- name: ECHOS_DATABASE__SUBPOOLS
  value: {{ $v.database.subpools | quote }}
- name: ECHOS_DATABASE__POOL_SIZE
  value: {{ $v.database.poolSize | quote }}
- name: ECHOS_DATABASE__PLATFORM_POOL_SIZE
  value: {{ $v.database.platformPoolSize | quote }}
{{- range $v.database.clusters }}
{{ include "echosciences.secretEnv" (dict "name" (printf "ECHOS_DATABASE__CLUSTERS__%s__URL" (upper .name)) "secret" .existingSecret "key" .existingSecretKey) }}
{{- end }}
{{- with $v.http.trustedProxies }}
- name: ECHOS_HTTP__TRUSTED_PROXIES
  value: {{ toJson . | quote }}
{{- end }}
- name: ECHOS_HTTP__REQUEST_TIMEOUT_SECS
  value: {{ $v.http.requestTimeoutSecs | quote }}
- name: ECHOS_HTTP__SHUTDOWN_DELAY_SECS
  value: {{ $v.http.shutdownDelaySecs | quote }}
- name: ECHOS_HTTP__SHUTDOWN_GRACE_SECS
  value: {{ $v.http.shutdownGraceSecs | quote }}
- name: ECHOS_TENANCY__SPARES
  value: {{ $v.tenancy.spares | quote }}
{{- /* Jobs run in the worker Deployment, or else inside serve. */}}
- name: ECHOS_ACCOUNTS__WORKER_IN_SERVE
  value: {{ not $v.worker.enabled | quote }}
- name: ECHOS_ACCOUNTS__WORKER_STOP_GRACE_SECS
  value: {{ $v.worker.stopGraceSecs | quote }}
{{- with $v.telemetry.otlpEndpoint }}
- name: ECHOS_TELEMETRY__OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- if $v.telemetry.otlpHeaders }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_TELEMETRY__OTLP_HEADERS" "secret" $secret "key" "otlp-headers") | nindent 0 }}
{{- else if $v.telemetry.existingSecret }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_TELEMETRY__OTLP_HEADERS" "secret" $v.telemetry.existingSecret "key" $v.telemetry.existingSecretKeys.otlpHeaders) | nindent 0 }}
{{- end }}
- name: ECHOS_TELEMETRY__LOG
  value: {{ $v.telemetry.log | quote }}
- name: ECHOS_TELEMETRY__LOG_FORMAT
  value: {{ $v.telemetry.logFormat | quote }}
{{- if $v.metrics.enabled }}
- name: ECHOS_TELEMETRY__METRICS_BIND
  value: "0.0.0.0:9090"
{{- end }}
- name: ECHOS_MAIL__TRANSPORT
  value: {{ $v.mail.transport | quote }}
{{- if eq $v.mail.transport "smtp" }}
- name: ECHOS_MAIL__FROM
  value: {{ required "mail.from is required with mail.transport smtp" $v.mail.from | quote }}
{{- if $v.mail.smtp.url }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_MAIL__SMTP_URL" "secret" $secret "key" "smtp-url") | nindent 0 }}
{{- else }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_MAIL__SMTP_URL" "secret" (required "mail.smtp.existingSecret (or mail.smtp.url) is required with mail.transport smtp" $v.mail.smtp.existingSecret) "key" $v.mail.smtp.existingSecretKeys.url) | nindent 0 }}
{{- end }}
{{- else if $v.mail.from }}
- name: ECHOS_MAIL__FROM
  value: {{ $v.mail.from | quote }}
{{- end }}
- name: ECHOS_MEDIA__STORE
  value: {{ $v.media.store | quote }}
{{- if eq $v.media.store "s3" }}
{{- $s3 := $v.media.s3 }}
- name: ECHOS_MEDIA__S3_BUCKET
  value: {{ required "media.s3.bucket is required with media.store s3" $s3.bucket | quote }}
- name: ECHOS_MEDIA__S3_REGION
  value: {{ $s3.region | quote }}
{{- with $s3.endpoint }}
- name: ECHOS_MEDIA__S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: ECHOS_MEDIA__S3_PATH_STYLE
  value: {{ $s3.pathStyle | quote }}
{{- if or $s3.accessKeyId $s3.secretAccessKey }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_MEDIA__S3_ACCESS_KEY_ID" "secret" $secret "key" "s3-access-key-id") | nindent 0 }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_MEDIA__S3_SECRET_ACCESS_KEY" "secret" $secret "key" "s3-secret-access-key") | nindent 0 }}
{{- else if $s3.existingSecret }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_MEDIA__S3_ACCESS_KEY_ID" "secret" $s3.existingSecret "key" $s3.existingSecretKeys.accessKeyId) | nindent 0 }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_MEDIA__S3_SECRET_ACCESS_KEY" "secret" $s3.existingSecret "key" $s3.existingSecretKeys.secretAccessKey) | nindent 0 }}
{{- end }}
{{- end }}
{{- $stripe := $v.billing.stripe }}
{{- if or $stripe.secretKey $stripe.webhookSecret }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_BILLING__STRIPE_SECRET_KEY" "secret" $secret "key" "stripe-secret-key") | nindent 0 }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_BILLING__STRIPE_WEBHOOK_SECRET" "secret" $secret "key" "stripe-webhook-secret") | nindent 0 }}
{{- else if $stripe.existingSecret }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_BILLING__STRIPE_SECRET_KEY" "secret" $stripe.existingSecret "key" $stripe.existingSecretKeys.secretKey) | nindent 0 }}
{{- include "echosciences.secretEnv" (dict "name" "ECHOS_BILLING__STRIPE_WEBHOOK_SECRET" "secret" $stripe.existingSecret "key" $stripe.existingSecretKeys.webhookSecret) | nindent 0 }}
{{- end }}
- name: NO_COLOR
  value: "1"
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The spread of one component's pods over zones and nodes. */}}
{{- define "echosciences.topologySpread" -}}
{{- $root := .root }}
{{- with $root.Values.topologySpread }}
{{- if .enabled }}
topologySpreadConstraints:
  {{- range .topologyKeys }}
  - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $root.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "echosciences.selectorLabels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ $.component }}
  {{- end }}
{{- end }}
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

{{/* Where every pod may run (web, worker, migrate). */}}
{{- define "echosciences.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The pod annotations of the web and worker pods: the values', and a checksum of the chart's
Secret so that a changed credential rolls the pods (variables are read at start only). */}}
{{- define "echosciences.podAnnotations" -}}
{{- $ann := deepCopy .Values.podAnnotations }}
{{- with include "echosciences.secretData" . }}
{{- $_ := set $ann "checksum/secret" (sha256sum .) }}
{{- end }}
{{- with $ann }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The volumes of the web and worker pods: /data, the image's only writable place (the local
media store and the mail outbox, when S3 and SMTP are not used), and extraVolumes. */}}
{{- define "echosciences.volumes" -}}
volumes:
  - name: data
    emptyDir: {}
  {{- with .Values.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{- define "echosciences.volumeMounts" -}}
volumeMounts:
  - name: data
    mountPath: /data
  {{- with .Values.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
