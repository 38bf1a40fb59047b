"""Files that other processes read while they are rewritten: written whole, readable by the owner only."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once, mode 0600 from the first byte.

    A reader (the drill's watcher, a deploy reading kubeconfigs, a test reading process records) sees
    the old content or the new, never a half-written file; and a secret (a token, S3 keys) is never in
    a file anyone else may read, not even before a chmod.
    """
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def create_private_once(path: Path, text: str) -> str:
    """``path``'s content: ``text`` if this call created it, else what a concurrent or earlier call wrote.

    For credentials made once and shared (an operator's token, read by each of its zones as they start
    concurrently): the file appears whole, mode 0600, and exactly one writer wins (a hard link refuses
    an existing name), so two zones never start with two different tokens for one operator.
    """
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        with contextlib.suppress(FileExistsError):  # another writer won: keep what it wrote
            os.link(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
    return path.read_text(encoding="utf-8")
