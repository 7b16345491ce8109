{{/*
Names. The StatefulSet is named after the release, so pods are <release>-0, <release>-1, ... and
each pod's name is its node id.
*/}}
{{- define "sluice.name" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.headless" -}}
{{- include "sluice.name" . -}}-headless
{{- end -}}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: sluice
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sluice.labels" -}}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/*
The node count: 3 or 5, and unchanged on an installed release. Every node's data directory records
the membership it was first started with and the node refuses another one, so an upgrade that
changed the peers list would stop every pod. Checked on upgrades only, where `lookup` can see the
running StatefulSet.
*/}}
{{- define "sluice.replicas" -}}
{{- $replicas := int .Values.replicas -}}
{{- if not (has $replicas (list 3 5)) -}}
{{- fail (printf "replicas must be 3 or 5 (a Raft group of 3 survives 1 failed node, of 5 survives 2), got %v" .Values.replicas) -}}
{{- end -}}
{{- if .Release.IsUpgrade -}}
{{- $existing := lookup "apps/v1" "StatefulSet" .Release.Namespace (include "sluice.name" .) -}}
{{- if and $existing (ne (int $existing.spec.replicas) $replicas) -}}
{{- fail (printf "replicas is %d but release %s runs %d nodes; membership changes go through `sluice cluster add-node`, not the chart" $replicas .Release.Name (int $existing.spec.replicas)) -}}
{{- end -}}
{{- end -}}
{{- $replicas -}}
{{- end -}}

{{/*
The DNS name of node $i without the port. $(POD_NAMESPACE) is expanded by Kubernetes in the
container's args, so the manifests do not depend on the namespace they are applied to.
*/}}
{{- define "sluice.podHost" -}}
{{- $root := index . 0 -}}
{{- printf "%s.%s.$(POD_NAMESPACE).svc.%s" (index . 1) (include "sluice.headless" $root) $root.Values.clusterDomain -}}
{{- end -}}

{{/* --peers: every node, <pod name>=<pod DNS name>:<raft port>. */}}
{{- define "sluice.peers" -}}
{{- $root := . -}}
{{- $peers := list -}}
{{- range $i := until (int (include "sluice.replicas" $root)) -}}
{{- $pod := printf "%s-%d" (include "sluice.name" $root) $i -}}
{{- $peers = append $peers (printf "%s=%s:%d" $pod (include "sluice.podHost" (list $root $pod)) (int $root.Values.ports.raft)) -}}
{{- end -}}
{{- join "," $peers -}}
{{- end -}}
