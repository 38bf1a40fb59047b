"""The in-zone half of the residency guarantee: a ValidatingAdmissionPolicy (CEL, no controller).

Generated from the same rule data as the policy pack (label keys and classifications, the EU/EEA list,
the image reference grammar, the registry allow-list and ``requireDigestFor``), so that a ``kubectl
apply`` that bypasses Pulumi gets the verdict the pack would give. ``tests/test_admission_apiserver.py``
sends one corpus through both (the real engine with the pack, a real kube-apiserver with this policy)
and asserts identical verdicts; the intended differences are listed in :data:`INTENDED_DIFFERENCES`.

Only standard CEL is used (``matches`` is RE2 in the API server), no extension library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.geography import geography
from edgefed.core.inputs.images import IMAGE_NAME_MAX, IMAGE_PATTERN
from edgefed.core.rules.host_access import HOST_NAMESPACES, NODE_CAPABILITIES
from edgefed.core.rules.pack_config import Destinations

API_VERSION = "admissionregistration.k8s.io/v1"
WORKLOAD_RESOURCES = {
    "": ["pods", "pods/ephemeralcontainers", "podtemplates", "replicationcontrollers"],
    "apps": ["deployments", "statefulsets", "daemonsets", "replicasets"],
    "batch": ["jobs", "cronjobs"],
}
"""Every workload kind of the pack's ``edgefed.core.rules.kinds`` (patches arrive as updates of these)."""
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
TENANT_PARAMS = "edgefed-tenant"
"""The ConfigMap in each tenant namespace holding the tenant's rules (``edgefed.core.objects.tenancy``)."""
"""Namespaces of the cluster's own components, where tenants have no rights: not bound."""
INTENDED_DIFFERENCES = {
    "system-namespace": "the zone does not check kube-system, kube-public and kube-node-lease (the cluster's "
    "own components run there and tenants cannot write there); the pack checks every workload it is given",
    "stack-rules": "cross-border and exposure-path rules need the whole stack; a zone sees only itself",
    "namespaces": "the pack requires residency labels on the Namespaces a stack creates; the zone admits any "
    "namespace and checks the workloads inside it",
    "tenant-namespace": "the zone admits workloads only in a tenant's namespace (whose rules are its parameters) "
    "and refuses them anywhere else, default included; the pack judges a workload by its own labels",
}
"""Where the zone's verdict may differ from the pack's, on purpose."""


def _cel(value: Any) -> str:
    return json.dumps(value)


def _case_variants(code: str) -> list[str]:
    """Every spelling of a two-letter code in upper and lower case (``fr``, ``fR``, ``Fr``, ``FR``)."""
    variants = [""]
    for char in code.lower():
        variants = [v + c for v in variants for c in (char, char.upper())]
    return variants


def residency_pattern(country: str) -> str:
    """RE2 for a residency label value allowed in ``country``: ``eu`` or EU/EEA codes that include it."""
    codes = "|".join(sorted(geography().eea))
    return rf"^(?i)(eu|(({codes})\.)*{country.upper()}(\.({codes}))*)$"


def docker_hub_implied(image: str = "c.image") -> str:
    """CEL over the image reference ``image``: it names no registry, so it comes from Docker Hub.

    No '/' before the name, or a first part without '.' or ':'.
    """
    return f"({image}.matches('^([^/]+|[^./:]+/.*)$') && !{image}.startsWith('localhost/'))"


DOCKER_HUB_IMPLIED = docker_hub_implied()
"""CEL over container ``c``: its image comes from Docker Hub."""


def registry_check(registries: Sequence[str], image: str = "c.image") -> str:
    """CEL over the image reference ``image``: its registry host (Docker's rule for the first part) is listed."""
    hosts = [r for r in registries if r != "docker.io"]
    checks = [f"{image}.startsWith({_cel(host + '/')})" for host in hosts]
    if "docker.io" in registries:
        checks.append(docker_hub_implied(image))
        checks.append(f"{image}.startsWith('docker.io/')")
    return "(" + " || ".join(checks or ["false"]) + ")"


_registry_check = registry_check


VARIABLES = [
    {
        "name": "podSpec",
        "expression": "object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? "
        "object.spec.jobTemplate.spec.template.spec : (object.kind == 'PodTemplate' ? object.template.spec : "
        "object.spec.template.spec))",
    },
    {
        "name": "templateLabels",
        "expression": "object.kind == 'Pod' ? {} : (object.kind == 'CronJob' ? "
        "(has(object.spec.jobTemplate.spec.template.metadata) && "
        "has(object.spec.jobTemplate.spec.template.metadata.labels) ? "
        "object.spec.jobTemplate.spec.template.metadata.labels : {}) : (object.kind == 'PodTemplate' ? "
        "(has(object.template.metadata) && has(object.template.metadata.labels) ? "
        "object.template.metadata.labels : {}) : (has(object.spec.template.metadata) && "
        "has(object.spec.template.metadata.labels) ? object.spec.template.metadata.labels : {})))",
    },
    {
        "name": "places",
        "expression": "(has(object.metadata.labels) ? [object.metadata.labels] : [{}]) + "
        "(object.kind == 'Pod' ? [] : [variables.templateLabels])",
    },
    {
        "name": "containers",
        "expression": "variables.podSpec.containers + (has(variables.podSpec.initContainers) ? "
        "variables.podSpec.initContainers : []) + (has(variables.podSpec.ephemeralContainers) ? "
        "variables.podSpec.ephemeralContainers : [])",
    },
]
"""CEL variables: the pod spec of any workload kind, the label maps to check (the object's and its pod
template's, as the pack checks both), and every container (init and ephemeral included)."""


def _classification_variable(classifications: Sequence[str]) -> dict[str, str]:
    """The most sensitive classification the places declare; missing or unknown counts as restricted."""
    key = _cel(labels.CLASSIFICATION)
    unknown = f"variables.places.exists(l, !({key} in l) || !(l[{key}] in {_cel(list(classifications))}))"
    expression = f"{unknown} ? {_cel(classifications[-1])} : "
    for value in reversed(classifications[1:]):
        expression += f"(variables.places.exists(l, l[{key}] == {_cel(value)}) ? {_cel(value)} : "
    expression += _cel(classifications[0]) + ")" * (len(classifications) - 1)
    return {"name": "classification", "expression": expression}


def validations(
    country: str,
    zone: str,
    operator: str,
    registries: Sequence[str],
    digest_for: Sequence[str],
    foreign_law: str | None = None,
    law_classes: Sequence[str] = ("restricted",),
) -> list[dict[str, str]]:
    """CEL validations for one zone, in the pack's order: labels, values, images, digests, then where data lives."""
    keys = _cel(list(labels.WORKLOAD_KEYS))
    required = ", ".join(labels.WORKLOAD_KEYS)
    c_key, z_key, o_key, r_key = (_cel(k) for k in (labels.COUNTRY, labels.ZONE, labels.OPERATOR, labels.RESIDENCY))
    k_key = _cel(labels.CLASSIFICATION)
    countries = _cel(_case_variants(country))
    listed = _registry_check(registries)
    allowed = ", ".join(registries)
    name_length = rf"^[a-zA-Z0-9./:_-]{{1,{IMAGE_NAME_MAX}}}(:[\w][\w.-]{{0,127}})?(@sha256:[a-f0-9]{{64}})?$"
    residency = _cel(residency_pattern(country))
    readable = f"c.image.matches({_cel(IMAGE_PATTERN)}) && c.image.matches({_cel(name_length)})"
    return [
        {
            "expression": f"variables.places.all(l, {keys}.all(k, k in l && l[k] != ''))",
            "message": f"edgefed residency: a workload and its pod template must carry the labels {required}",
            "reason": "Forbidden",
        },
        {
            "expression": f"variables.places.all(l, !({k_key} in l) || l[{k_key}] in "
            f"{_cel(list(labels.CLASSIFICATIONS))})",
            "message": "edgefed residency: edgefed.io/data-classification must be one of "
            + ", ".join(labels.CLASSIFICATIONS),
            "reason": "Forbidden",
        },
        {
            # Missing labels are the first validation's finding; this one compares the labels present.
            "expression": f"variables.places.all(l, (!({c_key} in l) || l[{c_key}] in {countries}) && "
            f"(!({z_key} in l) || l[{z_key}] == {_cel(zone)}) && (!({o_key} in l) || l[{o_key}] == {_cel(operator)}))",
            "message": f"edgefed residency: this is zone {zone} of {operator} in {country}; the workload's "
            f"{labels.COUNTRY}, {labels.ZONE} and {labels.OPERATOR} labels must say so",
            "reason": "Forbidden",
        },
        {
            "expression": f"variables.places.all(l, !({r_key} in l) || l[{r_key}].matches({residency}))",
            "message": f"edgefed residency: {labels.RESIDENCY} must be 'eu' or EU/EEA country codes joined by '.' "
            f"that include {country.lower()}",
            "reason": "Forbidden",
        },
        {
            "expression": f"variables.containers.all(c, {readable})",
            "messageExpression": f"'edgefed residency: image ' + variables.containers.filter(c, !({readable}))[0].image"
            f" + ' is not an image reference edgefed can read'",
            "reason": "Forbidden",
        },
        {
            "expression": f"variables.containers.all(c, {listed})",
            "messageExpression": f"'edgefed residency: image ' + variables.containers.filter(c, !{listed})[0].image + "
            f"' is not from an allow-listed registry ({allowed})'",
            "reason": "Forbidden",
        },
        {
            "expression": f"!(variables.classification in {_cel(list(digest_for))}) || "
            "variables.containers.all(c, c.image.matches('@sha256:[a-f0-9]{64}$'))",
            "messageExpression": "'edgefed residency: ' + variables.classification + "
            "' data requires images pinned by digest (image@sha256:...)'",
            "reason": "Forbidden",
        },
        template_class_validation(),
        host_access_validation(),
        *tenant_validations(listed),
        *stack_residency_validations(country, zone),
        *jurisdiction_validations(zone, foreign_law, law_classes),
    ]


CLASS_RANK = _cel({value: rank for rank, value in enumerate(labels.CLASSIFICATIONS)})
"""CEL map: a data classification's rank, least to most sensitive."""


def template_class_validation() -> dict[str, str]:
    """A pod template declares at least its workload's classification: the strictest wins, never the weaker.

    Missing or unknown values are the label validations' findings; this one compares two known values.
    """
    key = _cel(labels.CLASSIFICATION)

    def known(i: int) -> str:
        return f"{key} in variables.places[{i}] && variables.places[{i}][{key}] in {CLASS_RANK}"

    both = f"object.kind != 'Pod' && {known(0)} && {known(1)}"
    weaker = f"{CLASS_RANK}[variables.places[1][{key}]] < {CLASS_RANK}[variables.places[0][{key}]]"
    return {
        "expression": f"!({both}) || !({weaker})",
        "messageExpression": f"'edgefed residency: the pod template declares ' + variables.places[1][{key}] + ' "
        f"data, weaker than its workload (' + variables.places[0][{key}] + '); the template must declare at least "
        "the class of its workload (the strictest one wins)'",
        "reason": "Forbidden",
    }


def stack_residency_validations(country: str, zone: str) -> list[dict[str, str]]:
    """Restricted data stays in its stack's country; personal data's residency includes its stack's country.

    The stack's country is the namespace's (its tenant rules' ``country``, set by the operator), never a
    label of the workload: a restricted workload of the German stack is refused in a French zone whatever
    it says of itself. The pack judges the same from the namespace's name
    (:func:`edgefed.core.rules.residency_labels.check_stack_residency`).
    """
    r_key = _cel(labels.RESIDENCY)
    # RE2, case-insensitive: 'eu', or two-letter codes joined by '.' among which the stack's country is.
    pattern = "'^(?i)(eu|([a-z]{2}[.])*' + params.data['country'] + '([.][a-z]{2})*)$'"
    includes = f"variables.places.all(l, !({r_key} in l) || l[{r_key}].matches({pattern}))"
    return [
        {
            "expression": f"variables.classification != 'restricted' || params.data['country'] == {_cel(country)}",
            "messageExpression": "'edgefed residency: restricted data of namespace ' + object.metadata.namespace + "
            f"' (stack of ' + params.data['country'] + ') may not run in zone {zone} ({country}); "
            "restricted data stays in the country of its stack'",
            "reason": "Forbidden",
        },
        {
            "expression": f"variables.classification != 'personal' || {includes}",
            "messageExpression": "'edgefed residency: personal data of namespace ' + object.metadata.namespace + "
            "' (stack of ' + params.data['country'] + ') must keep the country of its stack in its "
            f"{labels.RESIDENCY}'",
            "reason": "Forbidden",
        },
    ]


def jurisdiction_validations(zone: str, foreign_law: str | None, law_classes: Sequence[str]) -> list[dict[str, str]]:
    """The pack's ``require-eu-jurisdiction`` in a zone whose operator is not under EU/EEA law (none otherwise)."""
    if foreign_law is None:
        return []
    classes = ", ".join(law_classes)
    return [
        {
            "expression": f"!(variables.classification in {_cel(list(law_classes))})",
            "messageExpression": "'edgefed residency: ' + variables.classification + "
            f"' data in zone {zone} of {foreign_law}; rule require-eu-jurisdiction allows {classes} data only on "
            "operators whose home jurisdiction is in the EU/EEA'",
            "reason": "Forbidden",
        }
    ]


def host_access_validation() -> dict[str, str]:
    """CEL of :mod:`edgefed.core.rules.host_access`: only public data reaches the node.

    ``false`` and port 0 count as off, as in the pack; a missing or unknown classification counts as
    restricted (``variables.classification``).
    """
    spec = "variables.podSpec"
    capabilities = [*NODE_CAPABILITIES, *(f"CAP_{name}" for name in NODE_CAPABILITIES)]
    namespaces = " && ".join(f"!(has({spec}.{field}) && {spec}.{field})" for field in HOST_NAMESPACES)
    containers = (
        "variables.containers.all(c, (!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)) && "
        "!(has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged) && "
        "!(has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.add) "
        f"&& c.securityContext.capabilities.add.exists(k, k.upperAscii() in {_cel(capabilities)})))"
    )
    volumes = f"(!has({spec}.volumes) || {spec}.volumes.all(v, !has(v.hostPath)))"
    return {
        "expression": f"variables.classification == 'public' || ({namespaces} && {containers} && {volumes})",
        "messageExpression": "'edgefed residency: ' + variables.classification + \" data may not use the node's "
        "network, processes or disks (hostNetwork, hostPID, hostIPC, hostPort, privileged or node capabilities, "
        'hostPath); only public data may"',
        "reason": "Forbidden",
    }


def tenant_registry(image: str = "c.image") -> str:
    """CEL over the image reference ``image``: it comes from one of the tenant's registries (the namespace's rules)."""
    return (
        f"params.data.exists(k, k.startsWith('registry-') && ({image}.startsWith(params.data[k] + '/') || "
        f"(params.data[k] == 'docker.io' && {docker_hub_implied(image)})))"
    )


TENANT_REGISTRY = tenant_registry()
"""CEL over container ``c``: its image comes from one of the tenant's registries (the namespace's rules)."""


def tenant_validations(federation_listed: str) -> list[dict[str, str]]:
    """The namespace's tenant rules (``params``, its ConfigMap): the tenant's data classes and registries.

    Each tenant's workloads are judged by its own contract, never another tenant's: the rules are bound
    per namespace, and a namespace without them admits no workload. An image the federation's list
    already refuses is not refused twice.
    """
    tenant_listed = f"(!{federation_listed} || {TENANT_REGISTRY})"
    return [
        {
            "expression": "params.data.exists(k, k.startsWith('class-') && params.data[k] == variables.classification)",
            "messageExpression": "'edgefed tenancy: tenant ' + params.data['tenant'] + ' may not run ' + "
            "variables.classification + ' data (its contract lists the data classes it may run)'",
            "reason": "Forbidden",
        },
        {
            "expression": f"variables.containers.all(c, {tenant_listed})",
            "messageExpression": "'edgefed tenancy: image ' + "
            f"variables.containers.filter(c, !{tenant_listed})[0].image + ' is not from a registry of tenant ' "
            "+ params.data['tenant'] + \"'s contract\"",
            "reason": "Forbidden",
        },
    ]


def admission_policy(
    name: str,
    country: str,
    zone: str,
    operator: str,
    registries: Sequence[str],
    digest_for: Sequence[str] = ("restricted",),
    foreign_law: str | None = None,
    law_classes: Sequence[str] = ("restricted",),
) -> dict[str, Any]:
    """The ValidatingAdmissionPolicy spec for one zone (``name`` is kept for the binding's reference).

    ``foreign_law`` says why the zone's operator is not under EU/EEA law (``None`` when it is): the zone
    then refuses the pack config's ``law_classes`` as the pack's ``require-eu-jurisdiction`` does.
    """
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError(f"admission policy {name}: {country!r} is not an ISO country code")
    return {
        "failurePolicy": "Fail",
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [group],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": resources,
                }
                for group, resources in WORKLOAD_RESOURCES.items()
            ]
        },
        "variables": [*VARIABLES, _classification_variable(labels.CLASSIFICATIONS)],
        "validations": validations(country, zone, operator, registries, digest_for, foreign_law, law_classes),
    }


def admission_binding(policy_name: str) -> dict[str, Any]:
    """The binding that applies the policy, denying, in every namespace but the cluster's own.

    Cluster-wide rather than in the tenants' namespaces: anyone who may create a namespace (or who writes
    to ``default``) would otherwise run unchecked workloads there, and a label selector would let them
    opt out by leaving the label off. Each namespace's own tenant rules are its parameters.
    """
    return {
        "policyName": policy_name,
        "validationActions": ["Deny"],
        # The tenant's rules come from its own namespace; a namespace without them admits no workload.
        "paramRef": {"name": TENANT_PARAMS, "parameterNotFoundAction": "Deny"},
        "matchResources": {
            "namespaceSelector": {
                "matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": list(SYSTEM_NAMESPACES)}
                ]
            }
        },
    }


OUTBOUND_RESOURCES = {
    "": ["services"],
    "admissionregistration.k8s.io": ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"],
}
"""What :mod:`edgefed.core.rules.outbound` judges: Services (ExternalName) and webhook configurations."""


def outbound_policy(country: str, destinations: Destinations) -> dict[str, Any]:
    """The zone's second ValidatingAdmissionPolicy: the pack's outbound rules (ExternalName, webhook URLs) as CEL.

    An ExternalName Service (a Service naming an ``externalName``) is admitted only when it aliases a name
    the pack config allows in the zone's ``country`` (lower case, without the root's trailing dot), whatever
    the Service's own labels say (any pod of the namespace can call the alias); a webhook configuration
    only when no webhook's ``clientConfig`` is a URL.
    """
    names = _cel(list(destinations.names_in([country.upper()])))
    service = (
        "object.kind != 'Service' || !(object.spec.type == 'ExternalName' || (has(object.spec.externalName) && "
        f"object.spec.externalName != '')) || variables.alias in {names} || "
        f"(variables.alias.endsWith('.') && variables.alias.substring(0, size(variables.alias) - 1) in {names})"
    )
    webhooks = (
        "!(object.kind in ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) || "
        "!has(object.webhooks) || object.webhooks.all(w, !has(w.clientConfig.url))"
    )
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {"apiGroups": [group], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"], "resources": found}
                for group, found in OUTBOUND_RESOURCES.items()
            ]
        },
        "variables": [
            {
                "name": "alias",
                "expression": "object.kind == 'Service' && has(object.spec.externalName) ? "
                "object.spec.externalName.lowerAscii() : ''",
            }
        ],
        "validations": [
            {
                "expression": service,
                "messageExpression": "'edgefed residency: ExternalName Service ' + object.metadata.name + ' sends what "
                "its clients send to ' + object.spec.externalName + ', outside the zone; only a name the federation "
                f"allows in {country.upper()} may be aliased'",
                "reason": "Forbidden",
            },
            {
                "expression": webhooks,
                "message": "edgefed residency: a webhook whose clientConfig is a URL receives every object it matches "
                "from the API server; webhooks must name a Service inside the zone",
                "reason": "Forbidden",
            },
        ],
    }


def outbound_binding(policy_name: str) -> dict[str, Any]:
    """Every namespace but the cluster's own, and every cluster-scoped webhook configuration."""
    return {
        "policyName": policy_name,
        "validationActions": ["Deny"],
        "matchResources": {
            "namespaceSelector": {
                "matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": list(SYSTEM_NAMESPACES)}
                ]
            }
        },
    }
