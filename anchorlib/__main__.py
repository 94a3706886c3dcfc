"""``python -m anchorlib``: see :mod:`anchorlib.cli`."""

from .cli import main

raise SystemExit(main())
