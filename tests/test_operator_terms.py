"""An operator's terms and the grants of a contract: what the federation forbids is refused at load.

Each case starts from the local family's committed files, changes one field, and asserts the one error: the
file, the field and what is allowed, before any zone is touched (the operator's zone stack loads them
first: :func:`edgefed.core.operatorslice.operator_slice`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.contract import load_contracts
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.operator_terms import load_operator_terms, terms_of

from .conftest import ROOT

FAMILY = ROOT / "stacks" / "tenants" / "local"
CATALOG = load_catalog(ROOT / "stacks" / "catalog" / "local.yaml")


def _load(folder: Path) -> dict[str, Any]:
    contracts = load_contracts(folder, CATALOG, None, {"FR": ("telemetry.fr.edgefed.example",)})
    return load_operator_terms(folder, CATALOG, contracts)


def _changed(tmp_path: Path, file: str, change: Callable[[dict[str, Any]], None]) -> Path:
    folder = tmp_path / "local"
    shutil.copytree(FAMILY, folder)
    path = folder / file
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return folder


def test_the_committed_terms_load():
    terms = _load(FAMILY)
    assert sorted(terms) == ["deutsche-telekom", "orange", "telefonica", "tim", "vodafone"]
    assert terms["vodafone"].node_ports["acme"].size == 5


CASES = [
    (
        "privileged-priority",
        "operators/vodafone.yaml",
        lambda d: d["priority_classes"][0].update(value=2_000_000),
        "priority_classes[0].value",
        "2000000 is above 100,000, where the operator's own workloads run",
    ),
    (
        "system-priority",
        "operators/vodafone.yaml",
        lambda d: d["priority_classes"][0].update(name="system-node-critical"),
        "priority_classes[0].name",
        "names starting with 'system-' are Kubernetes' own classes",
    ),
    (
        "host-path-storage",
        "operators/orange.yaml",
        lambda d: d["storage_classes"][0].update(provisioner="rancher.io/local-path"),
        "storage_classes[0].provisioner",
        "'rancher.io/local-path' serves volumes from the node's own disks or paths",
    ),
    (
        "host-path-by-name",
        "operators/orange.yaml",
        lambda d: d["storage_classes"][0].update(provisioner="hostpath.example.com/disk"),
        "storage_classes[0].provisioner",
        "serves volumes from the node's own disks or paths",
    ),
    (
        "overlapping-node-ports",
        "operators/vodafone.yaml",
        lambda d: d["node_ports"].update(nordwind={"first": 30104, "last": 30110}),
        "node_ports.nordwind",
        "30104-30110 overlaps acme's range 30100-30104",
    ),
    (
        "node-port-outside-range",
        "operators/vodafone.yaml",
        lambda d: d["node_ports"]["acme"].update(first=80),
        "node_ports.acme.first",
        "greater than or equal to 30000",
    ),
    (
        "control-plane-toleration",
        "operators/tim.yaml",
        lambda d: d["tolerations"][0].update(key="node-role.kubernetes.io/control-plane"),
        "tolerations[0].key",
        "is a taint of the control plane, of a node condition or of cloud bootstrap",
    ),
    (
        "unknown-tenant",
        "operators/tim.yaml",
        lambda d: d.update(load_balancers={"globex": 1}),
        "load_balancers.globex",
        "'globex' has no contract",
    ),
    (
        "no-quota",
        "operators/tim.yaml",
        lambda d: d.pop("namespace_quota"),
        "namespace_quota",
        "is required but missing",
    ),
    (
        "unknown-grant",
        "acme.yaml",
        lambda d: d["grants"].update(priority_classes=["gold"]),
        "grants.priority_classes[0]",
        "'gold' is offered by no operator of the contract's zones",
    ),
    (
        "name-outside-the-federation",
        "acme.yaml",
        lambda d: d["grants"]["external_names"].update(FR=["collector.cn-north-1.example"]),
        "grants.external_names.FR[0]",
        "'collector.cn-north-1.example' is not a name the federation allows in FR",
    ),
]


@pytest.mark.parametrize(("file", "change", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_what_the_federation_forbids_is_refused_at_load_naming_file_and_field(tmp_path, file, change, field, words):
    folder = _changed(tmp_path, file, change)
    with pytest.raises(ConfigError) as caught:
        _load(folder)
    error = caught.value
    assert error.source == str(folder / file), str(error)
    assert error.paths == [field], str(error)
    assert words in str(error), str(error)


def test_an_operator_without_terms_is_told_which_file_to_write(tmp_path):
    folder = tmp_path / "local"
    shutil.copytree(FAMILY, folder)
    (folder / "operators" / "tim.yaml").unlink()
    with pytest.raises(
        ConfigError, match=r"(?s)operators/tim\.yaml: 1 problem.*is missing: operator tim states its terms"
    ):
        terms_of(_load(folder), "tim", folder)
