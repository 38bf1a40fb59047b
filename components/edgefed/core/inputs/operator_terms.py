"""An operator's terms for its zones: what it offers tenants beyond CPU and memory, and each namespace's share.

``stacks/tenants/<family>/operators/<operator>.yaml``, beside the family's contracts, owned by the
operator: its storage classes, priority classes and tolerations (a contract grants a tenant some of
them by name), the object counts every tenant namespace of its zones may hold, and which tenants it
lets open node ports (a range of its own each) or load balancers. Validated at load against what the
federation forbids: a storage class served from the node's disks, a priority class that could preempt
the operator's own workloads, a toleration of the control plane's or the node conditions' taints, node
port ranges that overlap. An error names the file and the field. Pure: no Pulumi import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from edgefed.core.inputs.catalog import Catalog
from edgefed.core.inputs.contract import Contract
from edgefed.core.inputs.errors import ConfigError, field_error, validate
from edgefed.core.inputs.fields import Name, StrictModel
from edgefed.core.inputs.yamlfile import load_yaml

TERMS_FOLDER = "operators"
"""The folder of the operators' terms inside a family's contracts folder."""
TENANT_PRIORITY_CEILING = 100_000
"""The highest priority a tenant's pods may run at: above it run the operator's own workloads (its CNI,
monitoring, DNS), which no tenant may preempt. Kubernetes' own classes start at 2,000,000,000."""
NODE_PORTS = (30000, 32767)
"""The API server's default NodePort range: a tenant's range lies inside it."""
NODE_LOCAL_PROVISIONERS = (
    "kubernetes.io/host-path",
    "kubernetes.io/no-provisioner",
    "rancher.io/local-path",
    "hostpath.csi.k8s.io",
    "k8s.io/minikube-hostpath",
    "microk8s.io/hostpath",
    "openebs.io/local",
    "local.csi.openebs.io",
    "topolvm.io",
    "lvm.csi.metal-stack.io",
)
"""Provisioners that serve volumes from a node's own disks or paths: a claim would give the tenant the node's
filesystem, and bind its pods to one node. Any provisioner whose name says host-path or local-path is one too."""
_NODE_LOCAL_WORDS = re.compile(r"host-?path|local-?path", re.IGNORECASE)
RESERVED_TAINTS = ("node-role.kubernetes.io/", "node.kubernetes.io/", "node.cloudprovider.kubernetes.io/")
"""Taint key prefixes of the control plane, node conditions and cloud bootstrap: tolerating them puts a pod on
a control-plane node, on a node that is failing, or keeps it there when the node is drained."""
_PROVISIONER = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$")
_TAINT_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


class StorageClassOffer(StrictModel):
    """A storage class of the operator's zones, whose claims a contract may grant."""

    name: Name
    """The StorageClass's name in every zone of the operator. No default."""
    provisioner: Annotated[str, Field(pattern=_PROVISIONER.pattern, max_length=253)]
    """The volume provisioner (a CSI driver name). No default. Never one that serves the node's own disks or
    paths (:data:`NODE_LOCAL_PROVISIONERS`)."""
    parameters: Mapping[str, str] = Field(default_factory=dict)
    """The provisioner's parameters. Default none."""
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"
    """What happens to a volume when its claim is deleted. Default Delete: a released volume never waits to be
    bound by another tenant's claim."""

    @model_validator(mode="after")
    def _not_node_local(self) -> StorageClassOffer:
        if self.provisioner in NODE_LOCAL_PROVISIONERS or _NODE_LOCAL_WORDS.search(self.provisioner):
            raise field_error(
                "provisioner",
                f"{self.provisioner!r} serves volumes from the node's own disks or paths, which the federation "
                "forbids tenants (a claim would reach the node's filesystem); use a network or block provisioner",
            )
        return self


class PriorityClassOffer(StrictModel):
    """A priority class of the operator's zones, which a contract may grant."""

    name: Name
    """The PriorityClass's name. No default. Never ``system-...`` (Kubernetes' own)."""
    value: Annotated[int, Field(ge=0)]
    """The priority. No default; at most :data:`TENANT_PRIORITY_CEILING`, below the operator's own workloads."""
    preemption: Literal["Never", "PreemptLowerPriority"] = "Never"
    """Whether pods of this class evict lower ones to get scheduled. Default Never: a tenant's pods never evict
    a neighbour's to start."""

    @model_validator(mode="after")
    def _not_privileged(self) -> PriorityClassOffer:
        if self.name.startswith("system-"):
            raise field_error("name", f"{self.name!r}: names starting with 'system-' are Kubernetes' own classes")
        if self.value > TENANT_PRIORITY_CEILING:
            raise field_error(
                "value",
                f"{self.value} is above {TENANT_PRIORITY_CEILING:,}, where the operator's own workloads run; a "
                f"tenant's pods could preempt them (allowed: 0 to {TENANT_PRIORITY_CEILING:,})",
            )
        return self


class TolerationOffer(StrictModel):
    """A taint of some of the operator's nodes that a contract may let a tenant's pods tolerate."""

    name: Name
    """How contracts name it. No default."""
    key: Annotated[str, Field(pattern=_TAINT_KEY.pattern, max_length=316)]
    """The taint's key. No default: a toleration without a key tolerates every taint, the control plane's too."""
    operator: Literal["Equal", "Exists"]
    """``Equal`` (the value must match) or ``Exists`` (any value). No default."""
    value: str = ""
    """The taint's value, for ``Equal``. Default empty."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    """The taint's effect. No default: an empty effect tolerates every effect of the key."""

    @model_validator(mode="after")
    def _not_reserved(self) -> TolerationOffer:
        if self.key.startswith(RESERVED_TAINTS):
            raise field_error(
                "key",
                f"{self.key!r} is a taint of the control plane, of a node condition or of cloud bootstrap; "
                f"tolerating it is forbidden to tenants (reserved prefixes: {', '.join(RESERVED_TAINTS)})",
            )
        if self.operator == "Exists" and self.value:
            raise field_error("value", "must be empty when operator is Exists")
        return self

    def canonical(self) -> str:
        """The toleration as the zone's admission policy compares it: ``key|operator|value|effect``."""
        return f"{self.key}|{self.operator}|{self.value}|{self.effect}"


class NamespaceQuota(StrictModel):
    """What every tenant namespace of the operator's zones may hold besides CPU, memory and GPUs.

    Counts are the tenant's own objects; the operator's (its default-deny and DNS policies, the tenant's
    rules, the namespace's CA bundle) are added on top by the zone stack. No defaults: the operator states
    what a tenant's share is.
    """

    pods: Annotated[int, Field(ge=1)]
    """Pods, whatever their state. No default."""
    services: Annotated[int, Field(ge=0)]
    """Services. No default."""
    config_maps: Annotated[int, Field(ge=0)]
    """ConfigMaps of the tenant. No default."""
    secrets: Annotated[int, Field(ge=0)]
    """Secrets. No default."""
    network_policies: Annotated[int, Field(ge=0)]
    """NetworkPolicies of the tenant. No default."""
    pod_disruption_budgets: Annotated[int, Field(ge=0)]
    """PodDisruptionBudgets. No default."""
    persistent_volume_claims: Annotated[int, Field(ge=0)]
    """PersistentVolumeClaims. No default."""
    storage_gib: Annotated[float, Field(ge=0)]
    """GiB of storage all claims may request together. No default."""
    ephemeral_storage_gib: Annotated[float, Field(gt=0)]
    """GiB of ephemeral storage (container writable layers, logs, emptyDirs on disk) all pods may request and be
    limited to together. No default."""


class NodePortRange(StrictModel):
    """A range of node ports one tenant's Services may open on the operator's nodes."""

    first: Annotated[int, Field(ge=NODE_PORTS[0], le=NODE_PORTS[1])]
    """The first port. No default."""
    last: Annotated[int, Field(ge=NODE_PORTS[0], le=NODE_PORTS[1])]
    """The last port (inclusive). No default."""

    @model_validator(mode="after")
    def _ordered(self) -> NodePortRange:
        if self.last < self.first:
            raise field_error("last", f"{self.last} is below first ({self.first})")
        return self

    @property
    def size(self) -> int:
        """How many node ports the range holds."""
        return self.last - self.first + 1


class OperatorTerms(StrictModel):
    """One operator's terms for every zone it runs."""

    operator: Name
    """The operator (a catalog operator id, equal to the file name). No default."""
    namespace_quota: NamespaceQuota
    """Each tenant namespace's share of the zone besides its contract's CPU, memory and GPUs. No default."""
    storage_classes: tuple[StorageClassOffer, ...] = ()
    """Storage classes the operator offers. Default none: tenants then claim no volumes."""
    priority_classes: tuple[PriorityClassOffer, ...] = ()
    """Priority classes the operator offers. Default none: tenants' pods run at the default priority."""
    tolerations: tuple[TolerationOffer, ...] = ()
    """Taints the operator lets contracts tolerate. Default none."""
    node_ports: Mapping[Name, NodePortRange] = Field(default_factory=dict)
    """Per tenant, the node ports its Services may open. Default none: no tenant opens a node port."""
    load_balancers: Mapping[Name, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    """Per tenant, how many LoadBalancer Services each of its namespaces may hold. Default none."""

    @model_validator(mode="after")
    def _consistent(self) -> OperatorTerms:
        for kind in ("storage_classes", "priority_classes", "tolerations"):
            names = [offer.name for offer in getattr(self, kind)]
            for i, name in enumerate(names):
                if name in names[:i]:
                    raise field_error(f"{kind}[{i}].name", f"{name!r} is offered twice")
        ranges = sorted(self.node_ports.items(), key=lambda item: item[1].first)
        for (before, low), (tenant, high) in pairwise(ranges):
            if high.first <= low.last:
                raise field_error(
                    f"node_ports.{tenant}",
                    f"{high.first}-{high.last} overlaps {before}'s range {low.first}-{low.last}; each tenant's node "
                    "ports are its own",
                )
        return self

    def offered(self, kind: str) -> tuple[str, ...]:
        """Names of the operator's ``storage_classes``, ``priority_classes`` or ``tolerations``."""
        return tuple(offer.name for offer in getattr(self, kind))


def load_operator_terms(folder: Path, catalog: Catalog, contracts: Mapping[str, Contract]) -> dict[str, OperatorTerms]:
    """Every operator's terms in a family's contracts ``folder`` (``<folder>/operators/<operator>.yaml``), by operator.

    Each is validated against the catalog (its operator) and the contracts (the tenants it names, the grants
    they hold); a contract granting what no operator of its zones offers is refused, naming the contract.
    """
    terms: dict[str, OperatorTerms] = {}
    for path in sorted((folder / TERMS_FOLDER).glob("*.yaml")):
        found = validate(OperatorTerms, load_yaml(path), str(path))
        problems: list[tuple[str, str]] = []
        if found.operator != path.stem:
            problems.append(("operator", f"{found.operator!r} must equal the file name {path.stem!r}"))
        if found.operator not in catalog.operator_by_id:
            problems.append(("operator", f"{found.operator!r} is not an operator of the catalog; allowed: "
                             f"{', '.join(sorted(catalog.operator_by_id))}"))  # fmt: skip
        for kind in ("node_ports", "load_balancers"):
            for tenant in getattr(found, kind):
                if tenant not in contracts:
                    problems.append((f"{kind}.{tenant}", f"{tenant!r} has no contract in {folder}; tenants: "
                                     f"{', '.join(sorted(contracts)) or 'none'}"))  # fmt: skip
        if problems:
            raise ConfigError(str(path), problems)
        terms[found.operator] = found
    for contract in contracts.values():
        _check_grants(contract, catalog, terms, folder)
    return terms


def terms_of(terms: Mapping[str, OperatorTerms], operator: str, folder: Path) -> OperatorTerms:
    """One operator's terms; their absence is an error naming the file the operator must write."""
    found = terms.get(operator)
    if found is None:
        path = folder / TERMS_FOLDER / f"{operator}.yaml"
        raise ConfigError(str(path), [("", f"is missing: operator {operator} states its terms for tenants there "
                                           "(namespace_quota at least) before its zones take tenants")])  # fmt: skip
    return found


def _check_grants(contract: Contract, catalog: Catalog, terms: Mapping[str, OperatorTerms], folder: Path) -> None:
    """What a contract grants by name must be offered by an operator of a zone it allocates."""
    operators = sorted(
        {catalog.zone_by_id[zone].operator for zones in contract.allocations.values() for zone in zones} & terms.keys()
    )
    problems = []
    for kind in ("storage_classes", "priority_classes", "tolerations"):
        offered = {name for operator in operators for name in terms[operator].offered(kind)}
        for i, name in enumerate(getattr(contract.grants, kind)):
            if name not in offered:
                problems.append((f"grants.{kind}[{i}]", f"{name!r} is offered by no operator of the contract's zones "
                                 f"({', '.join(operators) or 'none with terms'}); offered: "
                                 f"{', '.join(sorted(offered)) or 'none'}"))  # fmt: skip
    if problems:
        raise ConfigError(str(folder / f"{contract.tenant}.yaml"), problems)
