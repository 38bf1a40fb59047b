"""How messages show a value the user gave: one readable line whatever it is. Pure, no third-party import."""

from __future__ import annotations

from typing import Any


def shown(value: Any, limit: int = 80) -> str:
    """A value as an error message shows it: its repr, cut to ``limit`` characters with its length named.

    Input can be anything, including a 10,000-character string: a message stays one readable line.
    """
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"
