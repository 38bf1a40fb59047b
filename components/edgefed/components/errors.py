"""How edgefed's components refuse bad input: one clean line, the Pulumi way, never a traceback."""

from __future__ import annotations

import pulumi


class InputError(pulumi.RunError):
    """A component or the program was given input it refuses; the message names what and why.

    ``pulumi.RunError`` ends the program with its message alone (no Python traceback), nothing registered.
    """
