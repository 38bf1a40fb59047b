"""Pod isolation: what the Pod Security Standards leave to each zone, as one ValidatingAdmissionPolicy.

Every tenant namespace runs at the *restricted* level of the Pod Security Standards, which the API
server's built-in Pod Security admission enforces on pods (:data:`edgefed.core.objects.tenancy.POD_SECURITY_LABELS`).
This policy judges every workload's pod template (and every new pod) for what *restricted* allows but a
shared zone must not:

- volumes only of kinds that cannot reach the node or the network by themselves: ConfigMaps, Secrets,
  projected and downward-API volumes, emptyDirs with a size limit, claims (whose storage class the tenancy
  guard checks), ephemeral claims of a granted storage class, and image volumes whose image comes from
  the federation's and the tenant's registries; never NFS, iSCSI, CSI inline, gitRepo, hostPath or any
  other node- or network-served volume;
- no scheduling past the scheduler (``nodeName``, another ``schedulerName``);
- only the tolerations and priority classes the tenant's contract is granted in the zone (the namespace's
  rules, :func:`edgefed.core.objects.tenancy.params_data`).

Pure: no Pulumi import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from edgefed.core.objects.admission import VARIABLES, WORKLOAD_RESOURCES, registry_check, tenant_registry

PREFIX = "edgefed isolation: "
SAFE_VOLUMES = ("configMap", "secret", "projected", "downwardAPI", "persistentVolumeClaim")
"""Volume sources that serve only what the API server holds, or a claim the tenancy guard has judged."""
DEFAULT_TOLERATIONS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
"""The tolerations the API server itself adds to every pod (DefaultTolerationSeconds: NoExecute, 300 s)."""
DEFAULT_TOLERATION_SECONDS = 300


def _cel(value: Any) -> str:
    return json.dumps(value)


def _granted(prefix: str) -> str:
    return f"params.data.filter(k, k.startsWith({_cel(prefix)})).map(k, params.data[k])"


def _listed(prefix: str) -> str:
    values = _granted(prefix)
    return f"(size({values}) > 0 ? {values}.join(', ') : 'none')"


def volume_check(registries: Sequence[str]) -> str:
    """CEL over volume ``v``: it is of a kind a shared zone admits."""
    image = "v.image.reference"
    image_ok = f"has(v.image) && has({image}) && {registry_check(registries, image)} && ({tenant_registry(image)})"
    safe = " || ".join(f"has(v.{source})" for source in SAFE_VOLUMES)
    ephemeral = (
        "(has(v.ephemeral) && has(v.ephemeral.volumeClaimTemplate) && "
        "has(v.ephemeral.volumeClaimTemplate.spec.storageClassName) && "
        f"{_granted('storage-class-')}.exists(s, s == v.ephemeral.volumeClaimTemplate.spec.storageClassName))"
    )
    return f"({safe} || (has(v.emptyDir) && has(v.emptyDir.sizeLimit)) || {ephemeral} || ({image_ok}))"


TOLERATION = (
    "(has(t.key) ? t.key : '') + '|' + (has(t.operator) && t.operator != '' ? t.operator : 'Equal') + '|' + "
    "(has(t.value) ? t.value : '') + '|' + (has(t.effect) ? t.effect : '')"
)
"""CEL: toleration ``t`` as :meth:`edgefed.core.inputs.operator_terms.TolerationOffer.canonical` writes it."""


def validations(registries: Sequence[str]) -> list[dict[str, str]]:
    """CEL validations of the pod spec of any workload kind (``variables.podSpec``)."""
    spec = "variables.podSpec"
    volumes = f"(has({spec}.volumes) ? {spec}.volumes : [])"
    volume_ok = volume_check(registries)
    tolerations = f"(has({spec}.tolerations) ? {spec}.tolerations : [])"
    default = (
        f"object.kind == 'Pod' && has(t.key) && t.key in {_cel(list(DEFAULT_TOLERATIONS))} && has(t.operator) && "
        f"t.operator == 'Exists' && has(t.effect) && t.effect == 'NoExecute' && has(t.tolerationSeconds) && "
        f"t.tolerationSeconds == {DEFAULT_TOLERATION_SECONDS}"
    )
    toleration_ok = f"({default}) || {_granted('toleration-')}.exists(g, g == {TOLERATION})"
    priority = f"!has({spec}.priorityClassName) || {spec}.priorityClassName == '' || " \
        f"{_granted('priority-class-')}.exists(p, p == {spec}.priorityClassName)"  # fmt: skip
    return [
        {
            "expression": f"{volumes}.all(v, {volume_ok})",
            "messageExpression": f"'{PREFIX}volume ' + {volumes}.filter(v, !{volume_ok})[0].name + ' is of a kind "
            "a shared zone does not admit: only configMap, secret, projected, downwardAPI, emptyDir with a "
            "sizeLimit, persistentVolumeClaim, ephemeral claims of a granted storage class, and image volumes "
            "from allow-listed registries (never hostPath, nfs, iscsi, csi, gitRepo or another node- or "
            "network-served volume)'",
            "reason": "Forbidden",
        },
        {
            "expression": f"(!has({spec}.nodeName) || {spec}.nodeName == '') && (!has({spec}.schedulerName) || "
            f"{spec}.schedulerName == 'default-scheduler')",
            "message": f"{PREFIX}pods are placed by the zone's scheduler: nodeName and another schedulerName are "
            "not admitted",
            "reason": "Forbidden",
        },
        {
            "expression": f"{tolerations}.all(t, {toleration_ok})",
            "messageExpression": f"'{PREFIX}toleration ' + {tolerations}.filter(t, !({toleration_ok})).map(t, "
            f"{TOLERATION})[0] + ' is not granted to tenant ' + params.data['tenant'] + ' in this zone (granted: ' + "
            f"{_listed('toleration-')} + ')'",
            "reason": "Forbidden",
        },
        {
            "expression": priority,
            "messageExpression": f"'{PREFIX}priority class ' + {spec}.priorityClassName + ' is not granted to tenant "
            f"' + params.data['tenant'] + ' in this zone (granted: ' + {_listed('priority-class-')} + ')'",
            "reason": "Forbidden",
        },
    ]


def isolation_policy(registries: Sequence[str]) -> dict[str, Any]:
    """The ValidatingAdmissionPolicy spec: every workload kind on write, pods when they are created.

    Pods are judged only at creation: the scheduler binds them (``nodeName``) through a subresource, and
    later updates of a pod come from the zone's own controllers.
    """
    rules = [
        {
            "apiGroups": [group],
            "apiVersions": ["*"],
            "operations": ["CREATE", "UPDATE"],
            "resources": [r for r in resources if r not in ("pods", "pods/ephemeralcontainers")],
        }
        for group, resources in WORKLOAD_RESOURCES.items()
    ]
    rules.append({"apiGroups": [""], "apiVersions": ["*"], "operations": ["CREATE"], "resources": ["pods"]})
    return {
        "failurePolicy": "Fail",
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
        "matchConstraints": {"resourceRules": rules},
        "variables": [v for v in VARIABLES if v["name"] == "podSpec"],
        "validations": validations(registries),
    }
