"""What a command line names, checked against what exists before anything runs.

Each check raises :class:`~edgefed_ops.errors.UsageError` with one line naming what was given and what
exists; the CLI prints it and exits 2. Nothing here creates a stack, a file or a process.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from edgefed.core.inputs.catalog import Catalog
from edgefed_ops.errors import UsageError
from edgefed_ops.settings import Settings


def _listed(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def stacks(settings: Settings, names: Sequence[str], *, local_only: bool = False, apps_only: bool = False) -> list[str]:
    """The named stacks, each checked (none named: every committed one of the kinds asked for).

    ``local_only``: the local federation's stacks; ``apps_only``: tenants' app stacks, not operators'.
    """
    local = True if local_only else None
    known = (
        settings.app_stack_names(local)
        if apps_only
        else settings.stack_names()
        if local is None
        else (settings.local_stack_names())
    )
    what = ("local " if local_only else "") + ("app stack" if apps_only else "stack")
    unknown = [name for name in names if name not in known]
    if unknown:
        operators = [name for name in unknown if name in settings.stack_names() and settings.is_operator_stack(name)]
        why = f"; {', '.join(operators)} is an operator's zone stack, which places no apps" if operators else ""
        raise UsageError(
            f"unknown {what}{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}{why}; "
            f"{what}s: {_listed(known)}"
        )
    return list(names) or known


def stack(settings: Settings, name: str, *, local_only: bool = False, apps_only: bool = False) -> str:
    """One committed stack."""
    return stacks(settings, [name], local_only=local_only, apps_only=apps_only)[0]


def zones(catalog: Catalog, names: Sequence[str], option: str, source: str) -> list[str]:
    """Zones of a catalog (``source`` names it)."""
    unknown = [name for name in names if name not in catalog.zone_by_id]
    if unknown:
        raise UsageError(
            f"{option}: {', '.join(map(repr, unknown))} not a zone of {source}; zones: {_listed(catalog.zone_by_id)}"
        )
    return list(names)


def zone(catalog: Catalog, name: str | None, option: str, source: str) -> str:
    """One zone of a catalog, which must be named."""
    if not name:
        raise UsageError(f"{option}: name the zone; zones: {_listed(catalog.zone_by_id)}")
    return zones(catalog, [name], option, source)[0]


def country(catalog: Catalog, code: str, option: str, source: str) -> str:
    """A country with zones in a catalog (any case), upper-cased."""
    countries = {z.country for z in catalog.zones}
    if code.upper() not in countries:
        raise UsageError(f"{option}: {code!r} has no zone in {source}; countries: {_listed(countries)}")
    return code.upper()


def revision(root: Path, name: str) -> str:
    """A git revision of the repository (a branch, tag or commit)."""
    found = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        branches = subprocess.run(
            ["git", "-C", str(root), "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        raise UsageError(f"--diff: {name!r} is not a revision of {root}; branches: {_listed(branches)}")
    return name


def existing_file(path: Path, option: str) -> Path:
    """A file that must exist."""
    if not path.is_file():
        raise UsageError(f"{option}: {str(path)!r} is not a file")
    return path


def output_file(path: Path, option: str) -> Path:
    """A file to write, whose folder must exist."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise UsageError(f"{option}: {str(path)!r} cannot be written: no folder {str(folder)!r}")
    return path


def tenants(settings: Settings, names: Sequence[str], option: str = "--tenant") -> list[str]:
    """Tenants of the local family (every one when none is named); ``option`` names them in an error."""
    from edgefed.core.inputs.stacksets import family_of, load_stacksets

    family = family_of(load_stacksets(settings.root / "stacks" / "stacksets.yaml"), "local-")
    known = sorted(family.tenants)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"{option}: {', '.join(map(repr, unknown))} not a tenant of the local family; tenants: {_listed(known)}"
        )
    return list(names) or known
