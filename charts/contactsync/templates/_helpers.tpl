{{/* Name of the chart, overridable. */}}
{{- define "contactsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects; the release name alone when it already says contactsync. */}}
{{- define "contactsync.fullname" -}}
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

{{/* Cluster-scoped objects carry the namespace too: releases of the same name in two
     tenant namespaces must not collide. */}}
{{- define "contactsync.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "contactsync.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "contactsync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "contactsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: contactsync
{{- end }}

{{- define "contactsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "contactsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "contactsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "contactsync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "contactsync.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Namespaces the operator watches in Namespaced mode, as a list. */}}
{{- define "contactsync.watchNamespaces" -}}
{{- if .Values.scope.namespaces }}
{{- toJson (uniq .Values.scope.namespaces) }}
{{- else }}
{{- toJson (list .Release.Namespace) }}
{{- end }}
{{- end }}

{{/* The manager's rules on its own kinds, Secrets and Events: bound per namespace in
     Namespaced mode, cluster-wide in Cluster mode. */}}
{{- define "contactsync.managerRules" -}}
- apiGroups: ["contactsync.io"]
  resources: ["sourceconnections", "listtargets", "contactsyncs"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["contactsync.io"]
  resources: ["sourceconnections/status", "listtargets/status", "contactsyncs/status"]
  verbs: ["get", "update", "patch"]
# The oauth-state Secrets carry an owner reference to their connection with
# blockOwnerDeletion, which OwnerReferencesPermissionEnforcement checks against finalizers.
- apiGroups: ["contactsync.io"]
  resources: ["sourceconnections/finalizers", "listtargets/finalizers"]
  verbs: ["update"]
# Credentials are read from the users' Secrets (metadata watched, data read on demand).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
# Writes are for the operator's own <connection>-oauth-state Secrets only. RBAC cannot
# restrict create by name, nor name objects that do not exist yet, so these verbs cover
# the namespace; rbac.oauthStateGuard narrows them to *-oauth-state at admission.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
