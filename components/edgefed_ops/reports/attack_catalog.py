"""The attacks, by class, for one tenant's :class:`~edgefed_ops.reports.attacks.Situation`.

Each expects the words of the rule that refuses it: the built-in Pod Security admission, the zone's
edgefed policies (residency, isolation, tenancy, outbound), its quota and limits, or RBAC; each carries a
compliant twin the zone must admit. Attacks a tenant's contract makes moot (restricted data for a tenant
that may run none) are left out rather than expected to fail for another reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.contract import Contract
from edgefed.core.objects.guard import PREFIX as TENANCY
from edgefed.core.objects.isolation import PREFIX as ISOLATION
from edgefed.core.objects.tenancy import DENY
from edgefed_ops.reports.attacks import (
    PSS,
    Attack,
    Probe,
    Situation,
    Target,
    budget,
    claim,
    container_changed,
    labels_changed,
    network_policy,
    pod_changed,
    service,
    workload,
)

RESIDENCY = "edgefed residency: "
VOLUME = f"{ISOLATION}volume edgefed-probe-volume is of a kind a shared zone does not admit"
OPERATOR_OBJECT = f"{TENANCY}this object is the operator's"
INGRESS = f"{TENANCY}this NetworkPolicy admits ingress from other namespaces or from anywhere"
NO_ADDRESS = f"{TENANCY}a Service may not claim an address"
NO_DISRUPTION = f"{TENANCY}this PodDisruptionBudget can forbid every eviction"


def _volume(spec: dict[str, Any]) -> Any:
    """A pod spec change adding one volume named ``edgefed-probe-volume``."""
    return lambda pod: pod.update(volumes=[{"name": "edgefed-probe-volume", **spec}])


def pod_security(s: Situation) -> list[Attack]:
    """Reach the node from a pod: what *restricted* Pod Security and the zone's isolation policy refuse."""
    t = s.home
    base = workload(t, "pss")

    def pods(name: str, tries: str, expect: str, change: Any, *, container: bool = True) -> Attack:
        changed = container_changed(base, change) if container else pod_changed(base, change)
        twin = workload(t, f"{name}-twin")
        return Attack(
            name, "pod security", t, tries, expect, Probe("pods", _renamed(changed, name)), Probe("pods", twin)
        )

    def write(name: str, tries: str, expect: str, change: Any, twin_change: Any = None, also: str = "") -> Attack:
        attack = pod_changed(workload(t, name), change)
        twin = pod_changed(workload(t, f"{name}-twin"), twin_change) if twin_change else workload(t, f"{name}-twin")
        alternatives = (also,) if also else ()
        return Attack(
            name, "pod security", t, tries, expect, Probe("create", attack), Probe("create", twin), alternatives
        )

    cls = t.classification
    host = f"{RESIDENCY}{cls} data may not use the node's network, processes or disks"
    found = [
        pods("escalate", "a container that may gain privileges (allowPrivilegeEscalation)",
             f"{PSS}allowPrivilegeEscalation != false",
             lambda c: c["securityContext"].update(allowPrivilegeEscalation=True)),
        pods("root", "a pod that may run as root (runAsNonRoot: false)", f"{PSS}runAsNonRoot != true",
             lambda p: p["securityContext"].update(runAsNonRoot=False), container=False),
        pods("uid-0", "a container that runs as user 0", f"{PSS}runAsUser=0",
             lambda c: c["securityContext"].update(runAsUser=0)),
        pods("capabilities", "a container that keeps its default capabilities", f"{PSS}unrestricted capabilities",
             lambda c: c["securityContext"].update(capabilities={"drop": []})),
        pods("net-raw", "a container that adds NET_RAW (forged packets on the node's network)",
             f"{PSS}unrestricted capabilities",
             lambda c: c["securityContext"].update(capabilities={"drop": ["ALL"], "add": ["NET_RAW"]})),
        pods("seccomp", "a pod without a seccomp profile (Unconfined)", f"{PSS}seccompProfile",
             lambda p: p["securityContext"].update(seccompProfile={"type": "Unconfined"}), container=False),
        pods("sysctl", "a pod that sets a kernel parameter the node shares (kernel.msgmax)", f"{PSS}forbidden sysctls",
             lambda p: p["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "65536"}]),
             container=False),
        pods("selinux", "a pod that runs as the node's super-privileged SELinux type (spc_t)", f"{PSS}seLinuxOptions",
             lambda p: p["securityContext"].update(seLinuxOptions={"type": "spc_t"}), container=False),
        pods("apparmor", "a container without its AppArmor profile (Unconfined)", f"{PSS}forbidden AppArmor profile",
             lambda c: c["securityContext"].update(appArmorProfile={"type": "Unconfined"})),
        write("privileged", "a privileged container", host,
              lambda p: p["containers"][0]["securityContext"].update(privileged=True, allowPrivilegeEscalation=True)),
        write("host-network", "a pod on the node's network namespace", host, lambda p: p.update(hostNetwork=True)),
        write("host-pid", "a pod that sees the node's processes", host, lambda p: p.update(hostPID=True)),
        write("host-port", "a container that takes a port of the node", host,
              lambda p: p["containers"][0].update(ports=[{"containerPort": 8443, "hostPort": 8443}])),
        write("host-path", "a volume of the node's filesystem (hostPath /)", VOLUME,
              _volume({"hostPath": {"path": "/"}}), _volume({"emptyDir": {"sizeLimit": "64Mi"}}), also=host),
        write("nfs", "an NFS volume (a network server the pod mounts itself)", VOLUME,
              _volume({"nfs": {"server": "203.0.113.5", "path": "/export"}}), _volume({"configMap": {"name": "x"}})),
        write("iscsi", "an iSCSI volume", VOLUME,
              _volume({"iscsi": {"targetPortal": "203.0.113.5:3260", "iqn": "iqn.2001-04.example:disk", "lun": 0}}),
              _volume({"secret": {"secretName": "x"}})),
        write("csi-inline", "a CSI inline volume (a driver of the node)", VOLUME,
              _volume({"csi": {"driver": "secrets-store.csi.k8s.io"}}), _volume({"downwardAPI": {"items": []}})),
        write("git-repo", "a gitRepo volume (the node runs git)", VOLUME,
              _volume({"gitRepo": {"repository": "https://git.example/x.git"}}),
              _volume({"projected": {"sources": []}})),
        write("empty-dir", "an emptyDir without a size limit (the node's disk, unbounded)", VOLUME,
              _volume({"emptyDir": {}}), _volume({"emptyDir": {"sizeLimit": "64Mi"}})),
        write("image-volume", "an image volume from a registry outside the allow-lists", VOLUME,
              _volume({"image": {"reference": "docker.io/library/busybox:1.36"}}),
              _volume({"image": {"reference": f"{t.registry}/probe-data:1"}})),
        write("node-name", "a pod placed on a node by name, past the scheduler", f"{ISOLATION}pods are placed by the "
              "zone's scheduler", lambda p: p.update(nodeName="node-0")),
        write("scheduler", "a pod placed by a scheduler of its own",
              f"{ISOLATION}pods are placed by the zone's scheduler",
              lambda p: p.update(schedulerName="edgefed-probe-scheduler")),
        write("control-plane", "a toleration of the control plane's taint",
              f"{ISOLATION}toleration node-role.kubernetes.io/control-plane|Exists||NoSchedule is not granted",
              lambda p: p.update(tolerations=[{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                               "effect": "NoSchedule"}]), _granted_toleration(s)),
        write("every-taint", "a toleration of every taint (operator Exists, no key)",
              f"{ISOLATION}toleration |Exists|| is not granted",
              lambda p: p.update(tolerations=[{"operator": "Exists"}]),
              _granted_toleration(s)),
        write("priority", "a priority class that preempts the zone's own components (system-node-critical)",
              f"{ISOLATION}priority class system-node-critical is not granted",
              lambda p: p.update(priorityClassName="system-node-critical"), _granted_priority(s)),
    ]  # fmt: skip
    granted = s.storage_class
    found.append(
        Attack("claim-class", "pod security", t, "a claim of a storage class its contract does not grant",
               f"{TENANCY}a claim must name a storage class that tenant {t.tenant}'s contract grants",
               Probe("create", claim(t, "claim-class", "edgefed-probe-local-path")),
               Probe("create", claim(t, "claim-class-twin", granted)) if granted else
               Probe("create", service(t, "claim-class-twin")))
    )  # fmt: skip
    if granted:
        found.append(
            Attack("claim-volume", "pod security", t, "a claim bound by name to an existing volume (another tenant's)",
                   f"{TENANCY}a claim may not bind a volume by name",
                   Probe("create", claim(t, "claim-volume", granted, volumeName="pvc-of-another-tenant")),
                   Probe("create", claim(t, "claim-volume-twin", granted)))
        )  # fmt: skip
    found.append(
        Attack("namespace-level", "pod security", t, "its namespace's Pod Security level lowered to privileged",
               'cannot patch resource "namespaces"',
               Probe("patch", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": t.namespace}},
                     {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}),
               Probe("create", workload(t, "namespace-level-twin")))
    )  # fmt: skip
    return found


def _granted_toleration(s: Situation) -> Any:
    """The twin's change: the toleration the contract grants there (none granted: no toleration)."""
    granted = s.toleration
    return (lambda p: p.update(tolerations=[dict(granted)])) if granted else None


def _granted_priority(s: Situation) -> Any:
    """The twin's change: the priority class the contract grants there (none granted: the default)."""
    granted = s.priority_class
    return (lambda p: p.update(priorityClassName=granted)) if granted else None


def _renamed(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    """The attack copy of the shared base under its own name (its pods carry it)."""
    probe = f"edgefed-probe-{name}"
    manifest["metadata"]["name"] = probe
    for where in (manifest["metadata"]["labels"], manifest["spec"]["template"]["metadata"]["labels"]):
        where[labels.APP] = probe
    manifest["spec"]["selector"]["matchLabels"][labels.APP] = probe
    return manifest


def network(s: Situation, federation_names: Sequence[str], contract: Contract) -> list[Attack]:
    """Claim an address, reach or be reached by a neighbour, alias data out of the zone."""
    t = s.home
    ns_name = "kubernetes.io/metadata.name"

    def svc(name: str, tries: str, expect: str, spec: dict[str, Any], twin: dict[str, Any] | None = None,
            where: Target = t) -> Attack:  # fmt: skip
        return Attack(name, "network", where, tries, expect, Probe("create", service(where, name, spec)),
                      Probe("create", service(where, f"{name}-twin", twin)))  # fmt: skip

    def policy(name: str, tries: str, expect: str, spec: dict[str, Any], twin: dict[str, Any]) -> Attack:
        return Attack(name, "network", t, tries, expect, Probe("create", network_policy(t, name, spec)),
                      Probe("create", network_policy(t, f"{name}-twin", twin)))  # fmt: skip

    own_ingress = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}
    country = t.zone.country
    granted_names = contract.grants.external_names.get(country, ())
    allowed = [n for n in granted_names if n in federation_names]
    alias = {"type": "ExternalName", "externalName": "api.partner.example", "ports": []}
    found = [
        svc("external-ips", "a Service claiming an address of the zone (externalIPs, CVE-2020-8554)", NO_ADDRESS,
            {"externalIPs": ["203.0.113.10"]}),
        svc("node-port", "a node port where its operator grants none",
            f"{TENANCY}tenant {t.tenant} may open node ports "
            "only in its own range", {"type": "NodePort"}),
        svc("load-balancer", "a load balancer where its operator grants none",
            f"{TENANCY}tenant {t.tenant} may open 0 load balancer(s) in this zone", {"type": "LoadBalancer"}),
        Attack("external-name", "network", t, "an ExternalName alias to a host outside the zone, labelled public",
               f"{TENANCY}ExternalName Service edgefed-probe-external-name aliases api.partner.example, which tenant "
               f"{t.tenant}'s contract does not list",
               Probe("create", _labelled(service(t, "external-name", alias), {labels.CLASSIFICATION: "public"})),
               Probe("create", service(t, "external-name-twin", {**alias, "externalName": allowed[0]}) if allowed
                     else service(t, "external-name-twin")),
               also=(f"{RESIDENCY}ExternalName Service edgefed-probe-external-name sends what its clients send to "
                     f"api.partner.example, outside the zone; only a name the federation allows in {country}",)),
        policy("ingress-anywhere", "an ingress rule without sources (every namespace, every network)", INGRESS,
               {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 8443}]}]}, own_ingress),
        policy("ingress-namespaces", "ingress from every namespace of the zone", INGRESS,
               {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}}]}]},
               own_ingress),
        policy("ingress-neighbour", f"ingress from a neighbour's namespace ({s.neighbour})", INGRESS,
               {"podSelector": {}, "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {ns_name: s.neighbour}}}]}]},
               {"podSelector": {}, "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {ns_name: t.namespace}}}]}]}),
        policy("egress-anywhere", "egress of every pod of the namespace to the internet",
               f"{TENANCY}this NetworkPolicy opens egress of restricted pods",
               {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
               {"podSelector": {}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"namespaceSelector": {"matchLabels": {ns_name: t.namespace}}}]}]}),
        Attack("default-deny", "network", t, "the operator's default deny deleted", OPERATOR_OBJECT,
               Probe("delete", network_policy(t, "x", {}) | {"metadata": {"name": DENY, "namespace": t.namespace}}),
               Probe("create", network_policy(t, "default-deny-twin", own_ingress))),
        Attack("imitate-operator", "network", t, "a policy labelled as the operator's", OPERATOR_OBJECT,
               Probe("create", _labelled(network_policy(t, "imitate-operator", own_ingress),
                                         {labels.MANAGED_BY: "edgefed-operator"})),
               Probe("create", network_policy(t, "imitate-operator-twin", own_ingress))),
        Attack("neighbour-namespace", "network", t, f"a workload written into a neighbour's namespace ({s.neighbour})",
               'cannot create resource "deployments"',
               Probe("create", _moved(workload(t, "neighbour-namespace"), s.neighbour)),
               Probe("create", workload(t, "neighbour-namespace-twin"))),
    ]  # fmt: skip
    not_granted = [n for n in federation_names if n not in granted_names]
    if not_granted:
        found.append(
            Attack("external-name-contract", "network", t, "an alias the federation allows but its contract does not",
                   f"{TENANCY}ExternalName Service edgefed-probe-external-name-contract aliases {not_granted[0]}, "
                   "which "
                   f"tenant {t.tenant}'s contract does not list",
                   Probe("create", service(t, "external-name-contract", {**alias, "externalName": not_granted[0]})),
                   Probe("create", service(t, "external-name-contract-twin")))
        )  # fmt: skip
    if s.node_ports is not None:
        where, first, last = s.node_ports
        port = [{"port": 8443, "nodePort": last + 50 if last + 50 <= 32767 else first - 50}]
        found += [
            svc("node-port-range", "a node port outside its own range",
                f"{TENANCY}tenant {t.tenant} may open node ports "
                f"only in its own range, each nodePort set explicitly (its range in this zone: {first}-{last})",
                {"type": "NodePort", "ports": port}, {"type": "NodePort", "ports": [{"port": 8443, "nodePort": first}]},
                where),
            svc("node-port-any", "a node port the API server would pick from the whole range", f"{TENANCY}tenant "
                f"{t.tenant} may open node ports only in its own range", {"type": "NodePort"},
                {"type": "NodePort", "ports": [{"port": 8443, "nodePort": first}]}, where),
        ]  # fmt: skip
    return found


def _labelled(manifest: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    manifest["metadata"]["labels"] = {**manifest["metadata"].get("labels", {}), **extra}
    return manifest


def _moved(manifest: dict[str, Any], namespace: str) -> dict[str, Any]:
    manifest["metadata"]["namespace"] = namespace
    return manifest


def fair_share(s: Situation) -> list[Attack]:
    """Exhaust what the zone's other tenants and the operator need."""
    t = s.home
    base = workload(t, "share")

    def pods(name: str, tries: str, expect: str, amounts: dict[str, str]) -> Attack:
        hog = container_changed(base, lambda c: c["resources"].update(requests=amounts, limits=amounts))
        return Attack(name, "fair share", t, tries, expect, Probe("pods", _renamed(hog, name)),
                      Probe("pods", workload(t, f"{name}-twin")))  # fmt: skip

    def pdb(name: str, tries: str, spec: dict[str, Any], twin: dict[str, Any]) -> Attack:
        return Attack(name, "fair share", t, tries, NO_DISRUPTION, Probe("create", budget(t, name, **spec)),
                      Probe("create", budget(t, f"{name}-twin", **twin)))  # fmt: skip

    found = [
        pdb("pdb-zero", "a disruption budget allowing no eviction (maxUnavailable 0)", {"maxUnavailable": 0},
            {"maxUnavailable": 1}),
        pdb("pdb-all", "a disruption budget keeping every pod (minAvailable 100%)", {"minAvailable": "100%"},
            {"minAvailable": "50%"}),
        pdb("pdb-count", "a disruption budget keeping a fixed count", {"minAvailable": 2}, {"maxUnavailable": "25%"}),
        pods("ephemeral", "pods that fill the node's disk (64 GiB of ephemeral storage)",
             "exceeded quota: edgefed-tenant, requested: limits.ephemeral-storage",
             {"cpu": "10m", "memory": "16Mi", "ephemeral-storage": "64Gi"}),
        pods("cpu", "pods that take the zone's CPU (64 cores)", "exceeded quota: edgefed-tenant, requested: limits.cpu",
             {"cpu": "64", "memory": "16Mi", "ephemeral-storage": "16Mi"}),
        pods("tiny", "thousands of near-free pods (1 millicore each) that the CPU quota would not notice",
             "minimum cpu usage per Container is 10m", {"cpu": "1m", "memory": "16Mi", "ephemeral-storage": "16Mi"}),
        Attack("services", "fair share", t, "Services until the zone has no more", "exceeded quota: edgefed-tenant, "
               "requested: services=1", Probe("fill", service(t, "services")),
               Probe("create", service(t, "services-twin"))),
    ]  # fmt: skip
    granted = s.storage_class
    if granted:
        found += [
            Attack("storage", "fair share", t, "a claim of a terabyte", "exceeded quota: edgefed-tenant, requested: "
                   "requests.storage=1Ti", Probe("create", claim(t, "storage", granted, "1Ti")),
                   Probe("create", claim(t, "storage-twin", granted))),
            Attack("claims", "fair share", t, "claims until the zone has no more", "exceeded quota: edgefed-tenant, "
                   "requested: persistentvolumeclaims=1", Probe("fill", claim(t, "claims", granted)),
                   Probe("create", claim(t, "claims-twin", granted))),
        ]  # fmt: skip
    return found


def residency(s: Situation, contract: Contract, other_registries: Sequence[str]) -> list[Attack]:
    """Put data where the pack refuses it, skipping ``pulumi preview``."""
    t = s.home
    allowed = contract.data_classes
    order = ("public", "internal", "personal", "restricted")
    strict = max(allowed, key=order.index)

    def write(
        name: str, tries: str, expect: str, attack: dict[str, Any], twin: dict[str, Any], where: Target = t
    ) -> Attack:
        return Attack(name, "residency", where, tries, expect, Probe("create", attack), Probe("create", twin))

    found = [
        write("country-label", "a workload that says it is in another country",
              f"{RESIDENCY}this is zone {t.zone.id} of {t.zone.operator} in {t.zone.country}",
              labels_changed(workload(t, "country-label"),
                             {labels.COUNTRY: "de" if t.zone.country != "DE" else "fr"}, {}),
              workload(t, "country-label-twin")),
        write("registry", "an image from a registry outside the federation's allow-list (Docker Hub)",
              f"{RESIDENCY}image docker.io/library/nginx:1.27 is not from an allow-listed registry",
              container_changed(workload(t, "registry"), lambda c: c.update(image="docker.io/library/nginx:1.27")),
              workload(t, "registry-twin")),
    ]  # fmt: skip
    outside = [c for c in order if c not in allowed]
    if outside:
        found.append(write(
            "class", f"{outside[-1]} data its contract does not allow",
            f"edgefed tenancy: tenant {t.tenant} may not run {outside[-1]} data",
            workload(t, "class", classification=outside[-1]), workload(t, "class-twin")))  # fmt: skip
    theirs = [r for r in other_registries if r not in contract.registries]
    if theirs:
        image = f"{theirs[0]}/probe:1"
        found.append(write(
            "their-registry", "an image from another tenant's registry",
            f"edgefed tenancy: image {image} is not from a registry of tenant {t.tenant}'s contract",
            container_changed(workload(t, "their-registry"), lambda c: c.update(image=image)),
            workload(t, "their-registry-twin")))  # fmt: skip
    if strict != "public":
        weaker = order[order.index(strict) - 1]
        found.append(write(
            "template-weaker", f"a {strict} workload whose pods say {weaker}",
            f"{RESIDENCY}the pod template declares {weaker} data, weaker than its workload ({strict})",
            labels_changed(workload(t, "template-weaker", classification=strict), {}, {labels.CLASSIFICATION: weaker}),
            workload(t, "template-weaker-twin", classification=strict)))  # fmt: skip
    if "restricted" in allowed:
        found.append(write(
            "digest", "restricted data from an image not pinned by digest",
            f"{RESIDENCY}restricted data requires images pinned by digest",
            container_changed(workload(t, "digest", classification="restricted"),
                              lambda c: c.update(image=f"{t.registry}/probe:1")),
            workload(t, "digest-twin", classification="restricted")))  # fmt: skip
        if s.abroad is not None:
            a = s.abroad
            found.append(write(
                "restricted-abroad", f"restricted data of the {a.namespace} stack in a zone of {a.zone.country}",
                f"{RESIDENCY}restricted data of namespace {a.namespace}",
                workload(a, "restricted-abroad", classification="restricted"), workload(a, "restricted-abroad-twin"),
                a))  # fmt: skip
        if s.foreign_law is not None:
            f = s.foreign_law
            found.append(write(
                "foreign-law", f"restricted data in a zone of {f.zone.operator}, not under EU/EEA law",
                f"{RESIDENCY}restricted data in zone {f.zone.id} of",
                workload(f, "foreign-law", classification="restricted"),
                workload(f, "foreign-law-twin"), f))  # fmt: skip
    if "personal" in allowed and s.abroad is not None:
        a = s.abroad
        away = a.zone.country.lower()
        home_country = a.namespace.rsplit("-", 1)[1]
        found.append(write(
            "personal-home", f"personal data of the {a.namespace} stack whose residency leaves its country out",
            f"{RESIDENCY}personal data of namespace {a.namespace}",
            workload(a, "personal-home", classification="personal", residency=away),
            workload(a, "personal-home-twin", classification="personal",
                     residency=".".join(sorted({away, home_country}))), a))  # fmt: skip
    return found


def attacks(
    s: Situation, contract: Contract, federation_names: Sequence[str], other_registries: Sequence[str]
) -> list[Attack]:
    """Every attack of the suite for one tenant, by class."""
    return [*pod_security(s), *network(s, federation_names, contract), *fair_share(s),
            *residency(s, contract, other_registries)]  # fmt: skip
