"""Benchmarks of anchorlib against floors measured on the machine they run on, and beside its peers.

    .venv/bin/python benchmarks/run.py            # full run, writes benchmarks/results.json
    .venv/bin/python benchmarks/run.py --quick    # fewer repeats, smaller scaling tables
    .venv/bin/python benchmarks/run.py --peers    # also torchvision, mmdet, detectron2, keras-retinanet

Each case reports its median wall time, its peak memory (numpy allocations traced by tracemalloc)
and its **ratio to a floor measured in the same run**, interleaved with it:

* whole-image anchors: ``np.full(shape, 1.0, dtype)``, a function that allocates and writes an
  array of the same shape and dtype once (target: 2x);
* best IoU: a fused loop of a few lines of C over the same (box, anchor) pairs that anchorlib's
  pruning keeps, compiled now with the system C compiler (``benchmarks/floors.py``; target: 3x),
  and the same loop over all pairs, for scale;
* other cases that write an answer: ``numpy.copyto`` of as many bytes (a read and a write).

A ratio stays comparable across machines and busy runs where seconds do not. ``--peers`` runs
``benchmarks/peers.py`` in the conformance environment (``$ANCHORLIB_PEERS_PYTHON``, default
``/work/.cenv/bin/python``; peer sources from ``$SOURCES``) and stores its table under ``"peers"``.

Not part of the test suite: nothing here passes or fails, it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import floors
import numpy as np
from common import IMAGE, anchorlib_anchors, interleaved, median_seconds, random_boxes

import anchorlib
from anchorlib.boxes import _BLOCK_ROWS, _AnchorIndex, _candidate_blocks

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results.json")
PEERS_PYTHON = os.environ.get("ANCHORLIB_PEERS_PYTHON", "/work/.cenv/bin/python")


@dataclass
class Result:
    case: str
    seconds: float          # median wall time
    peak_mb: float          # peak traced allocation during one call, MB
    output_mb: float        # size of what the case returns, MB
    baseline_seconds: float  # the floor, measured in the same run (0: none)
    ratio: float            # seconds / baseline_seconds
    target: str             # the goal this case is held to ("" for none)
    baseline: str = "numpy.copyto of the output's bytes"  # what the floor is
    extra: dict | None = None  # further floors or counts, by name


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
    return median_seconds(lambda: np.copyto(target, source), most=repeats)


def run_case(name: str, function: Callable[[], object], repeats: int, target: str = "",
             baseline_mb: float | None = None) -> Result:
    start = time.perf_counter()
    output = function()
    first = time.perf_counter() - start
    out_mb = output_megabytes(output) if baseline_mb is None else baseline_mb
    repeats = max(3, min(repeats, int(10 / max(first, 1e-9))))  # about 10 s per case at most
    seconds = median_seconds(function, most=repeats, least=3, warm_up=False)  # the first call warmed up
    # Compute-bound cases with (next to) no output have no bandwidth baseline: ratio left at 0.
    baseline = copy_baseline(out_mb, max(repeats, 5)) if out_mb > 0 else 0.0
    peak = peak_megabytes(function)
    return Result(name, seconds, peak, out_mb, baseline, seconds / baseline if baseline else 0.0, target)


# --- cases ------------------------------------------------------------------------------------------

PRESETS = ("keras-retinanet", "torchvision-retinanet", "mmdet-retinanet", "mmdet-legacy-retinanet",
           "detectron2-retinanet", "py-faster-rcnn", "torchvision-fasterrcnn", "mmdet-fasterrcnn",
           "detectron2-rpn")


def anchor_case(preset: str, repeats: int) -> Result:
    """A preset's anchors at 800 x 1333 written once into one array of its dtype, against
    allocating and filling that array (``np.full``)."""
    output = anchorlib_anchors(preset, IMAGE)
    floor = lambda: np.full(output.shape, 1.0, output.dtype)  # noqa: E731
    (seconds, cpu), (floor_seconds, floor_cpu) = interleaved([lambda: anchorlib_anchors(preset, IMAGE), floor],
                                                             repeats)
    return Result(f"anchors {preset}, 800x1333 ({output.dtype})", seconds,
                  peak_megabytes(lambda: anchorlib_anchors(preset, IMAGE)), output.nbytes / 1e6,
                  floor_seconds, seconds / floor_seconds, "within 2x of the floor",
                  f"np.full({output.shape}, 1.0, {output.dtype})",
                  {"cpu seconds": cpu, "floor cpu seconds": floor_cpu, "cpu ratio": cpu / floor_cpu})


def iou_case(boxes: np.ndarray, anchors: np.ndarray, repeats: int, target: str = "") -> Result:
    """best_iou against the compiled loop over the pairs its pruning keeps, and over all pairs."""
    index = _AnchorIndex.of(anchors)
    # The loop reads the anchors in anchorlib's sorted order, so each block's anchors lie close
    # together in memory, as the numpy kernel's gathered copies do.
    kept = [(part, near[keep]) for part, _, keep, near in _candidate_blocks(boxes, index, _BLOCK_ROWS)]
    same_pairs = floors.best_iou_given_pairs(boxes, np.ascontiguousarray(index.columns[:4].T), kept)
    all_pairs = floors.best_iou_all_pairs(boxes, anchors)
    ours = lambda: anchorlib.best_iou(boxes, anchors)  # noqa: E731
    expected = ours()
    agree = np.array_equal(same_pairs(), expected) and np.array_equal(all_pairs(), expected)
    (seconds, cpu), (same_seconds, same_cpu), (all_seconds, _) = interleaved([ours, same_pairs, all_pairs], repeats)
    extra = {"pairs": len(boxes) * len(anchors), "pairs kept": same_pairs.pairs,
             "cpu seconds": cpu, "floor cpu seconds": same_cpu, "cpu ratio": cpu / same_cpu,
             "all-pairs loop seconds": all_seconds, "ratio to the all-pairs loop": seconds / all_seconds,
             "compiled loops agree exactly": bool(agree), "compiler": floors.compiler_version()}
    return Result(f"best_iou {len(boxes):,} boxes x {len(anchors):,} anchors", seconds, peak_megabytes(ours),
                  expected.nbytes / 1e6, same_seconds, seconds / same_seconds, target,
                  "compiled loop over the same pairs", extra)


def cases(quick: bool, repeats: int) -> list[Result]:
    rng = np.random.default_rng(0)
    found = [anchor_case(preset, repeats * 4) for preset in PRESETS]
    anchors = anchorlib.PRESETS["keras-retinanet"].anchors(IMAGE)
    boxes = random_boxes(1000, rng)
    found.append(iou_case(boxes, anchors, 3 if quick else 7, "within 3x of the floor"))

    million = million_anchors()[: 200_000 if quick else None]
    few = random_boxes(100, rng)
    full = run_case(f"box_iou {len(million):,} x 100 (full matrix)", lambda: anchorlib.box_iou(million, few),
                    repeats, "", len(million) * 100 * 8 / 1e6)
    found.append(full)
    found.append(run_case(f"best_iou 1000 boxes x {len(million):,} anchors (peak memory)",
                          lambda: anchorlib.best_iou(boxes, million), 3, "peak memory < 512 MB", 0.0))

    # The three configurations of the chapter on small objects.
    shapes = dict(ratios=[0.5, 1, 2], scales=list(anchorlib.octave_scales(3)), offset=0.5)
    configurations = {
        "RetinaNet P3-P7": anchorlib.AnchorConfig(sizes=[32, 64, 128, 256, 512], strides=[8, 16, 32, 64, 128],
                                                  **shapes),
        "halved scales": anchorlib.AnchorConfig(sizes=[16, 32, 64, 128, 256], strides=[8, 16, 32, 64, 128], **shapes),
        "P2-P6": anchorlib.AnchorConfig(sizes=[16, 32, 64, 128, 256], strides=[4, 8, 16, 32, 64], **shapes),
    }
    for label, config in configurations.items():
        found.append(run_case(f"worst_case_iou 16 px, {label}",
                              lambda config=config: anchorlib.worst_case_iou(config, 16), repeats, "", 0.0))
        found.append(run_case(f"covered_sizes IoU 0.5, {label}",
                              lambda config=config: anchorlib.covered_sizes(config, 0.5, max_size=800),
                              repeats, "", 0.0))
    # Anchors from data: k-means with 1 - IoU on a million COCO-like boxes.
    data = anchorlib.synthetic_boxes(200_000 if quick else 1_000_000, seed=0).boxes
    wh = data[:, 2:] - data[:, :2]
    found.append(run_case(f"kmeans_anchors {len(wh):,} boxes, k = 9",
                          lambda: anchorlib.kmeans_anchors(wh, 9, seed=0), repeats, "under 2 s", 0.0))
    return found


P2_P6_KERAS = dict(sizes=[16, 32, 64, 128, 256], strides=[4, 8, 16, 32, 64], pyramid_levels=[2, 3, 4, 5, 6])


def million_anchors() -> np.ndarray:
    """The first 1,000,000 anchors of keras-retinanet's preset on P2-P6 at 1024 x 1536."""
    return anchorlib.AnchorConfig.from_preset("keras-retinanet", **P2_P6_KERAS).anchors((1024, 1536))[:1_000_000]


def scaling(quick: bool) -> dict[str, list[dict]]:
    """Time against input size: it should grow like the work, no faster."""
    repeats = 3 if quick else 7
    sides = [256, 512, 1024, 1536, 2048]
    images = []
    for side in sides:
        function = lambda side=side: anchorlib_anchors("keras-retinanet", (side, side))
        count = len(function())
        images.append({"side": side, "anchors": count, "seconds": median_seconds(function, most=repeats)})
    rng = np.random.default_rng(1)
    anchors = anchorlib.PRESETS["keras-retinanet"].anchors(IMAGE)
    counts = [10, 100, 1000] if quick else [10, 100, 1000, 10_000]
    boxes = []
    for count in counts:
        gt = random_boxes(count, rng)
        function = lambda gt=gt: anchorlib.best_iou(gt, anchors)
        boxes.append({"boxes": count, "anchors": len(anchors), "seconds": median_seconds(function, most=repeats)})
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


def suite_seconds() -> tuple[float, bool]:
    """Wall time of the test suite as `make test` runs it (after the site build), and whether it passed."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadscope"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, result.returncode == 0


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
    lines = [f"{'case':<58} {'median ms':>10} {'peak MB':>9} {'out MB':>8} {'floor ms':>9} {'ratio':>7}  target"]
    for r in results:
        lines.append(f"{r.case:<58} {r.seconds * 1e3:>10.2f} {r.peak_mb:>9.1f} {r.output_mb:>8.1f} "
                     f"{r.baseline_seconds * 1e3:>9.3f} {r.ratio:>7.2f}  {r.target}")
        for key, value in (r.extra or {}).items():
            lines.append(f"{'':<4}{key}: {value:.4g}" if isinstance(value, float) else f"{'':<4}{key}: {value}")
    return "\n".join(lines)


def peers(quick: bool) -> dict:
    """The peers' table from benchmarks/peers.py, run by the conformance environment's Python."""
    if not Path(PEERS_PYTHON).exists():
        return {"skipped": f"no conformance environment at {PEERS_PYTHON} (set ANCHORLIB_PEERS_PYTHON)"}
    out = Path(tempfile.mkdtemp(prefix="anchorlib-peers-")) / "peers.json"
    command = [PEERS_PYTHON, "-W", "ignore", str(Path(__file__).with_name("peers.py")), "--out", str(out)]
    subprocess.run(command + (["--quick"] if quick else []), cwd=ROOT, check=True)
    return json.loads(out.read_text())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller inputs")
    parser.add_argument("--no-book", action="store_true", help="skip timing the notebooks")
    parser.add_argument("--suite", action="store_true", help="also time the test suite (about a minute)")
    parser.add_argument("--peers", action="store_true", help="also time the peer libraries (a few minutes)")
    parser.add_argument("--peers-from", type=Path, help="store this earlier peers.py table instead of timing them")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 11
    load = {"start": list(os.getloadavg())}
    results = cases(args.quick, repeats)
    print(table(results))
    report: dict = {"machine": machine(), "quick": args.quick, "load_average": load,
                    "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "results": [asdict(r) for r in results], "scaling": scaling(args.quick)}
    for name, rows in report["scaling"].items():
        print(f"\nscaling with {name}:")
        for row in rows:
            print("  " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
    if args.peers_from:
        measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(args.peers_from.stat().st_mtime))
        report["peers"] = {"measured_at": measured, **json.loads(args.peers_from.read_text())}
    elif args.peers:
        print("\npeers:", flush=True)
        report["peers"] = peers(args.quick)
    if not args.no_book:
        report["book_seconds"] = book_seconds()
        print(f"\nnotebooks: {sum(report['book_seconds'].values()):.1f} s in all (target < 60 s)")
    if args.suite:
        report["suite_seconds"], report["suite_passed"] = suite_seconds()
        print(f"test suite: {report['suite_seconds']:.1f} s (target < 300 s with the build), "
              f"{'passed' if report['suite_passed'] else 'FAILED (run it alone to see why)'}")
    load["end"] = list(os.getloadavg())
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nload average (1, 5, 15 min) at start {load['start']}, at end {load['end']}; written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
