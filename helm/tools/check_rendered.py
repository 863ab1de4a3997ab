#!/usr/bin/env python3
"""Checks what kubernetes-validate cannot: the ServiceMonitor (a CRD) against the fields the chart
emits, and the references between rendered objects (selectors match pod labels, Ingress backends and
ServiceMonitor selectors name real Services and ports, secretKeyRefs point at a rendered Secret key or
at a Secret the values say exists).

Usage: check_rendered.py RENDERED.yaml VALUES.yaml   (the values file names the existing Secrets/PVC)
"""
import sys

import jsonschema
import yaml

DURATION = {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"}
SERVICE_MONITOR = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["selector", "endpoints"],
            "properties": {
                "jobLabel": {"type": "string"},
                "namespaceSelector": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}},
                },
                "selector": {
                    "type": "object", "additionalProperties": False, "required": ["matchLabels"],
                    "properties": {"matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}},
                },
                "endpoints": {
                    "type": "array", "minItems": 1,
                    "items": {
                        "type": "object", "additionalProperties": False, "required": ["port"],
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": DURATION,
                            "scrapeTimeout": DURATION,
                            "authorization": {
                                "type": "object", "additionalProperties": False,
                                "properties": {
                                    "type": {"type": "string"},
                                    "credentials": {
                                        "type": "object", "additionalProperties": False, "required": ["name", "key"],
                                        "properties": {"name": {"type": "string"}, "key": {"type": "string"}, "optional": {"type": "boolean"}},
                                    },
                                },
                            },
                            "relabelings": {"type": "array", "items": {"type": "object"}},
                            "metricRelabelings": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
            },
        },
    },
}


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    values = (yaml.safe_load(open(sys.argv[2])) or {}) if len(sys.argv) > 2 else {}
    external = {
        (values.get("secrets") or {}).get("existingSecret"),
        (values.get("externalDatabase") or {}).get("existingSecret"),
        ((values.get("controlPlane") or {}).get("persistence") or {}).get("existingClaim"),
    } - {None, ""}
    problems = []
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    deployments = by_kind.get("Deployment", [])
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    secrets = {s["metadata"]["name"]: set((s.get("data") or {}).keys()) for s in by_kind.get("Secret", [])}

    for d in deployments:
        name = d["metadata"]["name"]
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        if not matches(d["spec"]["selector"]["matchLabels"], pod_labels):
            problems.append(f"deployment/{name}: selector does not match its pod labels")
        for c in d["spec"]["template"]["spec"]["containers"]:
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if not ref:
                    continue
                if ref["name"] in secrets:
                    if ref["key"] not in secrets[ref["name"]]:
                        problems.append(f"deployment/{name}: {e['name']} wants key {ref['key']} missing from secret/{ref['name']}")
                elif ref["name"] not in external:
                    problems.append(f"deployment/{name}: {e['name']} refers to unknown secret/{ref['name']}")
        pod = d["spec"]["template"]["spec"]
        for v in pod.get("volumes", []):
            sec = v.get("secret")
            if not sec:
                continue
            if sec["secretName"] in secrets:
                for item in sec.get("items", []):
                    if item["key"] not in secrets[sec["secretName"]]:
                        problems.append(f"deployment/{name}: volume {v['name']} wants key {item['key']} missing from secret/{sec['secretName']}")
            elif sec["secretName"] not in external:
                problems.append(f"deployment/{name}: volume {v['name']} mounts unknown secret/{sec['secretName']}")
        # Every *_FILE variable names a file under one of the container's mounts.
        for c in pod["containers"]:
            mounts = [m["mountPath"].rstrip("/") + "/" for m in c.get("volumeMounts", [])]
            for e in c.get("env", []):
                if e["name"].endswith("_FILE") and "value" in e and not any(e["value"].startswith(m) for m in mounts):
                    problems.append(f"deployment/{name}: {e['name']}={e['value']} is not under a volume mount")
        claims = [v["persistentVolumeClaim"]["claimName"] for v in d["spec"]["template"]["spec"].get("volumes", []) if "persistentVolumeClaim" in v]
        pvcs = {p["metadata"]["name"] for p in by_kind.get("PersistentVolumeClaim", [])}
        problems += [f"deployment/{name}: claim {c} is not rendered" for c in claims if c not in pvcs and c not in external]

    def pods_of(selector):
        return [d for d in deployments if matches(selector, d["spec"]["template"]["metadata"]["labels"])]

    def port_names(svc):
        return {p.get("name") for p in svc["spec"]["ports"]}

    for name, s in services.items():
        targets = pods_of(s["spec"]["selector"])
        if len(targets) != 1:
            problems.append(f"service/{name}: selects {len(targets)} deployments, expected 1")
            continue
        container_ports = {p["name"] for c in targets[0]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        for p in s["spec"]["ports"]:
            if p["targetPort"] not in container_ports:
                problems.append(f"service/{name}: targetPort {p['targetPort']} is not a container port")

    for ing in by_kind.get("Ingress", []):
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                b = path["backend"]["service"]
                if b["name"] not in services or b["port"].get("name") not in port_names(services[b["name"]]):
                    problems.append(f"ingress/{ing['metadata']['name']}: backend {b['name']}:{b['port']} does not exist")

    for kind in ("HorizontalPodAutoscaler",):
        for h in by_kind.get(kind, []):
            if h["spec"]["scaleTargetRef"]["name"] not in {d["metadata"]["name"] for d in deployments}:
                problems.append(f"hpa/{h['metadata']['name']}: scale target missing")
    for pdb in by_kind.get("PodDisruptionBudget", []) + by_kind.get("NetworkPolicy", []):
        sel = pdb["spec"].get("selector", pdb["spec"].get("podSelector"))["matchLabels"]
        if len(pods_of(sel)) != 1:
            problems.append(f"{pdb['kind'].lower()}/{pdb['metadata']['name']}: selects {len(pods_of(sel))} deployments, expected 1")

    for sm in by_kind.get("ServiceMonitor", []):
        for err in jsonschema.Draft7Validator(SERVICE_MONITOR).iter_errors(sm):
            problems.append(f"servicemonitor/{sm['metadata']['name']}: {'.'.join(map(str, err.path))}: {err.message}")
        selected = [s for s in services.values() if matches(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
        if len(selected) != 1:
            problems.append(f"servicemonitor/{sm['metadata']['name']}: selects {len(selected)} services, expected 1")
        else:
            for ep in sm["spec"]["endpoints"]:
                if ep["port"] not in port_names(selected[0]):
                    problems.append(f"servicemonitor/{sm['metadata']['name']}: port {ep['port']} not on service/{selected[0]['metadata']['name']}")

    for p in problems:
        print("ERROR", p)
    print(f"cross-checks: {len(docs)} objects, {len(problems)} problems"
          + (f", {len(by_kind.get('ServiceMonitor', []))} ServiceMonitor validated" if by_kind.get("ServiceMonitor") else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
