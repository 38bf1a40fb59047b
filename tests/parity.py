"""The pack's half of a differential test: the verdict of the real engine and pack on each manifest of a corpus."""

from __future__ import annotations

import json
from pathlib import Path

from edgefed_ops.stack import operations

from .conftest import ROOT, ops_settings


def pack_verdicts(
    corpus: dict[str, dict[str, object]],
    tmp_path: Path,
    name: str,
    policies: set[str] | None = None,
    zone: str = "orange-fr-paris",
    config: Path = ROOT / "policies" / "eu-residency" / "config.json",
) -> dict[str, bool]:
    """Whether the pack (real engine, ``config``) admits each manifest of ``corpus``, rendered for ``zone``, by name.

    ``policies``: only these policies' violations count (the zone's policy under test carries only them).
    """
    from edgefed_ops.stack.workspace import StackWorkspace

    (tmp_path / "corpus.json").write_text(json.dumps(corpus))
    workspace = StackWorkspace(ops_settings(tmp_path), name, project=ROOT / "tests" / "admission_corpus")
    workspace.prepare(
        {
            "corpus:manifests": str(tmp_path / "corpus.json"),
            "corpus:render": str(tmp_path / "render"),
            "corpus:zone": zone,
        }
    )
    outcome = operations.preview(workspace, config=config)
    assert not outcome.errors or outcome.violations, outcome.output[-3000:]
    counted = [v for v in outcome.violations if policies is None or v.policy in policies]
    return {item: not any(f"'{item}'" in v.message for v in counted) for item in corpus}
