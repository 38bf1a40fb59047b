"""``python -m edgefed_ops``: the same as the ``edgefed`` command."""

from edgefed_ops.cli import main

raise SystemExit(main())
