"""One conversion of a resource's properties per analysis, shared by every policy of the pack.

pulumi-policy's Python analyzer (1.21) converts a resource's properties and its provider's from
protobuf to Python once *per policy* (``MessageToDict``, ``deserialize_properties``, then
``unknown_checking_proxy``): with fourteen policies that was about 80% of the pack's time per
resource, and the reason a preview with the pack cost 1.34 times one without (``edgefed bench
--preview``). :func:`share_conversions` makes the analyzer reuse, within one thread, the result of
converting the very same object (identity, not equality: the same request's message), so each is
converted once per request. edgefed's policies only read what they are given (the rules take
``Mapping``), so sharing the converted properties between them changes no verdict; the engine corpus
(``tests/test_policy_engine.py``) runs through the shared conversions.

Called by the pack's ``__main__`` only; the SDK's functions are wrapped, never re-implemented. The pack
also starts with what its policies need least (:func:`warm_up` loads the catalog's models meanwhile).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from pulumi_policy import policy as sdk

HELD = 512
"""Conversions each thread keeps: a resource request converts its properties and its provider's; a stack
request every resource's, once per stack policy (so a stack of up to a few hundred resources hits)."""
_local = threading.local()


def _remembered(kind: str, convert: Callable[..., Any]) -> Callable[..., Any]:
    """``convert``, answering again from the thread's latest results for the identical argument."""

    def remembered(source: Any, *rest: Any) -> Any:
        held: dict[int, tuple[Any, tuple[Any, ...], Any]] = _local.__dict__.setdefault(kind, {})
        found = held.get(id(source))
        if found is not None and found[0] is source and found[1] == rest:
            return found[2]
        result = convert(source, *rest)
        if len(held) >= HELD:
            held.pop(next(iter(held)))  # the oldest: the entry holds its source, so its id is not reused meanwhile
        held[id(source)] = (source, rest, result)
        return result

    return remembered


class _JsonFormat(ModuleType):
    """The SDK's ``json_format`` with ``MessageToDict`` remembered; everything else as it is."""

    def __init__(self, real: ModuleType) -> None:
        super().__init__(real.__name__)
        self._real = real
        self.MessageToDict = _remembered("message", real.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def share_conversions() -> None:
    """Wrap the analyzer's three conversions (once; a second call changes nothing)."""
    names = vars(sdk)  # the module's globals, which its Analyze methods read at each call
    if isinstance(names["json_format"], _JsonFormat):
        return
    names["json_format"] = _JsonFormat(names["json_format"])
    names["deserialize_properties"] = _remembered("deserialized", names["deserialize_properties"])
    names["unknown_checking_proxy"] = _remembered("proxy", names["unknown_checking_proxy"])


def warm_up() -> threading.Thread:
    """Import the catalog's models in the background while the engine talks to the starting pack.

    The engine waits for the pack before it runs the program, and the models (pydantic) are the largest
    part of what the policies import; the first validation, seconds later, finds them loaded.
    """
    thread = threading.Thread(
        target=importlib.import_module, args=("edgefed.core.inputs.catalog",), name="edgefed-warm-up", daemon=True
    )
    thread.start()
    return thread
