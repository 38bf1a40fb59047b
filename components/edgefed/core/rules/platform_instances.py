"""enforce-platform-instance-residency: an app instance made through an operator's platform is judged like a workload.

A ``PlatformAppInstance`` (CAMARA ``createAppInstance``) names the platform it calls and the zone by the
platform's id: the rule finds the zone in the catalog from those two facts (the platform root must be the
zone's own operator's), never from the zone name the resource declares about itself, and refuses what it
cannot place so. Then, as for a workload: the zone is in an allowed country and in the app's residency;
data of a class bound to EU law runs only on an operator under EU/EEA law; restricted data stays in the
country of its stack; the image comes from an allow-listed registry, pinned by digest where the class
requires. An unknown class counts as restricted. Pure: no Pulumi import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.endpoints import api_endpoint_key
from edgefed.core.inputs.images import parse_image
from edgefed.core.inputs.jurisdiction import jurisdiction_problem
from edgefed.core.rules.common import Finding, allowed_list, shown

if TYPE_CHECKING:
    from edgefed.core.inputs.catalog import Catalog, Zone

RULE = "enforce-platform-instance-residency"
MODULE = "edgefed"
APP_TYPE = f"pulumi-python:dynamic/{MODULE}:PlatformApp"
INSTANCE_TYPE = f"pulumi-python:dynamic/{MODULE}:PlatformAppInstance"
REQUIRED = ("platform_api", "edge_cloud_zone_id", "zone", "country", "image", "data_classification", "residency")


def target_zone(catalog: Catalog, platform_api: str, platform_id: str) -> Zone | None:
    """The catalog zone with this platform id whose operator's platform is ``platform_api``."""
    key = api_endpoint_key(platform_api)
    for zone in catalog.zones:
        operator = catalog.operator_by_id.get(zone.operator)
        root = operator.platform_api if operator else None
        if zone.platform_id == platform_id and root and key is not None and api_endpoint_key(root) == key:
            return zone
    return None


def check_platform_instance(
    name: str,
    props: Mapping[str, Any],
    catalog: Catalog,
    allowed_countries: Sequence[str],
    law_classes: Sequence[str],
    registries: Sequence[str],
    digest_for: Sequence[str],
) -> list[Finding]:
    """Every finding of one platform instance (none: compliant)."""
    what = f"platform instance {shown(name)}"
    missing = [key for key in REQUIRED if props.get(key) in (None, "", [])]
    if missing:
        return [Finding(RULE, f"{what}: lacks {', '.join(missing)}; rule {RULE} decides on all of them")]
    platform, platform_id = str(props["platform_api"]), str(props["edge_cloud_zone_id"])
    zone = target_zone(catalog, platform, platform_id)
    if zone is None:
        return [
            Finding(
                RULE,
                f"{what}: zone {shown(platform_id)} at platform {shown(platform)} is no catalog zone of that "
                f"platform's operator; rule {RULE} judges only instances whose platform and zone the catalog names",
            )
        ]
    findings = []
    if props["zone"] != zone.id:
        findings.append(
            Finding(
                RULE, f"{what}: declares zone {shown(props['zone'])}, but platform id {platform_id} is zone {zone.id}"
            )
        )
    classification = str(props["data_classification"])
    if classification not in labels.CLASSIFICATIONS:
        classification = "restricted"  # fail closed
    where = f"zone {zone.id} ({zone.country})"
    if zone.country not in allowed_countries:
        findings.append(
            Finding(
                RULE,
                f"{what}: {where} is outside the allowed countries; rule {RULE} allows only "
                f"{allowed_list(allowed_countries)}",
            )
        )
    residency = props["residency"]
    if residency != "eu" and zone.country not in {str(c).upper() for c in residency}:
        findings.append(
            Finding(RULE, f"{what}: {where} is outside the app's residency {allowed_list(map(str, residency))}")
        )
    if classification in law_classes:
        problem = jurisdiction_problem(catalog.operator_by_id.get(zone.operator))
        if problem is not None:
            findings.append(Finding(RULE, f"{what}: {classification} data in {where} of {problem}"))
    if classification == "restricted" and zone.country != str(props["country"]).upper():
        findings.append(
            Finding(
                RULE,
                f"{what}: restricted data of the {str(props['country']).upper()} stack in {where}; rule {RULE} keeps "
                "restricted data in its stack's country",
            )
        )
    image = str(props["image"])
    try:
        ref = parse_image(image)
    except ValueError as error:
        return [*findings, Finding(RULE, f"{what}: image {error}; rule {RULE} allows only images it can read")]
    if ref.registry not in registries:
        findings.append(
            Finding(
                RULE,
                f"{what}: image {shown(image, 320)} comes from registry {ref.registry}; rule {RULE} allows only "
                f"{allowed_list(registries)}",
            )
        )
    if classification in digest_for and ref.digest is None:
        findings.append(
            Finding(RULE, f"{what}: image {shown(image, 320)} is not pinned by digest for {classification} data")
        )
    return findings
