"""Where things are: the repository, the local federation's state, the stacks' workspaces.

Built once by the CLI from the environment (``Settings.from_environ``) and passed down; nothing below
the CLI reads environment variables.
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from edgefed.core.inputs.stacksets import OPERATOR_STACKS, family_of, load_stacksets
from edgefed_ops.errors import OpsError

MOVING_VARIABLES = ("EDGEFED_FEDERATION_STATE", "EDGEFED_LOCAL_CATALOG", "PULUMI_BACKEND_URL")
"""Environment variables that say which federation, catalog and state backend a command works on."""
WORK_COMMANDS = frozenset(
    {"preview", "up", "refresh", "destroy", "stack", "policy-check", "report", "audit", "deploy", "drill"}
)
"""Commands that take ``--work``: a printed command line repeats a workspace folder that was moved."""
LOCAL_PREFIX = "local-"
"""Name prefix of the local federation's stacks (their family in ``stacks/stacksets.yaml``)."""


def find_root(start: Path | None = None) -> Path:
    """The edgefed repository: the one around ``start`` (default: the working folder), else the one installed from."""
    here = (start or Path.cwd()).resolve()
    # The checkout the user stands in first (a second clone uses its own tree), then the one installed from.
    candidates = [here, *here.parents, Path(__file__).resolve().parents[2]]
    for candidate in candidates:
        if (candidate / "Pulumi.yaml").is_file() and (candidate / "stacks" / "stacksets.yaml").is_file():
            return candidate
    raise OpsError("edgefed: not inside an edgefed repository (no Pulumi.yaml with stacks/stacksets.yaml found)")


@dataclass(frozen=True)
class Settings:
    """Paths every job needs. ``federation_state`` and ``local_catalog`` may be moved (a second federation)."""

    root: Path
    """The repository (Pulumi.yaml, stacks/, policies/)."""
    federation_state: Path
    """Where the local federation keeps each zone's and country's store, pids and credentials."""
    kubeconfig: Path
    """The kubeconfig with one context per zone that `edgefed federation up` writes."""
    local_catalog: Path
    """The catalog of the local federation (a copy with other ports lets a second one run beside)."""
    work: Path = field(default=Path())
    """Folder of the stacks' workspaces, one subfolder per stack."""
    backend_url: str | None = None
    """State backend for every stack (None: scripts/env.sh's default, a file backend under .state)."""
    trusted: Path | None = None
    """Another checkout (a pull request's base branch) whose policy pack, pack configs and stack families
    check this one's stacks. None: this checkout's own."""
    moved: Mapping[str, str] = field(default_factory=dict)
    """The variables that moved the federation or the backend (EDGEFED_FEDERATION_STATE...) as the user set
    them: a command line edgefed prints for the user repeats them, so that it works in a new shell."""
    invoked_from: Path | None = None
    """The folder the command runs in: printed command lines name the launcher relative to it."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], root: Path | None = None) -> Settings:
        """Settings from EDGEFED_FEDERATION_STATE, EDGEFED_LOCAL_CATALOG and PULUMI_BACKEND_URL."""
        top = root or find_root()
        moved = environ.get("EDGEFED_FEDERATION_STATE")
        state = Path(moved).resolve() if moved else top / ".state" / "federation"
        kubeconfig = state / "kubeconfig" if moved else top / ".state" / "kubeconfig"
        catalog = Path(environ.get("EDGEFED_LOCAL_CATALOG") or top / "stacks" / "catalog" / "local.yaml").resolve()
        return cls(
            root=top,
            federation_state=state,
            kubeconfig=kubeconfig,
            local_catalog=catalog,
            work=top / ".state" / "work",
            backend_url=environ.get("PULUMI_BACKEND_URL") or None,
            moved={key: environ[key] for key in MOVING_VARIABLES if environ.get(key)},
            invoked_from=Path.cwd(),
        )

    def command_line(self, *args: str) -> str:
        """An ``edgefed`` command line the user can paste into a new shell where this one ran.

        The launcher is named relative to that folder (absolute from elsewhere), the variables that moved
        the federation or the backend are repeated, and every argument is quoted for the shell.
        """
        launcher = self.root / ".venv" / "bin" / "edgefed"
        here = self.invoked_from or self.root
        shown = os.path.relpath(launcher, here) if launcher.is_relative_to(here) else str(launcher)
        prefix = [f"{key}={shlex.quote(value)}" for key, value in sorted(self.moved.items())]
        default_work = self.root / ".state" / "work"
        work = ["--work", str(self.work)] if self.work != default_work and args and args[0] in WORK_COMMANDS else []
        head, sep, tail = _split_at_dashes(args)
        return " ".join([*prefix, shown, *map(shlex.quote, [*head, *work, *sep, *tail])])

    def with_work(self, work: Path | None) -> Settings:
        """The same settings with another workspace folder (tests keep theirs in a temporary folder)."""
        return replace(self, work=work.resolve()) if work else self

    @property
    def project(self) -> str:
        """The Pulumi project's name (Pulumi.yaml's ``name``): it names the folders of the state backend."""
        return _project_name(self.root / "Pulumi.yaml")

    @property
    def committed_local_catalog(self) -> Path:
        """The local federation's catalog as committed."""
        return self.root / "stacks" / "catalog" / "local.yaml"

    def with_trusted(self, trusted: Path | None) -> Settings:
        """The same settings, checked by the pack of ``trusted`` (a base branch), not by this checkout's."""
        return replace(self, trusted=trusted.resolve()) if trusted else self

    @property
    def rules_root(self) -> Path:
        """The checkout whose pack and pack configs decide: the trusted one, or this one."""
        return self.trusted or self.root

    @property
    def pack(self) -> Path:
        """The EU residency policy pack (of the trusted checkout when there is one)."""
        return self.rules_root / "policies" / "eu-residency"

    @property
    def kwok_stages(self) -> Path:
        """KWOK's node and pod stages, put there by scripts/bootstrap."""
        return self.root / ".tools" / "kwok-stages"

    def pack_config(self, stack: str) -> Path:
        """The pack config that checks ``stack`` (or a family's prefix): its family's, never another's."""
        families = load_stacksets(self.rules_root / "stacks" / "stacksets.yaml")
        return self.rules_root / family_of(families, stack).policy_config

    def stack_names(self) -> list[str]:
        """Names of the committed country stacks."""
        return sorted(p.name.split(".")[1] for p in (self.root / "stacks").glob("Pulumi.*.yaml"))

    def local_stack_names(self) -> list[str]:
        """Names of the committed stacks of the local federation."""
        return [name for name in self.stack_names() if name.startswith(LOCAL_PREFIX)]

    def is_operator_stack(self, stack: str) -> bool:
        """True for an operator's zone stack (``<prefix>zones-<operator>``), false for a tenant's app stack."""
        families = load_stacksets(self.root / "stacks" / "stacksets.yaml")
        return stack.removeprefix(family_of(families, stack).prefix).startswith(OPERATOR_STACKS)

    def operator_stack_names(self, local: bool | None = None) -> list[str]:
        """The committed operators' zone stacks (of the local family only, or none of it, when asked)."""
        return [s for s in self._of_family(local) if self.is_operator_stack(s)]

    def app_stack_names(self, local: bool | None = None) -> list[str]:
        """The committed tenants' app stacks (of the local family only, or none of it, when asked)."""
        return [s for s in self._of_family(local) if not self.is_operator_stack(s)]

    def _of_family(self, local: bool | None) -> list[str]:
        names = self.stack_names()
        return names if local is None else [n for n in names if n.startswith(LOCAL_PREFIX) == local]


def _split_at_dashes(args: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """(options and arguments of edgefed, ``["--"]`` or nothing, what follows ``--``)."""
    if "--" not in args:
        return list(args), [], []
    at = args.index("--")
    return list(args[:at]), ["--"], list(args[at + 1 :])


@functools.cache
def _project_name(project_file: Path) -> str:
    name = (yaml.safe_load(project_file.read_text()) or {}).get("name")
    if not isinstance(name, str) or not name:
        raise OpsError(f"{project_file}: `name` must be the project's name (a non-empty string)")
    return name
