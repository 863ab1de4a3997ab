#!/usr/bin/env python3
"""Writes helm/quarry/values.schema.json (JSON Schema draft-07).

The schema is kept as code so its shared pieces (images, probes, security contexts) stay consistent;
scripts/ci/60-helm.sh fails when the committed file differs from what this prints.
Chart-specific objects reject unknown keys (typos fail `helm lint`); Kubernetes pass-through objects
(resources, probes, affinity, ...) accept what Kubernetes accepts and are validated by kubernetes-validate.
"""
import json
import sys
from pathlib import Path


def obj(props, required=(), extra=False, desc=None):
    s = {"type": "object", "properties": props, "additionalProperties": extra}
    if required:
        s["required"] = list(required)
    if desc:
        s["description"] = desc
    return s


def string(desc, **kw):
    return {"type": "string", "description": desc, **kw}


def boolean(desc):
    return {"type": "boolean", "description": desc}


def integer(desc, minimum=None, **kw):
    s = {"type": "integer", "description": desc, **kw}
    if minimum is not None:
        s["minimum"] = minimum
    return s


def free_map(desc):
    return {"type": "object", "description": desc, "additionalProperties": True}


def str_map(desc):
    return {"type": "object", "description": desc, "additionalProperties": {"type": "string"}}


def free_list(desc):
    return {"type": "array", "description": desc, "items": {"type": "object"}}


INT_OR_PERCENT = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^([0-9]+%?)?$"}]}

image = obj({
    "registry": string("Registry host prefixed to the repository."),
    "repository": string("Image repository.", minLength=1),
    "tag": {"type": ["string", "number"], "description": "Image tag; the chart appVersion when empty."},
    "digest": string("Image digest; pins the image and wins over tag.", pattern="^([a-z0-9]+:[a-f0-9]{32,})?$"),
    "pullPolicy": string("Image pull policy.", enum=["Always", "IfNotPresent", "Never"]),
}, required=["repository"], desc="Container image.")

service = lambda port: obj({
    "type": string("Service type.", enum=["ClusterIP", "NodePort", "LoadBalancer"]),
    "port": integer(f"Service port (container port {port}).", 1, maximum=65535),
    "annotations": str_map("Service annotations."),
}, desc="Service.")


def probe(desc):
    return {
        "type": "object",
        "description": desc + " (a Kubernetes Probe; {} disables it).",
        "properties": {
            "httpGet": free_map("HTTP check."),
            "initialDelaySeconds": integer("Seconds before the first check.", 0),
            "periodSeconds": integer("Seconds between checks.", 1),
            "timeoutSeconds": integer("Seconds before a check times out.", 1),
            "failureThreshold": integer("Failures tolerated.", 1),
            "successThreshold": integer("Successes needed.", 1),
        },
        "additionalProperties": True,
    }


resources = {
    "type": "object",
    "description": "Resource requests and limits (a Kubernetes ResourceRequirements).",
    "properties": {"requests": free_map("Requests."), "limits": free_map("Limits.")},
    "additionalProperties": True,
}

pod_security_context = {
    "type": "object",
    "description": "Pod security context (a Kubernetes PodSecurityContext).",
    "properties": {
        "runAsNonRoot": boolean("Refuse to start as root."),
        "runAsUser": integer("UID.", 0),
        "runAsGroup": integer("GID.", 0),
        "fsGroup": integer("Volume group.", 0),
        "seccompProfile": free_map("Seccomp profile."),
    },
    "additionalProperties": True,
}

security_context = {
    "type": "object",
    "description": "Container security context (a Kubernetes SecurityContext).",
    "properties": {
        "allowPrivilegeEscalation": boolean("Allow privilege escalation."),
        "readOnlyRootFilesystem": boolean("Read-only root filesystem."),
        "runAsNonRoot": boolean("Refuse to start as root."),
        "capabilities": free_map("Linux capabilities."),
    },
    "additionalProperties": True,
}

scheduling = {
    "podAnnotations": str_map("Pod annotations."),
    "podLabels": str_map("Extra pod labels."),
    "nodeSelector": str_map("Node selector."),
    "tolerations": free_list("Tolerations."),
    "affinity": free_map("Affinity."),
    "topologySpreadConstraints": free_list("Topology spread constraints."),
    "priorityClassName": string("Priority class name."),
    "terminationGracePeriodSeconds": integer("Grace period for a clean shutdown.", 0),
}

common_container = {
    "extraArgs": {"type": "array", "items": {"type": "string"}, "description": "Extra arguments."},
    "extraEnv": free_list("Extra environment variables (EnvVar list)."),
    "envFrom": free_list("Extra envFrom sources."),
    "resources": resources,
    "podSecurityContext": pod_security_context,
    "securityContext": security_context,
    "livenessProbe": probe("Liveness probe"),
    "readinessProbe": probe("Readiness probe"),
    "startupProbe": probe("Startup probe"),
    "lifecycle": free_map("Container lifecycle hooks."),
    "initContainers": free_list("Init containers."),
    "extraContainers": free_list("Extra containers (sidecars)."),
    "extraVolumes": free_list("Extra volumes."),
    "extraVolumeMounts": free_list("Extra volume mounts."),
}

pdb = obj({
    "enabled": boolean("Create the PDB."),
    "minAvailable": {**INT_OR_PERCENT, "description": "Minimum available pods; wins over maxUnavailable when set."},
    "maxUnavailable": {**INT_OR_PERCENT, "description": "Maximum unavailable pods."},
}, desc="PodDisruptionBudget.")

control_plane = obj({
    "image": image,
    "replicaCount": integer("Replicas (1 unless externalDatabase.enabled).", 0),
    "publicUrl": string("QUARRY_PUBLIC_URL.", pattern="^(https?://.+)?$"),
    "runtimePublicUrl": string("QUARRY_RUNTIME_PUBLIC_URL.", pattern="^(https?://.+)?$"),
    "podDisruptionBudget": pdb,
    "allowedHosts": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Extra Host names accepted by the control plane."},
    "trustedProxies": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "QUARRY_TRUSTED_PROXIES: CIDRs of proxies whose X-Forwarded-For is believed."},
    **common_container,
    "service": service(3000),
    "persistence": obj({
        "enabled": boolean("Mount a PVC at /data."),
        "existingClaim": string("Existing PVC."),
        "storageClass": string("StorageClass; '-' for none."),
        "accessModes": {"type": "array", "items": {"type": "string", "enum": ["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"]}, "minItems": 1, "description": "Access modes."},
        "size": string("Requested size.", pattern="^[0-9]+(\\.[0-9]+)?([EPTGMK]i?|[mk])?$"),
        "annotations": str_map("PVC annotations."),
        "keepOnUninstall": boolean("Keep the PVC on helm uninstall."),
    }, desc="SQLite store volume."),
    **scheduling,
}, desc="The control plane.")

runtime = obj({
    "enabled": boolean("Deploy the runtime."),
    "image": image,
    "replicaCount": integer("Replicas when the HPA is disabled.", 0),
    "sessions": string("QUARRY_RUNTIME_SESSIONS: MCP sessions for pre-2026-07-28 clients.", enum=["off", "on"]),
    "sessionAffinity": string("How a session's requests reach its pod.", enum=["", "ingressHash", "external"]),
    "controlPlaneUrl": string("URL releases are pulled from.", pattern="^(https?://.+)?$"),
    "allowedHosts": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Extra Host names accepted on /mcp."},
    "allowedOrigins": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Browser origins accepted on /mcp."},
    **common_container,
    "service": service(8080),
    "autoscaling": obj({
        "enabled": boolean("Create the HPA."),
        "minReplicas": integer("Minimum replicas.", 1),
        "maxReplicas": integer("Maximum replicas.", 1),
        "targetCPUUtilizationPercentage": {"type": ["integer", "null"], "minimum": 1, "description": "CPU target (%)."},
        "targetMemoryUtilizationPercentage": {"type": ["integer", "null"], "minimum": 1, "description": "Memory target (%)."},
        "behavior": free_map("HPA behavior."),
        "queueWaitingAverage": {"type": ["integer", "string", "null"], "description": "Target quarry_queue_waiting per pod (custom metric)."},
    }, desc="HorizontalPodAutoscaler."),
    "podDisruptionBudget": pdb,
    "serviceMonitor": obj({
        "enabled": boolean("Create the ServiceMonitor."),
        "namespace": string("ServiceMonitor namespace."),
        "labels": str_map("Extra labels."),
        "annotations": str_map("Annotations."),
        "interval": string("Scrape interval.", pattern="^[0-9]+(ms|s|m|h)$"),
        "scrapeTimeout": string("Scrape timeout.", pattern="^[0-9]+(ms|s|m|h)$"),
        "path": string("Metrics path.", pattern="^/"),
        "authorization": free_map("Endpoint authorization block."),
        "relabelings": free_list("Relabelings."),
        "metricRelabelings": free_list("Metric relabelings."),
    }, desc="Prometheus Operator ServiceMonitor."),
    **scheduling,
}, desc="The MCP runtime.")

schema = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Values of the quarry Helm chart",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "global": free_map("Helm global values (unused by this chart)."),
        "nameOverride": string("Chart name override."),
        "fullnameOverride": string("Full name override."),
        "commonLabels": str_map("Labels on every resource."),
        "imagePullSecrets": {"type": "array", "items": obj({"name": string("Secret name.")}, required=["name"]), "description": "Image pull secrets."},
        "serviceAccount": obj({
            "create": boolean("Create the service account."),
            "name": string("Service account name."),
            "annotations": str_map("Annotations."),
            "automountServiceAccountToken": boolean("Mount the token."),
        }, desc="Service account."),
        "secrets": obj({
            "existingSecret": string("Existing Secret with the keys."),
            "encryptionKey": string("QUARRY_ENCRYPTION_KEY (base64 32-byte keys, comma list)."),
            "jwtSecret": string("QUARRY_JWT_SECRET."),
            "runtimeToken": string("QUARRY_RUNTIME_TOKEN."),
            "runtimeKey": string("QUARRY_RUNTIME_KEY (base64 32-byte key)."),
            "keepOnUninstall": boolean("Keep the generated Secret on helm uninstall."),
        }, desc="Keys and tokens."),
        "log": obj({
            "level": string("QUARRY_LOG filter.", minLength=1),
            "format": string("QUARRY_LOG_FORMAT.", enum=["json", "text"]),
        }, desc="Log output."),
        "otel": obj({
            "endpoint": string("OTEL_EXPORTER_OTLP_ENDPOINT; empty: no traces.", pattern="^(https?://.+)?$"),
            "resourceAttributes": string("OTEL_RESOURCE_ATTRIBUTES."),
            "samplerRatio": {"type": "number", "minimum": 0, "maximum": 1,
                             "description": "Share of new traces kept (OTEL_TRACES_SAMPLER_ARG below 1)."},
        }, desc="OpenTelemetry traces over OTLP/HTTP."),
        "tests": obj({"enabled": boolean("Render the helm test Pod.")}, desc="helm test."),
        "grafanaDashboard": obj({
            "enabled": boolean("Create the Grafana dashboard ConfigMap."),
            "namespace": string("Namespace of the ConfigMap; the release namespace when empty."),
            "labels": str_map("Extra labels."),
            "annotations": str_map("Annotations."),
        }, desc="Grafana dashboard of the runtime's metrics."),
        "auth": string("MCP client authentication the chart deploys for.", enum=["bearer", "none"]),
        "allowInsecure": boolean("Accept auth: none with the Ingress or a non-ClusterIP runtime Service."),
        "admin": obj({
            "username": string("First admin username."),
            "password": string("First admin password."),
        }, desc="First-admin bootstrap."),
        "externalDatabase": obj({
            "enabled": boolean("Use external PostgreSQL."),
            "url": string("QUARRY_DATABASE_URL.", pattern="^(postgres(ql)?://.+)?$"),
            "existingSecret": string("Existing Secret with the URL."),
            "existingSecretKey": string("Key in existingSecret.", minLength=1),
        }, desc="External PostgreSQL store."),
        "migrationJob": obj({
            "enabled": boolean("Run quarry migrate as a pre-install/pre-upgrade hook Job."),
            "backoffLimit": integer("Retries.", 0),
            "activeDeadlineSeconds": integer("Seconds the Job may run.", 1),
            "resources": resources,
        }, desc="The store migration hook Job."),
        "ingress": obj({
            "enabled": boolean("Create the Ingress."),
            "className": string("IngressClass."),
            "annotations": str_map("Annotations."),
            "labels": str_map("Labels."),
            "hosts": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Host names."},
            "mcpPath": string("Path routed to the runtime.", pattern="^(/.*)?$"),
            "tls": free_list("TLS blocks."),
        }, desc="Ingress."),
        "networkPolicy": obj({
            "enabled": boolean("Create NetworkPolicies."),
            "controlPlaneFrom": free_list("Extra peers allowed to the control plane."),
            "runtimeFrom": free_list("Extra peers allowed to the runtime."),
        }, desc="NetworkPolicies."),
        "controlPlane": control_plane,
        "runtime": runtime,
    },
}

out = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
target = Path(__file__).resolve().parent.parent / "quarry" / "values.schema.json"
if "--check" in sys.argv:
    if not target.exists() or target.read_text() != out:
        sys.exit(f"{target} is stale: run python3 helm/tools/gen_schema.py")
else:
    target.write_text(out)
