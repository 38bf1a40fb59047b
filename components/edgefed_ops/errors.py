"""The error types of the operations package: what failed, said so that a user can act on it."""

from __future__ import annotations


class OpsError(RuntimeError):
    """A job could not do what was asked; the message names what and says what to do. Exit status 1."""


class UsageError(OpsError):
    """The command line names something that does not exist or a value out of range. Exit status 2.

    Raised before anything runs: the message names what was given and what exists.
    """
