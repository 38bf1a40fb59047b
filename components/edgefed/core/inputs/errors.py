"""One clear error for bad input: the file, the path of the field, the value found and what is allowed.

Every loader in edgefed (catalog, app specs, stack config) turns pydantic's ``ValidationError`` and YAML
syntax errors into a single :class:`ConfigError` before any Pulumi resource is registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from edgefed.core.inputs.text import shown

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(ValueError):
    """Bad input, found before anything was deployed.

    ``problems`` holds ``(field_path, message)`` pairs; ``str()`` gives the whole report, starting with
    the file (``source``) it came from.
    """

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {len(self.problems)} problem(s), nothing was deployed:"]
        lines += [f"  - {path or '<root>'}: {message}" for path, message in self.problems]
        super().__init__("\n".join(lines))

    @property
    def paths(self) -> list[str]:
        """The field paths named by this error, in order."""
        return [path for path, _ in self.problems]


def field_error(path: str, message: str) -> PydanticCustomError:
    """Build a validation error for a cross-field check that knows the exact path of the bad field.

    Raise it from a model validator; :func:`format_validation_error` reports ``path`` instead of the
    validator's own location.
    """
    return PydanticCustomError("edgefed_field", "{message}", {"message": message, "path": path})


def join_path(loc: Iterable[int | str]) -> str:
    """Render a pydantic location as ``zones[3].capacity.cpu``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_shown = shown


def _fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str] | None:
    """Names of the fields accepted at ``loc`` (the parent of an unknown key), if it is a model."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return None


def _model_in(annotation: Any) -> Any:
    """Find the pydantic model inside ``list[Model]``, ``Model | None``, ``tuple[Model, ...]``..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def describe(model: type[BaseModel], error: Any) -> tuple[str, str]:
    """Turn one pydantic error dict into ``(path, message)`` with the value found and what is allowed."""
    kind = error["type"]
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    if kind == "edgefed_field":
        # A nested model's validator names its field relative to itself: prefix where the model sits.
        inner, outer = str(ctx["path"]), join_path(loc)
        return (f"{outer}.{inner}" if outer and inner else outer or inner), str(ctx["message"])
    path = join_path(loc)
    if kind == "missing":
        return path, "is required but missing"
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        hint = f"; allowed fields: {', '.join(allowed)}" if allowed else ""
        return path, f"is not a known field{hint}"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return path, f"{message} (found {_shown(error.get('input'))})"


def _is_union_tag(part: int | str) -> bool:
    # pydantic names the union branch it tried ("literal['eu']", "tuple[...]"); field names never
    # contain brackets or parentheses.
    return isinstance(part, str) and ("[" in part or "(" in part)


def _without_union_noise(errors: list[Any]) -> list[Any]:
    """Report a union field once.

    Strip branch tags, and drop a literal branch's complaint when another branch reported on the same
    field (it says something more precise).
    """
    out = []
    for err in errors:
        raw = err["loc"]
        out.append({**err, "loc": tuple(p for p in raw if not _is_union_tag(p)), "union": any(map(_is_union_tag, raw))})

    def noisy(err: Any) -> bool:
        loc = err["loc"]
        return bool(err["union"] and err["type"] == "literal_error") and any(
            other is not err and other["union"] and other["loc"][: len(loc)] == loc for other in out
        )

    return [err for err in out if not noisy(err)]


def format_validation_error(source: str, model: type[BaseModel], exc: ValidationError) -> ConfigError:
    """Convert a pydantic ``ValidationError`` into a :class:`ConfigError` for ``source``."""
    return ConfigError(source, [describe(model, err) for err in _without_union_noise(exc.errors())])


def validate(model: type[ModelT], data: Any, source: str) -> ModelT:
    """Validate ``data`` as ``model``, raising one :class:`ConfigError` that names ``source``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(source, model, exc) from None
