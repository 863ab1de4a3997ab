{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "quarry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: `<release>-<chart>` unless the release name already contains the chart name.
Component suffixes (`-control-plane`, `-runtime`) are at most 14 characters, so this stops at 49.
*/}}
{{- define "quarry.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 49 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 49 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 49 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "quarry.controlPlane.fullname" -}}
{{- printf "%s-control-plane" (include "quarry.fullname" .) }}
{{- end }}

{{- define "quarry.runtime.fullname" -}}
{{- printf "%s-runtime" (include "quarry.fullname" .) }}
{{- end }}

{{- define "quarry.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "quarry.labels" -}}
helm.sh/chart: {{ include "quarry.chart" . }}
app.kubernetes.io/name: {{ include "quarry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: quarry
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "quarry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "quarry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "quarry.controlPlane.selectorLabels" -}}
{{ include "quarry.selectorLabels" . }}
app.kubernetes.io/component: control-plane
{{- end }}

{{- define "quarry.runtime.selectorLabels" -}}
{{ include "quarry.selectorLabels" . }}
app.kubernetes.io/component: runtime
{{- end }}

{{- define "quarry.controlPlane.labels" -}}
{{ include "quarry.labels" . }}
app.kubernetes.io/component: control-plane
{{- end }}

{{- define "quarry.runtime.labels" -}}
{{ include "quarry.labels" . }}
app.kubernetes.io/component: runtime
{{- end }}

{{- define "quarry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "quarry.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: `repository:tag`, the tag defaulting to the chart's appVersion.
*/}}
{{- define "quarry.image" -}}
{{- $repo := ternary .repository (printf "%s/%s" (trimSuffix "/" (default "" .registry)) .repository) (empty .registry) }}
{{- if .digest }}
{{- printf "%s@%s" $repo .digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .appVersion .tag | toString) }}
{{- end }}
{{- end }}

{{/*
Pod affinity: the values' own, else a soft anti-affinity that spreads the component's pods over nodes
(so one node going away never takes every replica). Takes (dict "affinity" VALUE "labels" SELECTOR-LABELS).
*/}}
{{- define "quarry.affinity" -}}
{{- if .affinity }}
{{- toYaml .affinity }}
{{- else }}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- .labels | nindent 12 }}
{{- end }}
{{- end }}

{{/*
QUARRY_RUNTIME_PUBLIC_URL: where AI clients reach the runtimes, before `/mcp` — the first Ingress host
when the Ingress routes `mcpPath` to them, else the runtime Service's in-cluster URL.
*/}}
{{- define "quarry.runtimePublicUrl" -}}
{{- if not .Values.runtime.enabled }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts .Values.ingress.mcpPath }}
{{- $host := first .Values.ingress.hosts }}
{{- $tls := false }}
{{- range .Values.ingress.tls }}
{{- if has $host (default (list) .hosts) }}{{ $tls = true }}{{ end }}
{{- end }}
{{- printf "%s://%s%s" (ternary "https" "http" $tls) $host (trimSuffix "/mcp" .Values.ingress.mcpPath) }}
{{- else }}
{{- printf "http://%s.%s.svc:%d" (include "quarry.runtime.fullname" .) .Release.Namespace (int .Values.runtime.service.port) }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding the keys and tokens (the chart's own or `secrets.existingSecret`).
*/}}
{{- define "quarry.secretName" -}}
{{- default (include "quarry.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/*
Secret and key holding QUARRY_DATABASE_URL.
*/}}
{{- define "quarry.databaseSecretName" -}}
{{- if .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecret }}
{{- else }}
{{- include "quarry.fullname" . }}
{{- end }}
{{- end }}

{{- define "quarry.databaseSecretKey" -}}
{{- if .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecretKey }}
{{- else -}}
database-url
{{- end }}
{{- end }}

{{/*
Whether the chart must create its own Secret: for the keys (no existingSecret) or for an inline database URL.
*/}}
{{- define "quarry.createSecret" -}}
{{- if or (not .Values.secrets.existingSecret) (and .Values.externalDatabase.enabled (not .Values.externalDatabase.existingSecret)) -}}
true
{{- end }}
{{- end }}

{{/*
URL the runtime pulls releases from.
*/}}
{{- define "quarry.controlPlaneUrl" -}}
{{- if .Values.runtime.controlPlaneUrl }}
{{- .Values.runtime.controlPlaneUrl }}
{{- else }}
{{- printf "http://%s.%s.svc:%d" (include "quarry.controlPlane.fullname" .) .Release.Namespace (int .Values.controlPlane.service.port) }}
{{- end }}
{{- end }}

{{/*
QUARRY_RUNTIME_ALLOWED_HOSTS: loopback (port-forward), the runtime Service's DNS names, the Ingress hosts
and runtime.allowedHosts. A name without a port matches any port.
*/}}
{{- define "quarry.runtime.allowedHosts" -}}
{{- if has "*" .Values.runtime.allowedHosts }}
{{- "*" }}
{{- else }}
{{- $svc := include "quarry.runtime.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $hosts := list "localhost" "127.0.0.1" "::1" $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- if .Values.ingress.enabled }}
{{- $hosts = concat $hosts .Values.ingress.hosts }}
{{- end }}
{{- $hosts = concat $hosts .Values.runtime.allowedHosts }}
{{- join "," (uniq $hosts) }}
{{- end }}
{{- end }}

{{/*
QUARRY_ALLOWED_HOSTS: loopback, the control plane Service's DNS names (runtimes pull through them), the Ingress
hosts, the public URL's host and controlPlane.allowedHosts. A name without a port matches any port.
*/}}
{{- define "quarry.controlPlane.allowedHosts" -}}
{{- if has "*" .Values.controlPlane.allowedHosts }}
{{- "*" }}
{{- else }}
{{- $svc := include "quarry.controlPlane.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $hosts := list "localhost" $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- if .Values.ingress.enabled }}
{{- $hosts = concat $hosts .Values.ingress.hosts }}
{{- end }}
{{- $public := urlParse (include "quarry.publicUrl" .) }}
{{- if $public.host }}
{{- $hosts = append $hosts $public.host }}
{{- end }}
{{- $hosts = concat $hosts .Values.controlPlane.allowedHosts }}
{{- join "," (uniq $hosts) }}
{{- end }}
{{- end }}

{{/*
QUARRY_PUBLIC_URL: explicit, else the first Ingress host, else the in-cluster control plane URL.
*/}}
{{- define "quarry.publicUrl" -}}
{{- if .Values.controlPlane.publicUrl }}
{{- .Values.controlPlane.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := first .Values.ingress.hosts }}
{{- $tls := false }}
{{- range .Values.ingress.tls }}
{{- if has $host (default (list) .hosts) }}{{ $tls = true }}{{ end }}
{{- end }}
{{- printf "%s://%s" (ternary "https" "http" $tls) $host }}
{{- else }}
{{- include "quarry.controlPlaneUrl" . }}
{{- end }}
{{- end }}

{{/*
A secret value: the one given, else the one already stored in the release's Secret (so upgrades keep it),
else a freshly generated one. Call with (dict "ctx" $ "key" "jwt-secret" "value" .Values.secrets.jwtSecret "gen" "token"|"key32").
*/}}
{{- define "quarry.secretValue" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace (include "quarry.fullname" .ctx) }}
{{- if and $existing $existing.data (hasKey $existing.data .key) }}
{{- index $existing.data .key | b64dec }}
{{- else if eq .gen "key32" }}
{{- randBytes 32 }}
{{- else }}
{{- randAlphaNum 48 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Checks that stop a broken combination before it reaches the cluster.
*/}}
{{- define "quarry.validate" -}}
{{- if and (not .Values.externalDatabase.enabled) (gt (int .Values.controlPlane.replicaCount) 1) }}
{{- fail "controlPlane.replicaCount > 1 needs externalDatabase.enabled: SQLite allows a single control plane" }}
{{- end }}
{{- $rt := .Values.runtime }}
{{- if and (eq (toString $rt.sessions) "on") (or (gt (int $rt.replicaCount) 1) $rt.autoscaling.enabled) (not $rt.sessionAffinity) }}
{{- fail "runtime.sessions: on with several runtime replicas needs runtime.sessionAffinity (ingressHash or external): a session lives in one pod; or keep sessions: off" }}
{{- end }}
{{- if and (eq $rt.sessionAffinity "ingressHash") (not .Values.ingress.enabled) }}
{{- fail "runtime.sessionAffinity: ingressHash needs ingress.enabled" }}
{{- end }}
{{- if and .Values.externalDatabase.enabled (not .Values.externalDatabase.url) (not .Values.externalDatabase.existingSecret) }}
{{- fail "externalDatabase.enabled needs externalDatabase.url or externalDatabase.existingSecret" }}
{{- end }}
{{- end }}

{{/* OTLP trace export for both Deployments; nothing when otel.endpoint is empty. */}}
{{- define "quarry.otelEnv" -}}
{{- with .Values.otel }}
{{- if .endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .endpoint | quote }}
{{- with .resourceAttributes }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ . | quote }}
{{- end }}
{{- if lt (float64 .samplerRatio) 1.0 }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .samplerRatio | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
