"""Policy check results as SARIF 2.1.0, for GitHub code scanning (and any other SARIF consumer).

One result per violation, located in the stack file it concerns (the resource as a logical location);
one rule per policy of the pack, with its description, remediation, severity and, as properties, the
GDPR Chapter V articles and EU Cloud Sovereignty Framework objective it serves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from edgefed.policy import ALL_POLICIES
from edgefed.policy.common import COMPLIANCE, GDPR_CHAPTER_V, SOVEREIGNTY_OBJECTIVES
from edgefed_ops.stack.policy_check import StackVerdict

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
PACK_NAME = "edgefed-eu-residency"


def pack_version(pack: Path) -> str:
    """The pack's version (``PulumiPolicy.yaml``)."""
    return str((yaml.safe_load((pack / "PulumiPolicy.yaml").read_text()) or {}).get("version", "0.0.0"))


def _rule(policy: Any) -> dict[str, Any]:
    compliance = COMPLIANCE[policy.name]
    articles = [f"GDPR Art. {a}: {GDPR_CHAPTER_V[a]}" for a in compliance.articles]
    objective = f"{compliance.sovereignty} {SOVEREIGNTY_OBJECTIVES[compliance.sovereignty]}"
    return {
        "id": policy.name,
        "name": "".join(word.capitalize() for word in policy.name.split("-")),
        "shortDescription": {"text": policy.description},
        "fullDescription": {"text": f"{policy.description} Serves {', '.join(articles)}; {objective}."},
        "help": {"text": policy.remediation_steps or policy.description},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": list(policy.tags or []),
            "severity": policy.severity.value,
            "enforcementLevel": policy.enforcement_level.value,
            "gdprChapterV": list(compliance.articles),
            "euCloudSovereigntyObjective": compliance.sovereignty,
            "security-severity": "9.0",
        },
    }


def to_sarif(results: Sequence[StackVerdict], pack: Path) -> dict[str, Any]:
    """The SARIF log of one policy check over ``results`` (a run of the pack at ``pack``)."""
    rules = [_rule(policy) for policy in ALL_POLICIES]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    out: list[dict[str, Any]] = []
    for check in results:
        uri = f"stacks/Pulumi.{check.stack}.yaml"
        for violation in check.violations:
            fingerprint = hashlib.sha256(f"{check.stack}\0{violation.policy}\0{violation.message}".encode()).hexdigest()
            result: dict[str, Any] = {
                "ruleId": violation.policy,
                "level": "error" if violation.level == "mandatory" else "warning",
                "message": {"text": violation.message},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}},
                        "logicalLocations": [
                            {
                                "name": violation.resource,
                                "fullyQualifiedName": f"{check.stack}/{violation.resource}",
                                "kind": "resource",
                            }
                        ],
                    }
                ],
                "partialFingerprints": {"edgefedViolation/v1": fingerprint},
                "properties": {"stack": check.stack},
            }
            if violation.policy in index:
                result["ruleIndex"] = index[violation.policy]
            out.append(result)
    driver = {
        "name": PACK_NAME,
        "version": pack_version(pack),
        "informationUri": "https://github.com/edgefed/edgefed#eu-residency-policy-pack-policieseu-residency",
        "rules": rules,
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": "edgefed/policy-check/"},
                "results": out,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
