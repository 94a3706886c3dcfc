"""Benchmarks of anchorlib against the memory-bandwidth limit of the machine they run on.

    .venv/bin/python benchmarks/run.py            # full run, writes benchmarks/results.json
    .venv/bin/python benchmarks/run.py --quick    # fewer repeats, smaller scaling tables

Each case reports its median wall time, its peak memory (numpy allocations traced by tracemalloc)
and its **ratio to a bandwidth baseline measured in the same run**: the median time of
``numpy.copyto`` into a preallocated array as large as the case's output. A ratio of 1 means "as
fast as writing the answer once"; the ratio stays comparable across machines and noisy runs where
the seconds do not.

Not part of the test suite: nothing here passes or fails, it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

import anchorlib

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results.json")


@dataclass
class Result:
    case: str
    seconds: float          # median wall time
    peak_mb: float          # peak traced allocation during one call, MB
    output_mb: float        # size of what the case returns, MB
    baseline_seconds: float  # numpy.copyto of output_mb in the same run
    ratio: float            # seconds / baseline_seconds
    target: str             # the goal this case is held to ("" for none)


def median_seconds(function: Callable[[], object], repeats: int, *, warm_up: bool = True) -> float:
    """Median wall time of ``repeats`` calls (fewer when one call is slow: about 10 s in all)."""
    if warm_up:
        start = time.perf_counter()
        function()  # first-touch page faults and cold caches are not what we measure
        repeats = max(1, min(repeats, int(10 / max(time.perf_counter() - start, 1e-9))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_megabytes(function: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def output_megabytes(value: object) -> float:
    if isinstance(value, np.ndarray):
        return value.nbytes / 1e6
    if isinstance(value, (list, tuple)):
        return sum(output_megabytes(item) for item in value)
    if isinstance(value, dict):
        return sum(output_megabytes(item) for item in value.values())
    return 0.0


def copy_baseline(megabytes: float, repeats: int) -> float:
    """Median time to write ``megabytes`` of float64 with numpy.copyto (source and target preallocated)."""
    count = max(int(megabytes * 1e6 / 8), 1)
    source = np.ones(count)
    target = np.empty_like(source)
    return median_seconds(lambda: np.copyto(target, source), repeats)


def run_case(name: str, function: Callable[[], object], repeats: int, target: str = "",
             baseline_mb: float | None = None) -> Result:
    start = time.perf_counter()
    output = function()
    first = time.perf_counter() - start
    out_mb = output_megabytes(output) if baseline_mb is None else baseline_mb
    repeats = max(3, min(repeats, int(10 / max(first, 1e-9))))  # about 10 s per case at most
    seconds = median_seconds(function, repeats, warm_up=False)  # the first call above warmed up
    # Compute-bound cases with (next to) no output have no bandwidth baseline: ratio left at 0.
    baseline = copy_baseline(out_mb, max(repeats, 5)) if out_mb > 0 else 0.0
    peak = peak_megabytes(function)
    return Result(name, seconds, peak, out_mb, baseline, seconds / baseline if baseline else 0.0, target)


# --- cases ------------------------------------------------------------------------------------------

IMAGE = (800, 1333)
P2_P6_KERAS = anchorlib.AnchorConfig.from_preset(
    "keras-retinanet", sizes=[16, 32, 64, 128, 256], strides=[4, 8, 16, 32, 64], pyramid_levels=[2, 3, 4, 5, 6])


def per_level_anchors(config: anchorlib.AnchorConfig, image_shape) -> list[np.ndarray]:
    """Every level's anchors, generated afresh (no concatenation: that copy is not generation)."""
    return [level.anchors for level in config.levels(image_shape)]


def random_boxes(count: int, rng: np.random.Generator, extent: float = 1333.0) -> np.ndarray:
    corners = rng.uniform(0, extent, size=(count, 2))
    return np.concatenate([corners, corners + rng.uniform(8, 400, size=(count, 2))], axis=1)


def million_anchors() -> np.ndarray:
    """The first 1,000,000 anchors of keras-retinanet's preset on P2-P6 at 1024 x 1536."""
    return P2_P6_KERAS.anchors((1024, 1536))[:1_000_000]


def cases(quick: bool) -> list[tuple[str, Callable[[], object], str, float | None]]:
    """(name, function, target, baseline MB or None for 'the size of what it returns')."""
    rng = np.random.default_rng(0)
    found: list[tuple[str, Callable[[], object], str, float | None]] = []
    anchor_target = "within 3x of the bandwidth baseline"
    for preset in ("keras-retinanet", "torchvision-retinanet", "mmdet-retinanet", "detectron2-retinanet"):
        found.append((f"anchors_for_image {preset}, 800x1333",
                      lambda preset=preset: per_level_anchors(anchorlib.PRESETS[preset], IMAGE), anchor_target, None))
    # One level of 37,800 anchors: small enough that the fixed cost of a call shows; no target.
    found.append(("anchors_for_image py-faster-rcnn (one level), 800x1333",
                  lambda: per_level_anchors(anchorlib.PRESETS["py-faster-rcnn"], IMAGE), "", None))
    found.append(("anchors_for_image keras-retinanet P2-P6, 800x1333",
                  lambda: per_level_anchors(P2_P6_KERAS, IMAGE), anchor_target, None))
    for preset in ("torchvision-fasterrcnn", "mmdet-fasterrcnn", "detectron2-rpn"):
        found.append((f"anchors_for_image {preset} (P2-P6), 800x1333",
                      lambda preset=preset: per_level_anchors(anchorlib.PRESETS[preset], IMAGE), anchor_target, None))

    anchors = million_anchors()
    if quick:
        anchors = anchors[:200_000]
    for count in (100, 1000):
        boxes = random_boxes(count, rng)
        work_mb = len(anchors) * count * 8 / 1e6  # one float64 per IoU: the full matrix, written once
        if count == 100:  # the full 1,000,000 x 1,000 matrix would take 8 GB: only best_iou can do that
            found.append((f"box_iou {len(anchors):,} x {count} (full matrix)",
                          lambda boxes=boxes: anchorlib.box_iou(anchors, boxes), "", work_mb))
        found.append((f"best_iou {count} boxes x {len(anchors):,} anchors",
                      lambda boxes=boxes: anchorlib.best_iou(boxes, anchors),
                      "peak memory < 512 MB" if count == 1000 else "", work_mb))

    # The three configurations of the chapter on small objects.
    shapes = dict(ratios=[0.5, 1, 2], scales=list(anchorlib.octave_scales(3)), offset=0.5)
    configurations = {
        "RetinaNet P3-P7": anchorlib.AnchorConfig(sizes=[32, 64, 128, 256, 512], strides=[8, 16, 32, 64, 128],
                                                  **shapes),
        "halved scales": anchorlib.AnchorConfig(sizes=[16, 32, 64, 128, 256], strides=[8, 16, 32, 64, 128], **shapes),
        "P2-P6": anchorlib.AnchorConfig(sizes=[16, 32, 64, 128, 256], strides=[4, 8, 16, 32, 64], **shapes),
    }
    for label, config in configurations.items():
        found.append((f"worst_case_iou 16 px, {label}",
                      lambda config=config: anchorlib.worst_case_iou(config, 16), "", 0.0))
        found.append((f"covered_sizes IoU 0.5, {label}",
                      lambda config=config: anchorlib.covered_sizes(config, 0.5, max_size=800),
                      "", 0.0))
    # Anchors from data: k-means with 1 - IoU on a million COCO-like boxes.
    boxes = anchorlib.synthetic_boxes(200_000 if quick else 1_000_000, seed=0).boxes
    wh = boxes[:, 2:] - boxes[:, :2]
    found.append((f"kmeans_anchors {len(wh):,} boxes, k = 9",
                  lambda: anchorlib.kmeans_anchors(wh, 9, seed=0), "under 2 s", 0.0))
    return found


def scaling(quick: bool) -> dict[str, list[dict]]:
    """Time against input size: it should grow like the work, no faster."""
    repeats = 3 if quick else 7
    sides = [256, 512, 1024, 1536, 2048]
    images = []
    for side in sides:
        function = lambda side=side: per_level_anchors(anchorlib.PRESETS["keras-retinanet"], (side, side))
        count = sum(len(a) for a in function())
        images.append({"side": side, "anchors": count, "seconds": median_seconds(function, repeats)})
    rng = np.random.default_rng(1)
    anchors = anchorlib.PRESETS["keras-retinanet"].anchors(IMAGE)
    counts = [10, 100, 1000] if quick else [10, 100, 1000, 10_000]
    boxes = []
    for count in counts:
        gt = random_boxes(count, rng)
        function = lambda gt=gt: anchorlib.best_iou(gt, anchors)
        boxes.append({"boxes": count, "anchors": len(anchors), "seconds": median_seconds(function, repeats)})
    return {"image side (keras-retinanet P3-P7)": images, "boxes (best IoU against 200,700 anchors)": boxes}


def book_seconds() -> dict[str, float]:
    """Wall time to execute each chapter top to bottom in a fresh kernel (kernel start included)."""
    sys.path.insert(0, str(ROOT))
    from tools.notebooks import execute  # noqa: E402  (the same runner the tests use)

    times = {}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        start = time.perf_counter()
        execute(path)
        times[path.name] = time.perf_counter() - start
    return times


def suite_seconds() -> float:
    """Wall time of the test suite as `make test` runs it (after the site build)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadscope"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def machine() -> dict:
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "cores": os.cpu_count(), "system": platform.system()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def table(results: list[Result]) -> str:
    lines = [f"{'case':<58} {'median ms':>10} {'peak MB':>9} {'out MB':>8} {'copy ms':>8} {'ratio':>7}  target"]
    for r in results:
        lines.append(f"{r.case:<58} {r.seconds * 1e3:>10.2f} {r.peak_mb:>9.1f} {r.output_mb:>8.1f} "
                     f"{r.baseline_seconds * 1e3:>8.3f} {r.ratio:>7.2f}  {r.target}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller inputs")
    parser.add_argument("--no-book", action="store_true", help="skip timing the notebooks")
    parser.add_argument("--suite", action="store_true", help="also time the test suite (about a minute)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 11
    results = [run_case(name, function, repeats, target, baseline)
               for name, function, target, baseline in cases(args.quick)]
    print(table(results))
    report: dict = {"machine": machine(), "quick": args.quick,
                    "results": [asdict(r) for r in results], "scaling": scaling(args.quick)}
    for name, rows in report["scaling"].items():
        print(f"\nscaling with {name}:")
        for row in rows:
            print("  " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
    if not args.no_book:
        report["book_seconds"] = book_seconds()
        print(f"\nnotebooks: {sum(report['book_seconds'].values()):.1f} s in all (target < 60 s)")
    if args.suite:
        report["suite_seconds"] = suite_seconds()
        print(f"test suite: {report['suite_seconds']:.1f} s (target < 300 s with the build)")
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
