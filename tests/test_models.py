"""Every input model field is documented where it is declared: a docstring with its default and why."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap

import edgefed
from edgefed.core.inputs.fields import StrictModel


def _models() -> list[type[StrictModel]]:
    for module in pkgutil.walk_packages(edgefed.__path__, "edgefed."):
        importlib.import_module(module.name)
    found, todo = [], list(StrictModel.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return sorted({m for m in found if m.__module__.startswith("edgefed.")}, key=lambda m: m.__qualname__)


def _undocumented(source: str) -> list[str]:
    """Fields declared in a model class's own body (its ``source``) without a string right after them."""
    [tree] = ast.parse(textwrap.dedent(source)).body
    assert isinstance(tree, ast.ClassDef)
    missing = []
    for statement, following in zip(tree.body, [*tree.body[1:], None], strict=True):
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        name = statement.target.id
        if name == "model_config" or name.startswith("_"):
            continue
        documented = (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
            and following.value.value.strip()
        )
        if not documented:
            missing.append(name)
    return missing


def test_the_models_are_found():
    names = {m.__name__ for m in _models()}
    assert {"Catalog", "Zone", "AppSpec", "StackConfig"} <= names, names


def test_every_field_of_every_input_model_has_a_docstring():
    missing = {m.__qualname__: fields for m in _models() if (fields := _undocumented(inspect.getsource(m)))}
    assert not missing, f"fields without a docstring: {missing}"


def test_the_check_sees_an_undocumented_field():
    source = 'class Probe(StrictModel):\n    documented: int = 1\n    """One."""\n    bare: int = 2\n'
    assert _undocumented(source) == ["bare"]
