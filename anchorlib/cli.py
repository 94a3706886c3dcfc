"""The ``anchorlib`` command line (``python -m anchorlib``).

Each subcommand is one function ``_cmd_<name>(args) -> int`` registered in ``build_parser``;
it prints a plain-text table. Bad arguments print one line ``anchorlib: error: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Sequence

import numpy as np

from .coverage import worst_case_iou
from .datasets import ANNOTATION_FORMATS, Annotations, keep_ratio_wh, letterbox_wh, load_boxes
from .design import (
    anchor_fit,
    evolve_anchors,
    kmeans_anchors,
    mean_best_iou,
    optimize_ratios_scales,
    yolov5_box_filter,
)
from .matching import ASSIGNMENT_RULES
from .presets import PRESETS, AnchorConfig, AnchorLevel
from .shapes import anchor_shapes
from .yolo import YOLOV5_ANCHORS

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # argparse takes "-5x10" for an option ("expected one argument"); every option here is a
        # word, so anything starting with "-<digit>" is a value, which the type then checks.
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"anchorlib: error: {message}\n")
        raise SystemExit(2)


def _floats(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _cmd_shapes(args: argparse.Namespace) -> int:
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        shapes = anchor_shapes(args.base_size, args.ratios, args.scales)
    print(f"{'ratio h/w':>10} {'scale':>8} {'width':>10} {'height':>10} {'sqrt(area)':>11}")
    k = 0
    for ratio in args.ratios:
        for scale in args.scales:
            w, h = shapes[k]
            print(f"{ratio:>10.4g} {scale:>8.4g} {w:>10.3f} {h:>10.3f} {np.sqrt(w * h):>11.3f}")
            k += 1
    return 0


# ---------------------------------------------------------------------------------------------
# fit and score: "should I change my anchors?"

def _anchor_list(text: str) -> np.ndarray | str:
    """``--against``/``--anchors``: a preset name, ``yolov5``, or ``w,h;w,h;...`` in pixels."""
    if text == "yolov5" or text in PRESETS:
        return text
    try:
        pairs = [[float(v) for v in part.split(",")] for part in text.split(";") if part.strip()]
    except ValueError:
        pairs = []
    if not pairs or any(len(pair) != 2 for pair in pairs):
        raise argparse.ArgumentTypeError(
            f"expected a preset ({', '.join(('yolov5', *PRESETS))}) or anchors 'w,h;w,h;...', got {text!r}"
        )
    array = np.array(pairs)
    if not np.all(np.isfinite(array) & (array > 0)):
        raise argparse.ArgumentTypeError(f"anchor widths and heights must be positive numbers, got {text!r}")
    return array


def _named_anchors(value: np.ndarray | str) -> tuple[str, np.ndarray]:
    """A name and the distinct ``(w, h)`` of a preset, of YOLOv5's defaults, or of a given list."""
    if isinstance(value, np.ndarray):
        return "given anchors", value
    if value == "yolov5":
        anchors = YOLOV5_ANCHORS.reshape(-1, 2).astype(np.float64)
        return "YOLOv5 default anchors (models/yolov5s.yaml, 640-pixel input)", anchors
    levels = PRESETS[value].levels((800, 800))  # cell anchor shapes do not depend on the image size
    corners = np.concatenate([level.cell_anchors for level in levels]).astype(np.float64)
    shapes = np.unique(np.round(corners[:, 2:] - corners[:, :2], 6), axis=0)
    return f"{value} anchors ({len(shapes)} distinct shapes)", shapes


def _metrics(wh: np.ndarray, anchors: np.ndarray, threshold: float) -> dict:
    return {"mean_best_iou": mean_best_iou(wh, anchors), **anchor_fit(wh, anchors, threshold)}


def _metrics_line(metrics: dict, threshold: float) -> str:
    return (f"mean best IoU {metrics['mean_best_iou']:.4f}, BPR {metrics['bpr']:.4f}, "
            f"anchors above threshold {metrics['aat']:.2f}, fitness {metrics['fitness']:.4f} "
            f"(threshold {threshold:g})")


def _anchor_rows(anchors: np.ndarray) -> list[str]:
    lines = [f"{'w':>9} {'h':>9} {'h/w':>7} {'sqrt(area)':>11}"]
    return lines + [f"{w:>9.2f} {h:>9.2f} {h / w:>7.3f} {np.sqrt(w * h):>11.2f}" for w, h in anchors]


def _load(args: argparse.Namespace) -> Annotations:
    """The dataset, with every way it can fail turned into one line naming the file or option."""
    image_size = None if args.image is None else (args.image[1], args.image[0])  # load_boxes: (w, h)
    try:
        data = load_boxes(args.path, args.format, image_size=image_size)
    except OSError as error:  # a missing file is a usage error here: one line, status 2
        raise ValueError(str(error)) from None
    except ValueError as error:
        raise ValueError(str(error).replace("image_size=", "--image").replace("image_size", "--image")) from None
    if len(data.boxes) == 0:
        raise ValueError(f"{args.path}: no boxes to fit ({data.num_images} images read, "
                         f"{len(data.skipped)} boxes left out)")
    return data


def _input_wh(data: Annotations, args: argparse.Namespace) -> tuple[np.ndarray, str, str | None]:
    """Box shapes in the network's input pixels: (wh, description, units for --emit or None)."""
    unknown = np.isnan(data.image_wh).any(axis=1)
    resized = args.long_side is not None or args.short_side is not None
    if resized and unknown.any():
        first = data.images[int(np.flatnonzero(unknown)[0])]
        raise ValueError(
            f"{args.path}: image size unknown for {int(unknown.sum())} boxes (no image {first!r} beside "
            "the file): pass --image HEIGHTxWIDTH, or fit without --long-side/--short-side"
        )
    if args.long_side is not None and args.short_side is not None:
        raise ValueError("--long-side (YOLOv5's letterbox) and --short-side (RetinaNet-style resize) "
                         "exclude each other")
    if args.long_side is not None:
        wh = letterbox_wh(data.boxes, data.image_wh, args.long_side)
        return wh, f"with each image resized to long side {args.long_side:g}", f"a {args.long_side:g}-pixel input"
    if args.short_side is not None:
        wh = keep_ratio_wh(data.boxes, data.image_wh, args.short_side, args.max_size)
        where = f"with each image resized to short side {args.short_side:g}, long side at most {args.max_size:g}"
        return wh, where, f"a {args.short_side:g}x{args.max_size:g} (short x max long side) input"
    return data.wh, "in original image pixels", None


# COCO's size classes (pycocotools cocoeval.py areaRng: 32**2 and 96**2), by sqrt(area), in the
# boxes' own units. The worst-case coverage of a large dataset is estimated on a seeded sample.
_SIZE_CLASSES = (("small", 0.0, 32.0), ("medium", 32.0, 96.0), ("large", 96.0, np.inf))
_COVERAGE_SAMPLE = 2000


def _worst_case_coverage(config: AnchorConfig, wh: np.ndarray, args: argparse.Namespace) -> dict:
    """Per size class, the share of boxes that every position matches: some anchor reaches the
    detector's positive IoU wherever the box lies (anchorlib.worst_case_iou of its size and shape)."""
    if config.name == "custom":
        threshold = 0.5  # RetinaNet's positive IoU, the threshold these ratios and scales are fitted for
    else:
        rule = config.assignment
        threshold = rule.get("positive_iou", ASSIGNMENT_RULES[rule["rule"]][0])
    sample = np.arange(len(wh))
    if len(wh) > _COVERAGE_SAMPLE:
        sample = np.sort(np.random.default_rng(args.seed).choice(len(wh), _COVERAGE_SAMPLE, replace=False))
    widths, heights = wh[sample, 0], wh[sample, 1]
    sides = np.sqrt(widths * heights)
    network = (round(args.short_side or 800), round(args.max_size))  # only for image-dependent strides
    worst = worst_case_iou(config, sides, aspect=heights / widths,
                           image_shape=None if config.fixed_strides else network)
    by_size = {}
    for name, low, high in _SIZE_CLASSES:
        members = (sides >= low) & (sides < high)
        count = int(members.sum())
        by_size[name] = {"boxes": count, "covered": float(np.mean(worst[members] >= threshold)) if count else None}
    return {"iou": threshold, "boxes": len(sample), "sampled": len(sample) < len(wh), "by_size": by_size}


def _coverage_line(coverage: dict) -> str:
    cells = [f"{name} {entry['covered']:.0%} of {entry['boxes']}" for name, entry in coverage["by_size"].items()
             if entry["boxes"]]
    sampled = f", on a seeded sample of {coverage['boxes']} boxes" if coverage["sampled"] else ""
    return (f"worst-case coverage (boxes with an anchor of IoU >= {coverage['iou']:g} wherever they lie{sampled}): "
            + ", ".join(cells))


_AUTOANCHOR_BPR = 0.98  # utils/autoanchor.py check_anchors: "if bpr > 0.98" the anchors stay
_EMITTERS_KMEANS = ("yolov5", "mmdet")
_EMITTERS_RATIOS = ("mmdet", "torchvision", "detectron2", "keras-retinanet")
_EMIT = ("yolov5", "mmdet", "torchvision", "detectron2", "keras-retinanet")


def _number_list(values) -> str:
    return ", ".join(f"{float(v):.4g}" for v in values)


def _emit_kmeans(target: str, anchors: np.ndarray, levels: int, units: str) -> list[str]:
    """Paste-ready anchors for YOLOv5 (a model .yaml) or mmdetection's YOLOAnchorGenerator."""
    if len(anchors) % levels:
        raise ValueError(f"--emit {target} needs --k divisible by --levels ({levels}), got k = {len(anchors)}")
    rows = np.round(anchors).astype(int).reshape(levels, -1, 2)  # sorted by area: smallest level first
    strides = [2 ** (3 + level) for level in range(levels)]
    if target == "yolov5":
        lines = [f"# YOLOv5 model .yaml: anchors in pixels of {units}, fitted by anchorlib", "anchors:"]
        for stride, row in zip(strides, rows):
            lines.append(f"  - [{', '.join(f'{w}, {h}' for w, h in row)}]  # P{stride.bit_length() - 1}/{stride}")
        return lines
    lines = [f"# mmdetection (YOLOV3Head): anchors in pixels of {units}, fitted by anchorlib;",
             "# levels in mmdetection's YOLOv3 order, largest stride first (as its featmap_strides)",
             "anchor_generator=dict(", "    type='YOLOAnchorGenerator',", "    base_sizes=["]
    for stride, row in reversed(list(zip(strides, rows))):
        lines.append(f"        [{', '.join(f'({w}, {h})' for w, h in row)}],  # stride {stride}")
    lines += ["    ],", f"    strides={strides[::-1]}),"]
    return lines


def _emit_ratios(target: str, fit, sizes: np.ndarray, strides: np.ndarray, units: str) -> list[str]:
    """Paste-ready ratios (h / w) and scales for the RetinaNet-style anchor generators."""
    ratios, scales = fit.ratios, fit.scales
    head = f"anchors for {units}, fitted by anchorlib; ratios are h / w"
    if target == "mmdet":
        return [f"# mmdetection AnchorGenerator: {head}; side = base size x scale",
                "anchor_generator=dict(", "    type='AnchorGenerator',",
                f"    ratios=[{_number_list(ratios)}],", f"    scales=[{_number_list(scales)}],",
                f"    base_sizes=[{_number_list(sizes)}],", f"    strides=[{_number_list(strides)}]),"]
    per_level = [[size * scale for scale in scales] for size in sizes]
    if target == "torchvision":
        return [f"# torchvision AnchorGenerator: {head}",
                "from torchvision.models.detection.anchor_utils import AnchorGenerator",
                "anchor_generator = AnchorGenerator(",
                "    sizes=(" + ", ".join(f"({_number_list(level)})" for level in per_level) + "),",
                f"    aspect_ratios=(({_number_list(ratios)}),) * {len(sizes)},", ")"]
    if target == "detectron2":
        return [f"# detectron2 config (YAML): {head}", "MODEL:", "  ANCHOR_GENERATOR:",
                "    SIZES: [" + ", ".join(f"[{_number_list(level)}]" for level in per_level) + "]",
                f"    ASPECT_RATIOS: [[{_number_list(ratios)}]]"]
    return [f"# keras-retinanet config.ini (--config): {head}", "[anchor_parameters]",
            "sizes   = " + " ".join(f"{v:.4g}" for v in sizes),
            "strides = " + " ".join(f"{v:.4g}" for v in strides),
            "ratios  = " + " ".join(f"{v:.4g}" for v in ratios),
            "scales  = " + " ".join(f"{v:.4g}" for v in scales)]


def _fit_report(args: argparse.Namespace) -> tuple[dict, list[str], dict[str, np.ndarray], np.ndarray]:
    """Everything `fit` computes: (JSON-ready report, text lines, anchor sets to plot, box shapes)."""
    data = _load(args)
    wh, where, units = _input_wh(data, args)
    if args.emit and units is None:
        raise ValueError("--emit needs the network's input size, since anchors are in its pixels: "
                         "--long-side 640 (YOLOv5) or --short-side 800 [--max-size 1333] (RetinaNet-style)")
    kept, dropped, tiny = yolov5_box_filter(wh)
    report: dict = {"source": data.summary().splitlines()[0], "boxes": len(wh), "units": where,
                    "threshold": args.threshold, "boxes_under_3px": tiny, "boxes_fitted": len(kept)}
    lines = [data.summary(), ""]
    if tiny:
        lines.append(f"warning: {tiny} of {len(wh)} boxes have a side under 3 pixels {where} (YOLOv5: "
                     "'Extremely small objects found')")
    if dropped:
        lines.append(f"{dropped} boxes with both sides under 2 pixels are left out of the fit (as YOLOv5); "
                     "metrics count every box")
    name, baseline = _named_anchors(args.against)
    report["baseline"] = {"name": name, "anchors": baseline.tolist(), **_metrics(wh, baseline, args.threshold)}
    keep = report["baseline"]["bpr"] > _AUTOANCHOR_BPR
    report["baseline"]["autoanchor_keeps_it"] = keep
    lines += [f"baseline: {name}:", _metrics_line(report["baseline"], args.threshold),
              f"YOLOv5's AutoAnchor would {'keep these anchors' if keep else 'look for new anchors'} "
              f"(it keeps them when BPR > {_AUTOANCHOR_BPR})"]
    # Only a preset places its anchors (strides, offsets); YOLOv5 and given lists are shapes alone.
    report["baseline"]["worst_case_coverage"] = None
    if isinstance(args.against, str) and args.against in PRESETS:
        coverage = _worst_case_coverage(PRESETS[args.against], wh, args)
        report["baseline"]["worst_case_coverage"] = coverage
        lines.append(_coverage_line(coverage))
    lines.append("")
    plotted = {"baseline": baseline}
    if args.ratios_scales:
        if len(args.strides) != len(args.sizes):
            raise ValueError(f"--strides needs one stride per --sizes level ({len(args.sizes)}), "
                             f"got {len(args.strides)}")
        fit = optimize_ratios_scales(
            kept, num_ratios=args.num_ratios, num_scales=args.num_scales, seed=args.seed,
            objective=args.objective, sizes=args.sizes, maxiter=args.maxiter, progress=args.progress,
        )
        metrics = _metrics(wh, fit.anchors, args.threshold)
        report["fitted"] = {"method": "ratios-scales", "ratios": fit.ratios.tolist(), "scales": fit.scales.tolist(),
                            "sizes": list(args.sizes), "objective": fit.objective, "value": fit.value,
                            "initial_value": fit.initial_value, **metrics}
        lines += [f"RetinaNet-style ratios and scales ({fit.objective} objective, seed {args.seed}), {where}:",
                  f"ratios (h/w) {_number_list(fit.ratios)}; scales {_number_list(fit.scales)}; "
                  f"sizes {_number_list(args.sizes)}",
                  f"objective {fit.value:.4f} (RetinaNet's defaults: {fit.initial_value:.4f})",
                  _metrics_line(metrics, args.threshold)]
        placed = AnchorConfig(sizes=args.sizes, strides=args.strides, ratios=fit.ratios, scales=fit.scales)
        report["fitted"]["worst_case_coverage"] = _worst_case_coverage(placed, wh, args)
        lines.append(_coverage_line(report["fitted"]["worst_case_coverage"]) + " (centres at (i + 0.5) * stride)")
        final = fit.anchors
        plotted["fitted"] = np.unique(np.round(final, 6), axis=0)
    else:
        anchors = kmeans_anchors(kept, args.k, seed=args.seed, restarts=args.restarts, progress=args.progress)
        metrics = _metrics(wh, anchors, args.threshold)
        report["fitted"] = {"method": "kmeans", "k": args.k, "restarts": args.restarts, "seed": args.seed,
                            "anchors": anchors.tolist(), **metrics}
        lines += [f"k-means (1 - IoU) anchors, k = {args.k}, best of {args.restarts} runs from seed {args.seed}, "
                  f"{where}:", *_anchor_rows(anchors), _metrics_line(metrics, args.threshold)]
        final = anchors
        if args.generations:
            final = evolve_anchors(kept, anchors, generations=args.generations, seed=args.seed,
                                   threshold=args.threshold, progress=args.progress)
            metrics = _metrics(wh, final, args.threshold)
            report["evolved"] = {"generations": args.generations, "anchors": final.tolist(), **metrics}
            lines += ["", f"after {args.generations} generations of YOLOv5-style evolution:",
                      *_anchor_rows(final), _metrics_line(metrics, args.threshold)]
        plotted["fitted"] = final
    better = metrics["fitness"] - report["baseline"]["fitness"]
    lines += ["", f"fitted vs baseline: BPR {metrics['bpr'] - report['baseline']['bpr']:+.4f}, "
                  f"fitness {better:+.4f}, mean best IoU "
                  f"{metrics['mean_best_iou'] - report['baseline']['mean_best_iou']:+.4f}"]
    if args.emit:
        if args.ratios_scales:
            if args.emit not in _EMITTERS_RATIOS:
                raise ValueError(f"--emit {args.emit} takes k-means anchors: drop --ratios-scales")
            snippet = _emit_ratios(args.emit, fit, np.array(args.sizes), np.array(args.strides), units)
        else:
            if args.emit not in _EMITTERS_KMEANS:
                raise ValueError(f"--emit {args.emit}: its anchor generator makes every size x ratio "
                                 "combination of a level, which k-means anchors are not; add --ratios-scales")
            snippet = _emit_kmeans(args.emit, final, args.levels, units)
        report["emit"] = {"target": args.emit, "snippet": "\n".join(snippet)}
        lines += ["", *snippet]
    return report, lines, plotted, wh


def _save_plot(path: str, wh: np.ndarray, anchors: dict[str, np.ndarray], title: str) -> None:
    from . import plot  # at the edge: only `--plot` needs matplotlib

    ax = plot.new_axes(6.0, 6.0, image_coords=False)
    plot.wh_scatter(ax, wh, anchors=anchors)
    every = np.concatenate([wh, *anchors.values()])  # the axes fit the boxes: widen them to every anchor
    low, high = min(ax.get_xlim()[0], every.min() / 1.5), max(ax.get_xlim()[1], every.max() * 1.5)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_title(title, fontsize=9)
    try:
        ax.figure.savefig(path, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as error:
        raise ValueError(f"--plot {path}: cannot write the figure: {error}") from None
    finally:
        import matplotlib.pyplot as plt

        plt.close(ax.figure)


def _cmd_fit(args: argparse.Namespace) -> int:
    report, lines, plotted, wh = _fit_report(args)
    if args.plot:
        _save_plot(args.plot, wh, plotted, f"{report['source']}\nboxes {report['units']}")
    # only once everything has succeeded: an error leaves stdout empty
    print(json.dumps(report, indent=1) if args.json else "\n".join(lines))
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    data = _load(args)
    wh, where, _ = _input_wh(data, args)
    name, anchors = _named_anchors(args.anchors)
    metrics = _metrics(wh, anchors, args.threshold)
    if args.json:
        print(json.dumps({"source": data.summary().splitlines()[0], "units": where, "name": name,
                          "anchors": anchors.tolist(), "threshold": args.threshold, **metrics}, indent=1))
        return 0
    print("\n".join([data.summary(), "", f"{name}, boxes {where}:", *_anchor_rows(anchors),
                     _metrics_line(metrics, args.threshold)]))
    return 0


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="COCO .json, YOLO folder, VOC .xml folder or .csv file")
    parser.add_argument("--format", choices=ANNOTATION_FORMATS, default=None, help="default: guessed from the path")
    parser.add_argument("--image", type=_image, default=None,
                        help="HEIGHTxWIDTH of every image, for YOLO labels or CSV rows whose images are not at hand")
    parser.add_argument("--long-side", type=_positive_float, default=None,
                        help="resize every image to this long side first, as YOLOv5's --img does (e.g. 640)")
    parser.add_argument("--short-side", type=_positive_float, default=None,
                        help="or resize as RetinaNet-style detectors do: short side to this (e.g. 800) ...")
    parser.add_argument("--max-size", type=_positive_float, default=1333.0,
                        help="... with the long side at most this (default 1333)")
    parser.add_argument("--threshold", type=float, default=4.0, help="YOLOv5 anchor_t (default 4.0)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def _add_fit_parsers(sub) -> None:
    fit = sub.add_parser("fit", help="anchors fitted to an annotated dataset, beside a baseline")
    _add_dataset_arguments(fit)
    fit.add_argument("--k", type=int, default=9, help="number of anchors (default 9)")
    fit.add_argument("--restarts", type=_positive_count, default=10, help="k-means runs, best kept (default 10)")
    fit.add_argument("--generations", type=int, default=0, help="YOLOv5-style evolution after k-means (default 0)")
    fit.add_argument("--against", type=_anchor_list, default="yolov5",
                     help="baseline: yolov5 (default), a preset, or 'w,h;w,h;...' in input pixels")
    fit.add_argument("--ratios-scales", action="store_true",
                     help="fit RetinaNet-style ratios and scales per level instead of k-means anchors")
    fit.add_argument("--num-ratios", type=int, default=3, help="with --ratios-scales: odd (default 3)")
    fit.add_argument("--num-scales", type=int, default=3, help="with --ratios-scales (default 3)")
    fit.add_argument("--sizes", type=_floats, default=[32.0, 64.0, 128.0, 256.0, 512.0],
                     help="with --ratios-scales: base size per level (default 32,64,128,256,512)")
    fit.add_argument("--strides", type=_floats, default=[8.0, 16.0, 32.0, 64.0, 128.0],
                     help="with --ratios-scales and --emit: stride per level (default 8,16,32,64,128)")
    fit.add_argument("--objective", choices=("focal", "avg", "ce"), default="focal")
    fit.add_argument("--maxiter", type=int, default=100, help="with --ratios-scales: generations (default 100)")
    fit.add_argument("--emit", choices=_EMIT, default=None, help="print a paste-ready snippet for this library")
    fit.add_argument("--levels", type=_positive_count, default=3,
                     help="pyramid levels for --emit yolov5/mmdet (default 3)")
    fit.add_argument("--plot", default=None, metavar="FILE", help="save box shapes and anchors (PNG, SVG, PDF)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--progress", action="store_true", help="show progress bars on stderr")
    fit.set_defaults(run=_cmd_fit)

    score = sub.add_parser("score", help="how well existing anchors fit an annotated dataset")
    _add_dataset_arguments(score)
    score.add_argument("--anchors", type=_anchor_list, default="yolov5",
                       help="yolov5 (default), a preset, or 'w,h;w,h;...' in input pixels")
    score.set_defaults(run=_cmd_score)


# ---------------------------------------------------------------------------------------------

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

    _add_fit_parsers(sub)
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


_MAX_TABLE_ANCHORS = 5_000_000  # show/compare build every anchor: 160 MB of float64 at most


def _check_table_size(args: argparse.Namespace) -> None:
    """Refuse an input so large that show/compare would allocate gigabytes for a few rows."""
    names = args.presets if args.command == "compare" else [args.preset]
    for name in names:
        total = PRESETS[name].count(args.image)
        if total > _MAX_TABLE_ANCHORS:
            height, width = args.image
            raise ValueError(
                f"--image {height}x{width}: {name} would place {total:,} anchors (at most "
                f"{_MAX_TABLE_ANCHORS:,} here); detectors see inputs of about 1333x800"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in ("show", "compare"):
            _check_table_size(args)
        status = args.run(args)
        sys.stdout.flush()  # a closed pipe (`| head`) raises here, inside the try
        return status
    except (ValueError, TypeError) as error:
        sys.stderr.write(f"anchorlib: error: {error}\n")
        return 2
    except BrokenPipeError:
        # The reader (e.g. `head`) has what it wanted: stop quietly, and keep Python's shutdown
        # from raising again while it flushes stdout (Python docs, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
