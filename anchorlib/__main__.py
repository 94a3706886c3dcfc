"""``python -m anchorlib``: see :mod:`anchorlib.cli`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
