"""The in-zone half of the residency guarantee: a ValidatingAdmissionPolicy (CEL, no controller).

Generated from the same rule data as the policy pack (the residency label keys, the registry
allow-list, the digest rule for restricted data), so that a ``kubectl apply`` that bypasses Pulumi is
refused by the zone's own API server in the tenant namespace.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from edgefed import labels

API_VERSION = "admissionregistration.k8s.io/v1"
WORKLOAD_RESOURCES = {
    "": ["pods"],
    "apps": ["deployments", "statefulsets", "daemonsets", "replicasets"],
    "batch": ["jobs", "cronjobs"],
}


def _cel_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def validations(country: str, zone: str, registries: Sequence[str]) -> list[dict[str, str]]:
    """CEL validations for one zone: labels present and matching, images allow-listed, digests for restricted."""
    keys = _cel_list(labels.RESIDENCY_KEYS)
    allowed = ", ".join(registries)
    listed = f"{_cel_list(registries)}.exists(r, c.image.startsWith(r + '/'))"
    required = ", ".join(labels.RESIDENCY_KEYS)
    lower = country.lower()
    return [
        {
            "expression": f"has(object.metadata.labels) && {keys}.all(k, k in object.metadata.labels)",
            "message": f"edgefed residency: workloads in this namespace must carry the labels {required}",
            "reason": "Forbidden",
        },
        {
            # Missing labels are the first validation's finding; this one only compares present labels.
            "expression": f"!has(object.metadata.labels) || !{keys}.all(k, k in object.metadata.labels) || "
            f"(object.metadata.labels[{json.dumps(labels.COUNTRY)}] == {json.dumps(lower)} && "
            f"object.metadata.labels[{json.dumps(labels.ZONE)}] == {json.dumps(zone)})",
            "messageExpression": f"'edgefed residency: this is zone {zone} in {country}; {labels.COUNTRY}=' + "
            f"object.metadata.labels[{json.dumps(labels.COUNTRY)}] + ' and {labels.ZONE}=' + "
            f"object.metadata.labels[{json.dumps(labels.ZONE)}] + ' do not match'",
            "reason": "Forbidden",
        },
        {
            "expression": f"variables.containers.all(c, {listed})",
            "messageExpression": f"'edgefed residency: image ' + variables.containers.filter(c, !{listed})[0].image + "
            f"' is not from an allow-listed registry ({allowed})'",
            "reason": "Forbidden",
        },
        {
            "expression": f"!({json.dumps(labels.CLASSIFICATION)} in object.metadata.labels) || "
            f"object.metadata.labels[{json.dumps(labels.CLASSIFICATION)}] != 'restricted' || "
            "variables.containers.all(c, c.image.contains('@sha256:'))",
            "message": "edgefed residency: restricted data requires images pinned by digest (image@sha256:...)",
            "reason": "Forbidden",
        },
    ]


VARIABLES = [
    {
        "name": "podSpec",
        "expression": "object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? "
        "object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)",
    },
    {
        "name": "containers",
        "expression": "variables.podSpec.containers + (has(variables.podSpec.initContainers) ? "
        "variables.podSpec.initContainers : [])",
    },
]
"""CEL variables: the pod spec of any workload kind, and all its containers."""


def admission_policy(name: str, country: str, zone: str, registries: Sequence[str]) -> dict[str, Any]:
    """The ValidatingAdmissionPolicy spec for one zone."""
    return {
        "failurePolicy": "Fail",
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
        "variables": VARIABLES,
        "validations": validations(country, zone, registries),
    }


def admission_binding(policy_name: str, namespace: str) -> dict[str, Any]:
    """The binding that applies the policy, denying, in the tenant namespace only."""
    return {
        "policyName": policy_name,
        "validationActions": ["Deny"],
        "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}},
    }
