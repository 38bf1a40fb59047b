"""Whether a committed stack's state backend keeps its state in the stack's country: one check for every command.

``edgefed state-check`` runs it on its own (the deploy workflow's first step); ``preview``, ``up``,
``refresh``, ``destroy`` and ``stack`` run it before they create or select the stack, so a backend
outside the country is refused wherever the command runs, not only in the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.stackconfig import catalog_path, raw_from_stack_file, state_country
from edgefed_ops.settings import Settings
from edgefed_ops.stack.backend import BackendUrl


@dataclass(frozen=True)
class StateResidency:
    """A stack's state country and, when the backend is not there, why."""

    stack: str
    country: str
    url: BackendUrl | None
    problem: str | None

    def refusal(self) -> str:
        """One line for the user: the stack, its country and what is wrong."""
        return f"{self.stack} ({self.country}): {self.problem}"


def state_residency(settings: Settings, stack: str, backend_url: str | None) -> StateResidency:
    """Check ``backend_url`` (``None``: not set, refused) against the catalog of ``stack``'s committed file."""
    raw = raw_from_stack_file(settings.root / "stacks" / f"Pulumi.{stack}.yaml")
    catalog = load_catalog(catalog_path(raw, settings.root))
    country = state_country(raw, catalog)
    url = BackendUrl.parse(backend_url) if backend_url else None
    problem = url.problem(country, catalog) if url else "PULUMI_BACKEND_URL is not set"
    return StateResidency(stack, country, url, problem)
