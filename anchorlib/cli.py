"""The ``anchorlib`` command line (``python -m anchorlib``).

Each subcommand is one function ``_cmd_<name>(args) -> int`` registered in ``build_parser``;
it prints a plain-text table. Bad arguments print one line ``anchorlib: error: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

import numpy as np

from .datasets import ANNOTATION_FORMATS, letterbox_wh, load_boxes
from .design import anchor_fit, evolve_anchors, kmeans_anchors, mean_best_iou
from .presets import PRESETS, AnchorLevel
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


def _anchor_table(title: str, wh: np.ndarray, anchors: np.ndarray, threshold: float) -> list[str]:
    lines = [title, f"{'w':>9} {'h':>9} {'h/w':>7} {'sqrt(area)':>11}"]
    lines += [f"{w:>9.2f} {h:>9.2f} {h / w:>7.3f} {np.sqrt(w * h):>11.2f}" for w, h in anchors]
    fit = anchor_fit(wh, anchors, threshold)
    lines.append(
        f"mean best IoU {mean_best_iou(wh, anchors):.4f}, BPR {fit['bpr']:.4f}, "
        f"anchors above threshold {fit['aat']:.2f}, fitness {fit['fitness']:.4f} (threshold {threshold:g})"
    )
    lines.append("as YOLOv5 anchors: " + ", ".join(f"{round(w)},{round(h)}" for w, h in anchors))
    return lines


def _cmd_fit(args: argparse.Namespace) -> int:
    try:
        image_size = None if args.image is None else (args.image[1], args.image[0])  # load_boxes: (w, h)
        data = load_boxes(args.path, args.format, image_size=image_size)
    except OSError as error:  # a missing file is a usage error here: one line, status 2
        raise ValueError(str(error)) from None
    if args.long_side is None:
        wh, where = data.wh, "in original image pixels"
    else:
        wh = letterbox_wh(data.boxes, data.image_wh, args.long_side)
        where = f"with each image resized to long side {args.long_side:g}"
    anchors = kmeans_anchors(wh, args.k, seed=args.seed, progress=args.progress)
    lines = [data.summary(), ""]
    title = f"k-means (1 - IoU) anchors, k = {args.k}, seed {args.seed}, {where}:"
    lines += _anchor_table(title, wh, anchors, args.threshold)
    if args.generations:
        evolved = evolve_anchors(
            wh, anchors, generations=args.generations, seed=args.seed, threshold=args.threshold,
            progress=args.progress,
        )
        title = f"after {args.generations} generations of YOLOv5-style evolution:"
        lines += [""] + _anchor_table(title, wh, evolved, args.threshold)
    print("\n".join(lines))  # only once everything has succeeded: an error leaves stdout empty
    return 0


def _image(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    try:
        height, width = (int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 800x1333, got {text!r}") from None
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"image sides must be positive, got {text!r}")
    return height, width


def _preset_name(text: str) -> str:
    if text not in PRESETS:
        raise argparse.ArgumentTypeError(f"unknown preset {text!r}; choose from {', '.join(PRESETS)}")
    return text


def _preset_names(text: str) -> list[str]:
    names = [_preset_name(part.strip()) for part in text.split(",") if part.strip()]
    if len(names) < 2:
        raise argparse.ArgumentTypeError(f"expected at least two comma-separated presets, got {text!r}")
    return names


def _centre(box: np.ndarray) -> str:
    cx, cy = (box[:2] + box[2:]) / 2
    return f"({cx:g}, {cy:g})"


_HEADER = f"{'feature':>9} {'stride':>9} {'anchors':>8} {'first centre':>16} {'last centre':>16}"


def _row(level: AnchorLevel) -> str:
    (h, w), (sy, sx), anchors = level.feature_shape, level.stride, level.anchors
    stride = f"{sx:g}" if sx == sy else f"{sy:g}x{sx:g}"
    return (f"{f'{h}x{w}':>9} {stride:>9} {len(anchors):>8} "
            f"{_centre(anchors[0]):>16} {_centre(anchors[-1]):>16}")


def _cmd_show(args: argparse.Namespace) -> int:
    config = PRESETS[args.preset]
    levels = config.levels(args.image)
    height, width = args.image
    print(f"{config.name} on a {height}x{width} input: {config.description}")
    print(f"source: {config.source}")
    print(f"{'level':>5} {_HEADER}")
    for level in levels:
        print(f"{'P' + str(level.level):>5} {_row(level)}")
    print(f"total {sum(len(level.anchors) for level in levels)} anchors")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    results = {name: PRESETS[name].levels(args.image) for name in args.presets}
    width = max(len(name) for name in args.presets)
    numbers = sorted({level.level for levels in results.values() for level in levels})
    height_px, width_px = args.image
    print(f"{height_px}x{width_px} input; centres are (x, y) in input pixels")
    for number in numbers:
        print(f"P{number}")
        print(f"  {'preset':<{width}} {_HEADER}")
        present = []
        for name, levels in results.items():
            match = [level for level in levels if level.level == number]
            if match:
                present.append(match[0])
                print(f"  {name:<{width}} {_row(match[0])}")
            else:
                print(f"  {name:<{width}} {'(no such level)':>9}")
        gaps = [a.disagreement(b) for k, a in enumerate(present) for b in present[k + 1:]]
        if len(present) < 2:
            print("  largest disagreement: n/a (fewer than two presets have this level)")
        elif any(gap is None for gap in gaps):
            print("  largest disagreement: n/a (different numbers of anchors per cell)")
        else:
            print(f"  largest disagreement: {max(gaps):.2f} px (same cell, anchors matched by shape)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="anchorlib", description="Exact anchor-box arithmetic.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    shapes = sub.add_parser("shapes", help="widths and heights of one level's anchors")
    shapes.add_argument("--base-size", type=float, required=True, help="anchor side at scale 1")
    shapes.add_argument("--ratios", type=_floats, default=[0.5, 1.0, 2.0], help="h/w, e.g. 0.5,1,2")
    shapes.add_argument("--scales", type=_floats, default=[1.0], help="e.g. 1,1.26,1.587")
    shapes.set_defaults(run=_cmd_shapes)

    fit = sub.add_parser("fit", help="anchors fitted to an annotated dataset, with their metrics")
    fit.add_argument("path", help="COCO .json, YOLO folder, VOC .xml folder or keras-retinanet .csv")
    fit.add_argument("--format", choices=ANNOTATION_FORMATS, default=None,
                     help="default: guessed from the path")
    fit.add_argument("--k", type=int, default=9, help="number of anchors (default 9)")
    fit.add_argument("--long-side", type=float, default=None,
                     help="resize every image to this long side first, as YOLOv5's --img does (e.g. 640)")
    fit.add_argument("--image", type=_image, default=None,
                     help="HEIGHTxWIDTH of every image, when YOLO labels come without images")
    fit.add_argument("--threshold", type=float, default=4.0, help="YOLOv5 anchor_t (default 4.0)")
    fit.add_argument("--generations", type=int, default=0,
                     help="YOLOv5-style evolution after k-means (default 0)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--progress", action="store_true", help="show progress bars on stderr")
    fit.set_defaults(run=_cmd_fit)
    show = sub.add_parser("show", help="one preset's anchors per level on an input image")
    show.add_argument("--image", type=_image, required=True, help="HEIGHTxWIDTH, e.g. 800x800")
    show.add_argument("--preset", type=_preset_name, required=True, help=", ".join(PRESETS))
    show.set_defaults(run=_cmd_show)

    compare = sub.add_parser("compare", help="several presets' anchors side by side, level by level")
    compare.add_argument("--image", type=_image, required=True, help="HEIGHTxWIDTH, e.g. 800x1333")
    compare.add_argument("--presets", type=_preset_names, required=True,
                         help="comma-separated, e.g. keras-retinanet,torchvision-retinanet")
    compare.set_defaults(run=_cmd_compare)
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
