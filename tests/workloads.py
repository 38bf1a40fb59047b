"""The one compliant workload the policy, admission and API-server tests start from (change one field each)."""

from __future__ import annotations

from typing import Any

REGISTRY = "registry.edgefed.eu"
PARIS = {
    "edgefed.io/country": "fr",
    "edgefed.io/operator": "orange",
    "edgefed.io/zone": "orange-fr-paris",
    "edgefed.io/residency": "eu",
    "edgefed.io/data-classification": "internal",
}
"""The labels of a compliant workload in the Paris zone of Orange France."""


def residency_labels(**changes: str | None) -> dict[str, str]:
    """PARIS with changes: ``data_classification="restricted"`` sets edgefed.io/data-classification, None removes."""
    found = dict(PARIS)
    for key, value in changes.items():
        label = "edgefed.io/" + key.replace("_", "-")
        if value is None:
            found.pop(label, None)
        else:
            found[label] = value
    return found


def compliant_deployment(
    name: str = "web",
    image: str = f"{REGISTRY}/acme/web:1",
    *,
    labels: dict[str, str] | None = None,
    pod_labels: dict[str, str] | None = None,
    replicas: int = 1,
    container: str = "web",
) -> dict[str, Any]:
    """A Deployment that every rule and the zone's admission policies accept (with the default labels).

    Its pods meet the Pod Security Standards' *restricted* level, which every tenant namespace enforces.
    """
    found = PARIS if labels is None else labels
    pods = dict(found) if pod_labels is None else pod_labels
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "edgefed-fr", "labels": {"app.kubernetes.io/name": name, **found}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name, **pods}},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [
                        {
                            "name": container,
                            "image": image,
                            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                        }
                    ],
                },
            },
        },
    }


ZONE_LABELS = {**PARIS, "edgefed.io/operator": "orange"}
WORKLOAD_KEYS = (
    "edgefed.io/country",
    "edgefed.io/operator",
    "edgefed.io/zone",
    "edgefed.io/residency",
    "edgefed.io/data-classification",
    "app.kubernetes.io/name",
)
PINNED = "sha256:" + "cd" * 32


def as_kind(deployment: dict[str, Any], kind: str) -> dict[str, Any]:
    """The same workload (labels, pod template) as another kind, built as that kind's API wants it."""
    meta, spec = deployment["metadata"], deployment["spec"]
    template = {**spec["template"], "spec": dict(spec["template"]["spec"])}
    if kind in ("Job", "CronJob"):
        template["spec"]["restartPolicy"] = "Never"
    bodies: dict[str, tuple[str, dict[str, Any]]] = {
        "StatefulSet": ("apps/v1", {"spec": {"serviceName": meta["name"], "selector": spec["selector"], "template": template}}),
        "DaemonSet": ("apps/v1", {"spec": {"selector": spec["selector"], "template": template}}),
        "ReplicaSet": ("apps/v1", {"spec": {"selector": spec["selector"], "template": template}}),
        "Job": ("batch/v1", {"spec": {"template": template}}),
        "CronJob": ("batch/v1", {"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}),
        "Pod": ("v1", {"spec": template["spec"]}),
        "ReplicationController": (
            "v1", {"spec": {"selector": dict(spec["selector"]["matchLabels"]), "template": template}}
        ),
        "PodTemplate": ("v1", {"template": template}),
    }  # fmt: skip
    api_version, body = bodies[kind]
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


def admission_corpus() -> dict[str, dict[str, Any]]:
    """Workloads (name -> manifest) for the differential test: the pack and a zone must agree on each."""
    import copy

    def workload(name: str, image: str = f"{REGISTRY}/acme/web:1", **changes: str | None) -> dict[str, Any]:
        found = {"app.kubernetes.io/name": name, **ZONE_LABELS}
        for key, value in changes.items():
            label = "app.kubernetes.io/name" if key == "app" else "edgefed.io/" + key.replace("_", "-")
            if value is None:
                found.pop(label, None)
            else:
                found[label] = value
        return compliant_deployment(name, image, labels=found, pod_labels=found)

    corpus: dict[str, dict[str, Any]] = {"compliant": workload("compliant")}
    for key in WORKLOAD_KEYS:
        short = "app" if key.startswith("app.") else key.removeprefix("edgefed.io/").replace("-", "_")
        name = f"missing-{short.replace('_', '-')}"
        obj = workload(name)
        del obj["metadata"]["labels"][key]
        corpus[name] = obj
    template_missing = workload("template-missing-zone")
    del template_missing["spec"]["template"]["metadata"]["labels"]["edgefed.io/zone"]
    corpus["template-missing-zone"] = template_missing
    template_moved = workload("template-wrong-country")
    template_moved["spec"]["template"]["metadata"]["labels"]["edgefed.io/country"] = "it"
    corpus["template-wrong-country"] = template_moved
    for name, changes in {
        "upper-case-country": {"country": "FR"},
        "wrong-country": {"country": "de"},
        "wrong-zone": {"zone": "orange-fr-lyon"},
        "wrong-operator": {"operator": "vodafone"},
        "empty-zone": {"zone": ""},
        "residency-us": {"residency": "us"},
        "residency-fr-us": {"residency": "fr.us"},
        "residency-without-fr": {"residency": "de.it"},
        "residency-upper-case": {"residency": "DE.FR"},
        "residency-eu-upper-case": {"residency": "EU"},
        "residency-empty-code": {"residency": "fr..de"},
        "unknown-classification": {"data_classification": "secret"},
        "personal-without-digest": {"data_classification": "personal"},
        "restricted-without-digest": {"data_classification": "restricted"},
    }.items():
        corpus[name] = workload(name, **changes)
    corpus["restricted-pinned"] = workload(
        "restricted-pinned", f"{REGISTRY}/aero/vision:3@{PINNED}", data_classification="restricted"
    )
    for name, image in {
        "docker-hub": "nginx:1.27",
        "gcr": "gcr.io/acme/web:1",
        "lookalike-host": "registry.edgefed.eu.attacker.example/web:1",
        "registry-port": "registry.edgefed.eu:5000/web:1",
        "upper-case-image": f"{REGISTRY}/Acme/web:1",
        "image-too-long": f"{REGISTRY}/" + "a" * 300 + ":1",
        "short-digest": f"{REGISTRY}/aero/vision:3@sha256:abc",
    }.items():
        corpus[name] = workload(name, image)
    init = workload("init-docker-hub")
    init["spec"]["template"]["spec"]["initContainers"] = [{"name": "init", "image": "alpine:3.20"}]
    corpus["init-docker-hub"] = init
    for name, pod in {
        "host-network": {"hostNetwork": True},
        "host-network-off": {"hostNetwork": False},
        "host-pid": {"hostPID": True},
        "host-ipc": {"hostIPC": True},
        "host-path": {"volumes": [{"name": "node-root", "hostPath": {"path": "/"}}]},
        "empty-dir": {"volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "64Mi"}}]},
    }.items():
        obj = workload(name)
        obj["spec"]["template"]["spec"].update(copy.deepcopy(pod))
        corpus[name] = obj
    for name, container in {
        "host-port": {"ports": [{"containerPort": 80, "hostPort": 8080}]},
        "container-port": {"ports": [{"containerPort": 80}]},
        "privileged": {"securityContext": {"privileged": True}},
        "unprivileged": {"securityContext": {"privileged": False}},
        "capability-sys-admin": {"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}},
        "capability-cap-net-admin": {"securityContext": {"capabilities": {"add": ["cap_net_admin"]}}},
        "capability-all": {"securityContext": {"capabilities": {"add": ["ALL"]}}},
        "capability-net-bind-service": {"securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}},
        "capability-drop-all": {"securityContext": {"capabilities": {"drop": ["ALL"]}}},
    }.items():
        obj = workload(name)
        obj["spec"]["template"]["spec"]["containers"][0].update(copy.deepcopy(container))
        corpus[name] = obj
    restricted_node = workload(
        "restricted-host-network", f"{REGISTRY}/aero/vision:3@{PINNED}", data_classification="restricted"
    )
    restricted_node["spec"]["template"]["spec"]["hostNetwork"] = True
    corpus["restricted-host-network"] = restricted_node
    for kind in ("DaemonSet", "Pod", "CronJob"):
        obj = workload(f"{kind.lower()}-host-path")
        obj["spec"]["template"]["spec"]["volumes"] = [{"name": "logs", "hostPath": {"path": "/var/log"}}]
        corpus[f"{kind.lower()}-host-path"] = as_kind(obj, kind)
    for namespace in ("default", "kube-system"):
        for verdict, image in (("ok", f"{REGISTRY}/acme/web:1"), ("hub", "nginx:1.27")):
            obj = workload(f"{namespace}-{verdict}", image)
            obj["metadata"]["namespace"] = namespace
            corpus[f"{namespace}-{verdict}"] = obj
    # Where data lives by its stack (the namespace <tenant>-<cc>, never a label) and its strictest class.
    for name, space, changes, template in (
        ("restricted-of-the-de-stack", "acme-de", {"data_classification": "restricted"}, None),
        ("internal-of-the-de-stack", "acme-de", {}, None),
        (
            "personal-of-the-de-stack-without-de",
            "acme-de",
            {"data_classification": "personal", "residency": "fr"},
            None,
        ),
        (
            "personal-of-the-de-stack-with-de",
            "acme-de",
            {"data_classification": "personal", "residency": "de.fr"},
            None,
        ),
        ("template-weaker-than-workload", "edgefed-fr", {"data_classification": "restricted"}, "internal"),
        ("template-stricter-than-workload", "edgefed-fr", {}, "restricted"),
    ):
        obj = workload(name, f"{REGISTRY}/aero/vision:3@{PINNED}", **changes)
        obj["metadata"]["namespace"] = space
        if template is not None:
            obj["spec"]["template"]["metadata"]["labels"]["edgefed.io/data-classification"] = template
        corpus[name] = obj
    for kind in (
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "Pod",
        "ReplicationController",
        "PodTemplate",
    ):
        for verdict, image in (("ok", f"{REGISTRY}/acme/web:1"), ("hub", "nginx:1.27")):
            name = f"{kind.lower()}-{verdict}"
            corpus[name] = as_kind(copy.deepcopy(workload(name, image)), kind)
    return corpus


EGRESS_NAMESPACE = "acme-fr"
"""acme's FR namespace in Orange's Paris zone: egress cases are a tenant's NetworkPolicies there."""


def egress_corpus() -> dict[str, dict[str, Any]]:
    """NetworkPolicies (name -> manifest) for the differential test of disallow-open-egress.

    The pack config's allowed CIDRs (policies/eu-residency/config.json) are FR 10.33.0.0/16, DE 10.49.0.0/16,
    IT 10.39.0.0/16 and ES 10.34.0.0/16; the zone is in FR.
    """
    dns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}

    def policy(name: str, pinned: dict[str, str], egress: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": EGRESS_NAMESPACE},
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": name, **pinned}},
                "policyTypes": ["Egress"],
                "egress": egress,
            },
        }

    restricted = {"edgefed.io/data-classification": "restricted"}
    personal = {"edgefed.io/data-classification": "personal"}

    def to(*peers: dict[str, Any], ports: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        return [{"to": list(peers), **({"ports": ports} if ports is not None else {})}]

    def block(cidr: str) -> dict[str, Any]:
        return {"ipBlock": {"cidr": cidr}}

    own = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": EGRESS_NAMESPACE}}}
    other = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "nordwind-fr"}}}
    udp53 = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    cases = {
        # Admitted by both: the namespace, DNS and FR's allowed CIDR; public and internal pods; pinned residencies.
        "egress-compliant": (
            restricted,
            [{"to": [{"podSelector": {}}]}, *to(dns, ports=udp53), *to(block("10.33.8.0/24")), *to(own)],
        ),
        "egress-exact-allowed-cidr": (personal, to(block("10.33.0.0/16"), ports=[{"port": 443}])),
        "egress-public-anywhere": ({"edgefed.io/data-classification": "public"}, [{}]),
        "egress-internal-internet": ({"edgefed.io/data-classification": "internal"}, to(block("0.0.0.0/0"))),
        "egress-personal-pinned-de-fr-to-de": (
            {**personal, "edgefed.io/residency": "de.fr"},
            to(block("10.49.1.0/24")),
        ),
        "egress-pinned-eu-to-it": ({**personal, "edgefed.io/residency": "EU"}, to(block("10.39.0.0/24"))),
        "egress-dns-tcp": (restricted, to(dns, ports=[{"port": 53, "protocol": "TCP"}])),
        # Refused by both.
        "egress-anywhere": (restricted, [{}]),
        "egress-empty-to": (personal, [{"to": []}]),
        "egress-internet": (restricted, to(block("0.0.0.0/0"))),
        "egress-ipv6-anywhere": (restricted, to(block("::/0"))),
        "egress-us-cloud": (personal, to(block("3.5.0.0/16"))),
        "egress-other-country": (restricted, to(block("10.49.0.0/24"))),
        "egress-wider-than-allowed": (restricted, to(block("10.32.0.0/11"))),
        "egress-every-namespace": (restricted, to({"namespaceSelector": {}})),
        "egress-other-namespace": (restricted, to(other)),
        "egress-dns-any-port": (restricted, to(dns)),
        "egress-dns-port-range": (restricted, to(dns, ports=[{"port": 53, "endPort": 65535}])),
        "egress-dns-named-port": (restricted, to(dns, ports=[{"port": "dns"}])),
        "egress-dns-sctp": (restricted, to(dns, ports=[{"port": 53, "protocol": "SCTP"}])),
        "egress-unpinned": ({}, to(block("8.8.8.8/32"))),
        "egress-unknown-class": ({"edgefed.io/data-classification": "secret"}, to(block("8.8.8.8/32"))),
        "egress-pinned-us": ({**personal, "edgefed.io/residency": "us"}, to(block("10.33.0.0/24"))),
        "egress-pinned-de-only-to-fr": ({**personal, "edgefed.io/residency": "de"}, to(block("10.33.0.0/24"))),
        "egress-restricted-pinned-de-fr-to-de": (
            {**restricted, "edgefed.io/residency": "de.fr"},
            to(block("10.49.1.0/24")),
        ),
        "egress-one-bad-peer": (restricted, to(block("10.33.8.0/24"), block("1.1.1.1/32"))),
    }
    return {name: policy(name, pinned, egress) for name, (pinned, egress) in cases.items()}


def outbound_corpus() -> dict[str, dict[str, Any]]:
    """Services and webhook configurations (name -> manifest) for the differential test of the outbound rules.

    The pack config allows the name telemetry.fr.edgefed.example in FR (and telemetry.de.edgefed.example in
    DE); the zone is in FR.
    """

    def alias(name: str, target: str, classification: str | None, kind: str = "ExternalName") -> dict[str, Any]:
        found = {**ZONE_LABELS, "app.kubernetes.io/name": name}
        if classification is None:
            found.pop("edgefed.io/data-classification")
        else:
            found["edgefed.io/data-classification"] = classification
        spec: dict[str, Any] = {"type": kind, "externalName": target}
        if kind != "ExternalName":
            spec = {"type": kind, "ports": [{"port": 80}], "selector": {"app.kubernetes.io/name": name}}
        return {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": EGRESS_NAMESPACE, "labels": found}, "spec": spec,
        }  # fmt: skip

    def hooks(name: str, kind: str, client: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": f"{kind}WebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [
                {
                    "name": "check.edgefed.eu", "clientConfig": client, "sideEffects": "None",
                    "admissionReviewVersions": ["v1"], "failurePolicy": "Ignore",
                    "rules": [{"apiGroups": ["example.edgefed.eu"], "apiVersions": ["v1"], "operations": ["CREATE"],
                               "resources": ["probes"]}],
                }
            ],
        }  # fmt: skip

    in_zone = {"service": {"name": "checker", "namespace": EGRESS_NAMESPACE, "port": 443}}
    return {
        # Admitted by both.
        "alias-public-partner": alias("alias-public-partner", "api.partner.example", "public"),  # labels decide nothing
        "alias-allowed-name": alias("alias-allowed-name", "telemetry.fr.edgefed.example", "restricted"),
        "alias-allowed-name-dot": alias("alias-allowed-name-dot", "telemetry.fr.edgefed.example.", "personal"),
        "cluster-ip": alias("cluster-ip", "", "restricted", kind="ClusterIP"),
        "hook-in-zone": hooks("hook-in-zone", "Validating", in_zone),
        "mutating-hook-in-zone": hooks("mutating-hook-in-zone", "Mutating", in_zone),
        # Refused by both.
        "alias-internal-partner": alias("alias-internal-partner", "api.partner.example", "internal"),
        "alias-unclassified": alias("alias-unclassified", "api.partner.example", None),
        "alias-unknown-class": alias("alias-unknown-class", "api.partner.example", "secret"),
        "alias-other-countrys-name": alias("alias-other-countrys-name", "telemetry.de.edgefed.example", "restricted"),
        "alias-lookalike": alias("alias-lookalike", "telemetry.fr.edgefed.example.attacker.example", "personal"),
        "hook-by-url": hooks("hook-by-url", "Validating", {"url": "https://hooks.us-east-1.example.com/validate"}),
        "mutating-hook-by-ip": hooks("mutating-hook-by-ip", "Mutating", {"url": "https://203.0.113.7:8443/mutate"}),
    }


LYON = {**PARIS, "edgefed.io/operator": "vodafone", "edgefed.io/zone": "local-vodafone-fr-lyon"}
"""The labels of a workload in Vodafone's Lyon zone of the local federation (Vodafone's group is under GB law)."""


def jurisdiction_corpus() -> dict[str, dict[str, Any]]:
    """Workloads of both local tenants' stacks in Vodafone's Lyon zone (GB law), named by their verdict."""
    corpus = {}
    for name, space, classification, residency in (
        ("internal-of-the-fr-stack", "acme-fr", "internal", "eu"),
        ("personal-of-the-it-stack", "nordwind-it", "personal", "fr.it"),
        ("refused-restricted-of-the-fr-stack", "acme-fr", "restricted", "fr"),
        ("refused-restricted-of-the-it-stack", "acme-it", "restricted", "fr.it"),
        ("refused-personal-of-the-it-stack-without-it", "nordwind-it", "personal", "fr"),
    ):
        labels = {**LYON, "edgefed.io/data-classification": classification, "edgefed.io/residency": residency}
        registry = "registry.nordwind.de" if space.startswith("nordwind-") else REGISTRY
        obj = compliant_deployment(name, f"{registry}/probe:1@{PINNED}", labels=labels)
        obj["metadata"]["namespace"] = space
        corpus[name] = obj
    return corpus
