"""The pack's kind tables against the Kubernetes provider's own schema (the real plugin's GetSchema).

Every resource type of the provider whose inputs reach a pod spec must be in ``edgefed.core.rules.kinds`` (workloads,
their patches, and their lists, which the pack refuses) with the path the schema gives, and every Service and Ingress type must be known: a kind the provider adds in a
new release fails this test instead of slipping past the pack.
"""

from __future__ import annotations

import json
import subprocess
from collections import deque
from typing import Any

import pytest

from edgefed.core.rules.kinds import INGRESS_TYPES, LIST_KINDS, PATCH_KINDS, SERVICE_TYPES, WORKLOAD_KINDS

from .conftest import ROOT, toolchain_or_skip

pytestmark = pytest.mark.engine

POD_SPECS = {"#/types/kubernetes:core/v1:PodSpec", "#/types/kubernetes:core/v1:PodSpecPatch"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    pulumi = toolchain_or_skip("pulumi")
    from importlib.resources import files

    from edgefed_ops.local.toolchain import engine_env

    version = json.loads(files("pulumi_kubernetes").joinpath("pulumi-plugin.json").read_text())["version"]
    result = subprocess.run(
        [pulumi, "package", "get-schema", f"kubernetes@{version}"],
        env=engine_env(ROOT), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads(result.stdout))


def _refs(prop: dict[str, Any]) -> list[str]:
    return [r for r in (prop.get("$ref"), (prop.get("items") or {}).get("$ref")) if r]


def pod_spec_paths(schema: dict[str, Any], token: str) -> set[tuple[str, ...]]:
    """Every property path from a resource's inputs to a pod spec (breadth first, each type once per path)."""
    types = schema["types"]
    found: set[tuple[str, ...]] = set()
    queue: deque[tuple[dict[str, Any], tuple[str, ...], frozenset[str]]] = deque(
        [(schema["resources"][token].get("inputProperties") or {}, (), frozenset())]
    )
    while queue:
        properties, path, seen = queue.popleft()
        for key, prop in properties.items():
            for ref in _refs(prop):
                if ref in POD_SPECS:
                    found.add((*path, key))
                    continue
                name = ref.removeprefix("#/types/")
                if ref.startswith("#/types/") and name not in seen and name in types:
                    queue.append((types[name].get("properties") or {}, (*path, key), seen | {name}))
    return found


def test_every_provider_type_that_runs_a_pod_is_in_the_kind_tables(schema):
    from_schema = {token: paths for token in schema["resources"] if (paths := pod_spec_paths(schema, token))}
    ours = {token: {(*path, "spec")} for token, path in {**WORKLOAD_KINDS, **PATCH_KINDS}.items()}
    ours |= {token: {("items", *path, "spec")} for token, path in LIST_KINDS.items()}
    known_to_provider = {token: ours[token] for token in ours if token in schema["resources"]}
    assert from_schema == known_to_provider, {
        "missing from edgefed.core.rules.kinds": sorted(set(from_schema) - set(ours)),
        "wrong path": sorted(t for t in from_schema if t in ours and from_schema[t] != ours[t]),
    }
    assert len(from_schema) >= 60, "the schema walk found the workload kinds, their patches and their lists"


def test_every_service_and_ingress_type_of_the_provider_is_known(schema):
    services = {t for t in schema["resources"] if t.rsplit(":", 1)[-1] in ("Service", "ServicePatch")}
    ingresses = {t for t in schema["resources"] if t.rsplit(":", 1)[-1] in ("Ingress", "IngressPatch")}
    assert services == set(SERVICE_TYPES)
    assert ingresses <= set(INGRESS_TYPES) and ingresses
