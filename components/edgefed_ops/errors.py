"""The one error type of the operations package: what failed, said so that a user can act on it."""

from __future__ import annotations


class OpsError(RuntimeError):
    """A job could not do what was asked; the message names what and says what to do. The CLI prints it."""
