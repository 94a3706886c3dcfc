"""anchorlib beside the libraries it reproduces, on the same inputs, in one process (benchmark-only).

Run by ``benchmarks/run.py --peers`` with the conformance environment's Python (torch, torchvision,
mmdet; see ``tools/conformance``), or directly::

    /work/.cenv/bin/python benchmarks/peers.py --out /tmp/peers.json [--quick]

Each case first checks that the peer and anchorlib agree on the case's input (anchors: the same
boxes, compared bit for bit after widening to float64; best IoU: the peer's IoU formula run in
float64 gives the same maxima bit for bit, and its float32 result is within float32 rounding), then
times both, interleaved, with the median of several calls, single-threaded and with torch's
default threads. A peer that is not installed, or whose source is not found, is reported as
skipped with the reason, never silently dropped.

Peers not on PyPI (detectron2, keras-retinanet) are imported from their pinned commits, extracted
with ``git archive`` from ``$SOURCES/<name>`` (a clone or a bare git directory, as for
``make conformance``) into a temporary directory: nothing of theirs is stored in this repository.
The shims stand in for imports only, as in ``tools/conformance``: keras-retinanet's ``tensorflow``
(a stand-in whose ``keras.backend.floatx()`` answers ``"float32"``, Keras' default: the one call
``keras_retinanet/utils/anchors.py`` makes), present only while it is imported; and mmcv's
compiled ops ``mmcv._ext`` (not built), none of which the timed code calls. keras-retinanet's
Cython ``compute_overlap`` is compiled in the temporary copy.
"""

from __future__ import annotations

import argparse
import ast
import importlib.machinery
import json
import os
import platform
import subprocess
import sys
import sysconfig
import tempfile
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import IMAGE, anchorlib_anchors, interleaved, median_seconds, random_boxes  # noqa: E402

import anchorlib  # noqa: E402

#: Sources that are not on PyPI: name -> (repository, pinned commit), as in tools/conformance.
PINNED = {
    "detectron2": ("facebookresearch/detectron2", "02b5c4e295e990042a714712c21dc79b731e8833"),
    "keras-retinanet": ("fizyr/keras-retinanet", "7ac91dfbbacce77d6d9633fc09e16cd0ee71fd5e"),
    "yolov5": ("ultralytics/yolov5", "5081342f04fb287fc2e5f2b5a4e06752b7937b1c"),
}
SIDES = [256, 512, 1024, 2048]
BOX_COUNTS = [10, 100, 1000]
CHUNK = 20_000  # anchors per call of a peer's pairwise IoU: a (1000, 20000) float32 matrix is 80 MB


def source(name: str) -> Path:
    """The pinned commit of ``name`` extracted from ``$SOURCES/<name>`` into a temporary directory."""
    repository, commit = PINNED[name]
    where = Path(os.environ.get("SOURCES", "sources")) / name
    git_dir = where / ".git" if (where / ".git").exists() else where
    target = Path(tempfile.gettempdir()) / f"anchorlib-peers-{name}-{commit[:12]}"
    if not (target / ".complete").exists():
        archive = subprocess.run(["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit],
                                 capture_output=True)
        if archive.returncode:
            raise RuntimeError(f"{repository}@{commit[:7]} not found in {where} (set SOURCES)")
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        (target / ".complete").touch()
    sys.path.insert(0, str(target))
    return target


# --- whole-image anchors ------------------------------------------------------------------------


def padded(shape, divisor=32):
    return tuple(-(-n // divisor) * divisor for n in shape)


def feature_shapes(shape, levels):
    return [tuple(-(-n // 2**level) for n in shape) for level in levels]


def torchvision_anchors(torch):
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.image_list import ImageList

    # retinanet_resnet50_fpn's generator (torchvision/models/detection/retinanet.py).
    sizes = tuple((x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3))) for x in [32, 64, 128, 256, 512])
    generator = AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))

    def make(shape):
        pad = padded(shape)
        images = ImageList(torch.zeros(1, 1, *pad), [tuple(shape)])
        features = [torch.zeros(1, 1, *s) for s in feature_shapes(pad, range(3, 8))]
        return lambda: generator(images, features)[0]

    return "torchvision-retinanet", "AnchorGenerator.forward", make


def mmdet_anchors(torch):
    shim_mmcv_ext()
    from mmdet.models.task_modules.prior_generators import AnchorGenerator

    # configs/_base_/models/retinanet_r50_fpn.py
    generator = AnchorGenerator(strides=[8, 16, 32, 64, 128], ratios=[0.5, 1.0, 2.0],
                                octave_base_scale=4, scales_per_octave=3)

    def make(shape):
        sizes = feature_shapes(padded(shape), range(3, 8))
        return lambda: generator.grid_priors(sizes, device="cpu")

    return "mmdet-retinanet", "AnchorGenerator.grid_priors", make


def detectron2_anchors(torch):
    source("detectron2")
    from detectron2.modeling.anchor_generator import DefaultAnchorGenerator

    # configs/Base-RetinaNet.yaml: sizes x * 2**(i/3), ratios 0.5/1/2, strides 8-128, offset 0.
    sizes = [[x, x * 2 ** (1 / 3), x * 2 ** (2 / 3)] for x in [32, 64, 128, 256, 512]]
    generator = DefaultAnchorGenerator(sizes=sizes, aspect_ratios=[[0.5, 1.0, 2.0]],
                                       strides=[8, 16, 32, 64, 128], offset=0.0)

    def make(shape):
        features = [torch.zeros(1, 1, *s) for s in feature_shapes(padded(shape), range(3, 8))]
        return lambda: generator(features)

    return "detectron2-retinanet", "DefaultAnchorGenerator.forward", make


def keras_retinanet():
    """keras-retinanet's ``utils`` package from its pinned source, its Cython ``compute_overlap``
    compiled in the extracted copy (as its setup.py does), behind the ``tensorflow`` shim."""
    root = source("keras-retinanet")
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not (root / "keras_retinanet" / "utils" / f"compute_overlap{suffix}").exists():
        script = ("import numpy; from setuptools import Extension, setup; from Cython.Build import cythonize; "
                  "setup(ext_modules=cythonize([Extension('keras_retinanet.utils.compute_overlap', "
                  "['keras_retinanet/utils/compute_overlap.pyx'], include_dirs=[numpy.get_include()])], quiet=True), "
                  "script_args=['build_ext', '--inplace', '-q'])")
        subprocess.run([sys.executable, "-c", script], cwd=root, check=True, capture_output=True)
    shim = types.ModuleType("tensorflow")
    shim.__spec__ = importlib.machinery.ModuleSpec("tensorflow", None)
    shim.keras = types.SimpleNamespace(backend=types.SimpleNamespace(floatx=lambda: "float32"))
    sys.modules["tensorflow"] = shim
    try:
        from keras_retinanet.utils import anchors, compute_overlap
    finally:
        del sys.modules["tensorflow"]  # only keras-retinanet's import sees it
    return anchors, compute_overlap


def keras_retinanet_anchors(torch):
    anchors, _ = keras_retinanet()

    def make(shape):
        return lambda: anchors.anchors_for_shape((*shape, 3))

    return "keras-retinanet", "utils.anchors.anchors_for_shape", make


def shim_mmcv_ext() -> None:
    """``mmcv._ext``, mmcv's compiled ops (not built with ``MMCV_WITH_OPS=0``): imported by
    ``mmcv.ops``, which mmdet imports; every op raises if called. The anchor generator and
    ``bbox_overlaps`` timed here are pure torch and call none."""
    if "mmcv._ext" not in sys.modules:
        ext = types.ModuleType("mmcv._ext")

        def op(name):
            if name.startswith("__"):
                raise AttributeError(name)
            return lambda *args, **kwargs: (_ for _ in ()).throw(NotImplementedError(f"mmcv op {name} not built"))

        ext.__getattr__ = op
        sys.modules["mmcv._ext"] = ext


def yolov5_grids(torch):
    """YOLOv5's ``Detect._make_grid`` for P3-P5 of a 640 x 640 input, beside ``anchorlib.yolov5_grid``.

    ``models/yolo.py`` imports most of YOLOv5 (and ``utils/general.py`` tries to ``pip install``
    when an import fails), so only the method's own source is taken from the pinned file and run
    unchanged on a stand-in ``self`` holding what ``Detect.__init__`` stores (``anchors`` in
    strides, ``stride``, ``na``); its default argument calls ``check_version(torch.__version__,
    "1.10.0")``, which the stand-in answers truthfully (torch 2 is newer)."""
    if not hasattr(anchorlib, "yolov5_grid"):
        raise RuntimeError("this anchorlib has no yolov5_grid")
    root = source("yolov5")
    tree = ast.parse((root / "models" / "yolo.py").read_text())
    detect = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Detect")
    method = next(node for node in detect.body if isinstance(node, ast.FunctionDef) and node.name == "_make_grid")
    namespace = {"torch": torch, "check_version": lambda current, minimum: True}
    exec(compile(ast.Module([method], []), str(root / "models" / "yolo.py"), "exec"), namespace)
    make_grid = namespace["_make_grid"]
    strides = torch.tensor([8.0, 16.0, 32.0])
    anchors = torch.tensor(np.asarray(anchorlib.YOLOV5_ANCHORS, np.float32)) / strides.view(-1, 1, 1)
    detect_self = types.SimpleNamespace(anchors=anchors, stride=strides, na=anchors.shape[1])

    def run(shape):
        cells = [(-(-shape[0] // s), -(-shape[1] // s)) for s in (8, 16, 32)]
        theirs = lambda: [make_grid(detect_self, nx, ny, i) for i, (ny, nx) in enumerate(cells)]  # noqa: E731
        ours = lambda: [anchorlib.yolov5_grid(cell, s, a)  # noqa: E731
                        for cell, s, a in zip(cells, (8, 16, 32), anchorlib.YOLOV5_ANCHORS)]
        return theirs, ours

    return run


def yolov5_case(torch, quick: bool) -> dict:
    """YOLOv5's grids at 640 x 640 (its default input) and scaling with the side."""
    try:
        run = yolov5_grids(torch)
    except Exception as error:  # noqa: BLE001
        return {"case": "anchors", "library": "yolov5", "skipped": f"{type(error).__name__}: {error}"}
    theirs, ours = run((640, 640))
    agree = all(np.array_equal(t.numpy()[0], o) for pair_t, pair_o in zip(theirs(), ours())
                for t, o in zip(pair_t, pair_o))
    row = {"case": "anchors", "library": "yolov5", "call": "models/yolo.py Detect._make_grid (P3-P5)",
           "preset": "yolov5_grid", "image": [640, 640], "agree": agree}
    timed(torch, row, theirs, ours, repeats=15)
    row["scaling"] = []
    with torch_threads(torch, 1):
        for side in SIDES[:2] if quick else SIDES:
            theirs, ours = run((side, side))
            row["scaling"].append({"side": side, "peer_seconds": median_seconds(theirs, least=3, budget=2.0),
                                   "anchorlib_seconds": median_seconds(ours, least=3, budget=2.0)})
    print(summary(row), flush=True)
    return row


def as_array(value) -> np.ndarray:
    """A peer's anchors (tensor, list of tensors, detectron2 Boxes) as one float64 array."""
    if isinstance(value, (list, tuple)):
        return np.concatenate([as_array(item) for item in value])
    if hasattr(value, "tensor"):  # detectron2 Boxes
        value = value.tensor
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value, np.float64)


def anchor_cases(torch, quick: bool) -> list[dict]:
    rows = []
    for peer in (keras_retinanet_anchors, torchvision_anchors, mmdet_anchors, detectron2_anchors):
        library = peer.__name__.replace("_anchors", "").replace("_", "-")
        try:
            preset, call, make = peer(torch)
        except Exception as error:  # noqa: BLE001  (any import failure: reported, not hidden)
            rows.append({"case": "anchors", "library": library, "skipped": f"{type(error).__name__}: {error}"})
            continue
        theirs, ours = make(IMAGE), lambda preset=preset: anchorlib_anchors(preset, IMAGE)
        agree = bool(np.array_equal(as_array(theirs()), ours().astype(np.float64)))
        row = {"case": "anchors", "library": library, "call": call, "preset": preset,
               "image": list(IMAGE), "anchors": len(ours()), "agree": agree}
        timed(torch, row, theirs, ours, repeats=15)
        row["scaling"] = []
        with torch_threads(torch, 1):
            for side in SIDES[:2] if quick else SIDES:
                shape = (side, side)
                row["scaling"].append({"side": side,
                                       "peer_seconds": median_seconds(make(shape), least=3, budget=2.0),
                                       "anchorlib_seconds": median_seconds(
                                           lambda preset=preset, shape=shape: anchorlib_anchors(preset, shape),
                                           least=3, budget=2.0)})
        rows.append(row)
        print(summary(row), flush=True)
    return rows


# --- best IoU of many boxes over all anchors ------------------------------------------------------


def torch_best(torch, pairwise):
    """``make(boxes, anchors, dtype)``: a call computing each box's best IoU with a torch pairwise
    IoU, anchors ``CHUNK`` at a time (the full (1000, 200700) float32 matrix alone is 800 MB)."""

    def make(boxes, anchors, dtype):
        b, a = torch.from_numpy(boxes).to(dtype), torch.from_numpy(anchors).to(dtype)

        def run():
            best = torch.zeros(len(b), dtype=dtype)
            for start in range(0, len(a), CHUNK):
                best = torch.maximum(best, pairwise(b, a[start:start + CHUNK]).max(1).values)
            return best.numpy()

        return run

    return make


def numpy_best(overlap):
    """The same for keras-retinanet's ``compute_overlap(anchors, boxes)`` (Cython, float64 only)."""

    def make(boxes, anchors, dtype):
        def run():
            best = np.zeros(len(boxes))
            for start in range(0, len(anchors), CHUNK):
                np.maximum(best, overlap(anchors[start:start + CHUNK], boxes).max(axis=0), out=best)
            return best

        return run

    return make


def iou_peers(torch):
    """(library, call, make) for each importable peer; make as in :func:`torch_best`."""
    found, skipped = [], []

    def torchvision():
        from torchvision.ops import box_iou
        return "ops.box_iou", torch_best(torch, box_iou)

    def mmdet():
        shim_mmcv_ext()
        from mmdet.structures.bbox import bbox_overlaps
        return "structures.bbox.bbox_overlaps", torch_best(torch, bbox_overlaps)

    def detectron2():
        source("detectron2")
        from detectron2.structures import Boxes, pairwise_iou
        return "structures.pairwise_iou", torch_best(torch, lambda a, b: pairwise_iou(Boxes(a), Boxes(b)))

    def keras_retinanet_():
        _, overlap = keras_retinanet()
        return "utils.compute_overlap (Cython, float64)", numpy_best(overlap.compute_overlap)

    for library, load in (("torchvision", torchvision), ("mmdet", mmdet), ("detectron2", detectron2),
                          ("keras-retinanet", keras_retinanet_)):
        try:
            found.append((library, *load()))
        except Exception as error:  # noqa: BLE001  (reported as skipped, with the reason)
            skipped.append((library, error))
    return found, skipped


def iou_cases(torch, quick: bool) -> list[dict]:
    rng = np.random.default_rng(0)
    anchors = anchorlib_anchors("keras-retinanet", IMAGE).astype(np.float64)
    boxes = random_boxes(100 if quick else 1000, rng)
    counts = [count for count in BOX_COUNTS if count < len(boxes)]
    found, skipped = iou_peers(torch)
    rows = [{"case": "best_iou", "library": name, "skipped": f"{type(e).__name__}: {e}"} for name, e in skipped]
    ours = lambda boxes=boxes: anchorlib.best_iou(boxes, anchors)  # noqa: E731
    expected = ours()
    for library, call, make in found:
        exact = bool(np.array_equal(make(boxes, anchors, torch.float64)(), expected))
        difference = float(np.abs(make(boxes, anchors, torch.float32)() - expected).max())
        # Bit for bit when the library's formula runs in float64; detectron2's Boxes always casts
        # to float32, so for it (and as a second check for all) the float32 run must be within
        # float32 rounding of an IoU (about 1e-7; 1e-5 allows for the rounding of the coordinates).
        row = {"case": "best_iou", "library": library, "call": call, "anchors_per_call": CHUNK,
               "boxes": len(boxes), "anchors": len(anchors), "agree": exact or difference < 1e-5,
               "float64_bit_exact": exact, "float32_max_difference": difference}
        timed(torch, row, make(boxes, anchors, torch.float32), ours, repeats=3)  # a peer's call takes seconds
        row["scaling"] = []
        with torch_threads(torch, 1):
            for count in counts:
                few = boxes[:count]
                row["scaling"].append({"boxes": count,
                                       "peer_seconds": median_seconds(make(few, anchors, torch.float32), least=3,
                                                                      budget=3.0),
                                       "anchorlib_seconds": median_seconds(
                                           lambda few=few: anchorlib.best_iou(few, anchors), least=3, budget=3.0)})
        single = {k: v for k, v in row["threads 1"].items() if k != "peer_over_anchorlib"}
        row["scaling"].append({"boxes": len(boxes), **single})
        rows.append(row)
        print(summary(row), flush=True)
    return rows


# --- plumbing -------------------------------------------------------------------------------------


def timed(torch, row: dict, theirs, ours, repeats: int) -> None:
    """Time the peer's call and anchorlib's in turn (interleaved medians), with one torch thread
    and with torch's default, into ``row["threads 1"]`` and ``row["threads default"]``."""
    for threads in (1, "default"):
        with torch_threads(torch, threads):
            (peer_s, _), (ours_s, _) = interleaved([theirs, ours], repeats)
        row[f"threads {threads}"] = {"peer_seconds": peer_s, "anchorlib_seconds": ours_s,
                                     "peer_over_anchorlib": peer_s / ours_s}


class torch_threads:
    """Run a block with ``threads`` torch threads (``"default"``: what torch chose at start-up)."""

    default: int | None = None

    def __init__(self, torch, threads):
        self.torch, self.threads = torch, threads
        if torch_threads.default is None:
            torch_threads.default = torch.get_num_threads()

    def __enter__(self):
        self.torch.set_num_threads(torch_threads.default if self.threads == "default" else self.threads)

    def __exit__(self, *exc):
        self.torch.set_num_threads(torch_threads.default)


def summary(row: dict) -> str:
    if "skipped" in row:
        return f"{row['case']:<9} {row['library']:<16} skipped: {row['skipped']}"
    parts = [f"{row['case']:<9} {row['library']:<16} agree={row['agree']}"]
    for key in ("threads 1", "threads default"):
        r = row[key]
        parts.append(f"{key}: peer {r['peer_seconds'] * 1e3:.2f} ms, anchorlib {r['anchorlib_seconds'] * 1e3:.2f} ms "
                     f"({r['peer_over_anchorlib']:.2f}x)")
    return "; ".join(parts)


def versions(torch) -> dict:
    found = {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
             "torch default threads": torch_threads.default or torch.get_num_threads()}
    for name in ("torchvision", "mmdet", "mmengine", "mmcv"):
        try:
            found[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001
            found[name] = None
    for name, (repository, commit) in PINNED.items():
        found[name] = f"{repository}@{commit[:7]}"
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON results")
    parser.add_argument("--quick", action="store_true", help="fewer sizes")
    args = parser.parse_args(argv)
    import torch

    torch_threads.default = torch.get_num_threads()
    rows = anchor_cases(torch, args.quick) + [yolov5_case(torch, args.quick)] + iou_cases(torch, args.quick)
    report = {"measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "versions": versions(torch),
              "load_average": list(os.getloadavg()), "rows": rows}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
