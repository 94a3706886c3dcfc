"""The ``anchorlib`` command line (``python -m anchorlib``).

Each subcommand is one function ``_cmd_<name>(args) -> int`` registered in ``build_parser``;
it prints a plain-text table. Bad arguments print one line ``anchorlib: error: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

import numpy as np

from .shapes import anchor_shapes

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"anchorlib: error: {message}\n")
        raise SystemExit(2)


def _floats(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _cmd_shapes(args: argparse.Namespace) -> int:
    shapes = anchor_shapes(args.base_size, args.ratios, args.scales)
    print(f"{'ratio h/w':>10} {'scale':>8} {'width':>10} {'height':>10} {'sqrt(area)':>11}")
    k = 0
    for ratio in args.ratios:
        for scale in args.scales:
            w, h = shapes[k]
            print(f"{ratio:>10.4g} {scale:>8.4g} {w:>10.3f} {h:>10.3f} {np.sqrt(w * h):>11.3f}")
            k += 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="anchorlib", description="Exact anchor-box arithmetic.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    shapes = sub.add_parser("shapes", help="widths and heights of one level's anchors")
    shapes.add_argument("--base-size", type=float, required=True, help="anchor side at scale 1")
    shapes.add_argument("--ratios", type=_floats, default=[0.5, 1.0, 2.0], help="h/w, e.g. 0.5,1,2")
    shapes.add_argument("--scales", type=_floats, default=[1.0], help="e.g. 1,1.26,1.587")
    shapes.set_defaults(run=_cmd_shapes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:
        sys.stderr.write(f"anchorlib: error: {error}\n")
        return 2
