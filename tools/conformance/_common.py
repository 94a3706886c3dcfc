"""Shared plumbing of the conformance generators (not a generator: ``make conformance`` skips ``_*.py``).

Each generator ``tools/conformance/<library>.py`` runs the real library on inputs made here and writes
``tests/conformance/<library>/goldens.npz`` (compressed arrays: the inputs and the library's outputs)
and ``tests/conformance/<library>/meta.json`` (library version or commit, and one record per group
of cases: the exact call, the anchorlib function the tests compare it with, and how many cases).

Sources that are not on PyPI come from ``$SOURCES/<name>``: a git repository (bare or not) that
contains the pinned commit below. The commit's tree is extracted with ``git archive`` into
``$CONFORMANCE_BUILD/src/<name>`` (default ``.conformance-build``), so the working copy's own state
never matters. See ``tools/conformance/README.md`` for how to obtain each source.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np

#: torch's float32 ``exp``, ``log`` and ``sqrt`` on CPU call Intel MKL's vector math, which picks its
#: code path by CPU. On an AVX-512 Xeon (2026-12-02) its default path changed the last bits (1 to 512
#: float32 ulps) of 1 to 4 % of the coordinates of torchvision's, detectron2's and mmdet's encoded
#: deltas and decoded boxes from the goldens first made on another machine; MKL's conditional
#: numerical reproducibility mode ``COMPATIBLE`` (one code path on every x86 CPU) reproduced all of
#: them bit for bit. So every generator sets it, before torch's first MKL call (MKL reads it then),
#: unless the environment already sets ``MKL_CBWR``; ``meta.json`` records the value when torch was
#: used. One array still depends on the machine: mmdet's ``cell_anchors/v2`` (float32 ``sqrt`` of
#: random ratios) differed in 32 of 200 rows (at most 128 ulps) from the first run under every MKL and
#: ATen setting tried; its replay is a known difference with a bound (``tests/conformance/replay.py``).
os.environ.setdefault("MKL_CBWR", "COMPATIBLE")

REPO = Path(__file__).resolve().parents[2]
GOLDENS = REPO / "tests" / "conformance"

#: Sources fetched from public git repositories: name -> (repository, commit).
PINNED_SOURCES = {
    "yolov5": ("ultralytics/yolov5", "5081342f04fb287fc2e5f2b5a4e06752b7937b1c"),  # newest on 2026-12-02
    "detectron2": ("facebookresearch/detectron2", "02b5c4e295e990042a714712c21dc79b731e8833"),
    "py-faster-rcnn": ("rbgirshick/py-faster-rcnn", "781a917b378dbfdedb45b6a56189a31982da1b43"),
}

#: Image sizes (height, width) at which every preset is generated: tiny, odd, non-square, the
#: 800 x 1333 resize of the RetinaNet papers, and a large square.
IMAGE_SIZES = [
    (1, 1), (2, 3), (7, 7), (31, 45), (32, 32), (33, 97), (255, 257), (480, 640), (512, 512),
    (600, 1000), (800, 1333), (1333, 800), (2048, 2048),
]


def fail(message: str) -> None:
    print(f"conformance: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _git_dir(path: Path) -> Path:
    if (path / ".git").exists():
        return path / ".git"
    if (path / "objects").is_dir() and (path / "HEAD").exists():
        return path
    fail(f"{path} is not a git repository (expected a clone or a bare git directory)")
    raise AssertionError


def source_tree(name: str) -> Path:
    """The pinned commit of source ``name`` extracted from ``$SOURCES/<name>``; fails if absent."""
    repository, commit = PINNED_SOURCES[name]
    sources = Path(os.environ.get("SOURCES", REPO / "sources"))
    git_dir = _git_dir(sources / name)
    check = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True
    )
    if check.returncode:
        fail(f"{sources / name} does not contain {repository}@{commit}")
    target = Path(os.environ.get("CONFORMANCE_BUILD", REPO / ".conformance-build")) / "src" / name
    stamp = target / ".commit"
    if not (stamp.exists() and stamp.read_text() == commit):
        subprocess.run(["rm", "-rf", str(target)], check=True)
        target.mkdir(parents=True)
        archive = subprocess.run(
            ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit],
            check=True, capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        stamp.write_text(commit)
    return target


def shim_mmcv_ext() -> None:
    """Import shim: ``mmcv._ext`` (the compiled ops, absent with ``MMCV_WITH_OPS=0``).

    mmcv's ``ext_loader`` imports the extension when ``mmcv.ops`` is imported (mmdet imports it for
    NMS and RoIAlign). The stand-in answers every op name with a function that raises, so a call
    into a compiled op would fail loudly; the code compared here (anchor generators, box coders,
    ``bbox_overlaps``, assigners) is pure torch and calls none.
    """
    if "mmcv._ext" in sys.modules:
        return
    ext = types.ModuleType("mmcv._ext")

    def missing(name):
        if name.startswith("__"):
            raise AttributeError(name)

        def op(*args, **kwargs):
            raise NotImplementedError(f"mmcv compiled op {name} is not built (MMCV_WITH_OPS=0)")
        return op

    ext.__getattr__ = missing
    sys.modules["mmcv._ext"] = ext


def version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


def digest(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and C-order bytes."""
    array = np.ascontiguousarray(array)
    header = f"{array.dtype.str}{array.shape}".encode()
    return hashlib.sha256(header + array.tobytes()).hexdigest()


def sample_rows(n: int, rng: np.random.Generator, count: int = 48) -> np.ndarray:
    """First, second, last and ``count`` random row indices of an ``n``-row array (sorted, unique)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    picks = np.concatenate([[0, min(1, n - 1), n - 1], rng.integers(0, n, count)])
    return np.unique(picks).astype(np.int64)


def receptive_cells(size: int) -> list[int]:
    """Cells whose receptive fields the generators measure on a map of ``size`` cells: the first
    four, eight in the middle (every phase modulo 8 of the nearest upsampling) and the last four."""
    middle = max(0, size // 2 - 4)
    return sorted({*range(min(4, size)), *range(middle, min(middle + 8, size)), *range(max(0, size - 4), size)})


RECEPTIVE_COLUMNS = ["input size", "level", "cell", "first column", "last column", "cells"]


def add_receptive_groups(goldens: "Goldens", name: str, rows: np.ndarray, maps: tuple[str, str], call: str,
                         inputs: str, script: str, refused=()) -> list[tuple[str, np.ndarray]]:
    """The two receptive-field groups of one backbone: ``rows`` are ``(input size, path, level, cell,
    first column, last column, cells)`` with path 0 for the lateral ``C_l`` maps and 1 for the FPN's
    ``P_l`` maps (named ``maps``); ``inputs`` says how the gradient supports were sampled."""
    added = []
    for kind, path, anchorlib in (
        (0, "lateral", f"trace(BACKBONES[{name!r}].levels[l][:-1], n)[-1]: "
                       "[start0 + j * stride, start0 + j * stride + rf - 1] clipped"),
        (1, "fpn", f"receptive_fields({name!r}, l, n, 'fpn')[j]"),
    ):
        mine = rows[rows[:, 1] == kind][:, [0, 2, 3, 4, 5, 6]]
        goldens.add(
            f"receptive/{name}/{path}", kind="receptive",
            call=(f"gradient support along x of cell (middle row, j) of {maps[kind]} of {call} (random weights "
                  f"made positive, frozen BN, {inputs}); see {script}"),
            anchorlib=anchorlib, arrays={"rows": mine}, backbone=name, path=path, columns=RECEPTIVE_COLUMNS,
            sizes=sorted({int(n) for n in mine[:, 0]}), refused_sizes=list(refused), cases=len(mine),
        )
        added.append((path, mine))
    return added


class Goldens:
    """Collects arrays and case records, then writes ``goldens.npz`` and ``meta.json``."""

    def __init__(self, library: str, about: dict):
        self.library = library
        self.about = about
        self.arrays: dict[str, np.ndarray] = {}
        self.groups: list[dict] = []

    def add(self, group: str, *, kind: str, call: str, anchorlib: str, arrays: dict, **record):
        """One group of cases: ``arrays`` are stored under ``group/<key>``; ``record`` goes to JSON."""
        for key, value in arrays.items():
            self.arrays[f"{group}/{key}"] = np.asarray(value)
        self.groups.append(
            {"group": group, "kind": kind, "call": call, "anchorlib": anchorlib,
             "arrays": sorted(arrays), **record}
        )

    def write(self) -> None:
        folder = GOLDENS / self.library
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "goldens.npz", **self.arrays)
        about = dict(self.about)
        if "torch" in sys.modules:
            about["MKL_CBWR"] = os.environ.get("MKL_CBWR", "")
        meta = {"library": self.library, **about,
                "generator": f"tools/conformance/{Path(sys.argv[0]).name}",
                "numpy": np.__version__, "python": sys.version.split()[0], "groups": self.groups}
        (folder / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=False) + "\n")
        size = (folder / "goldens.npz").stat().st_size
        print(f"{self.library}: {len(self.groups)} groups, {size / 1e6:.2f} MB -> {folder}")


# ---------------------------------------------------------------------------------------------
# Inputs shared by every library (seeded, so each generator makes the same ones).

def random_boxes(rng, n, extent=(320, 384), integer=False, min_size=1.0, max_size=200.0):
    """``n`` xyxy boxes inside a ``(height, width)`` extent, float64 (rounded if ``integer``)."""
    h, w = extent
    bw = np.exp(rng.uniform(np.log(min_size), np.log(max_size), n))
    bh = np.exp(rng.uniform(np.log(min_size), np.log(max_size), n))
    x1 = rng.uniform(0, np.maximum(w - bw, 1))
    y1 = rng.uniform(0, np.maximum(h - bh, 1))
    boxes = np.stack([x1, y1, x1 + bw, y1 + bh], axis=1)
    if integer:
        boxes = np.round(boxes)
        boxes[:, 2] = np.maximum(boxes[:, 2], boxes[:, 0] + 1)
        boxes[:, 3] = np.maximum(boxes[:, 3], boxes[:, 1] + 1)
    return boxes


def coding_inputs(rng, n=400):
    """Anchor/box/delta triples for a box coder: random, extreme, near the clamp, degenerate-ish.

    Returns ``{name: (anchors, boxes, deltas)}``, float32-representable float64 arrays (the torch
    libraries take float32 tensors).
    """
    clamp = np.log(1000 / 16)
    out = {}
    a = random_boxes(rng, n, max_size=300)
    b = random_boxes(rng, n, max_size=300)
    d = rng.normal(0, 1, (n, 4))
    out["random"] = (a, b, d)
    a = random_boxes(rng, n, extent=(4000, 4000), min_size=0.01, max_size=3000)
    b = random_boxes(rng, n, extent=(4000, 4000), min_size=0.01, max_size=3000)
    d = rng.normal(0, 1, (n, 4)) * 10.0 ** rng.integers(-6, 3, (n, 4))
    out["extreme"] = (a, b, d)
    a = random_boxes(rng, n, max_size=300)
    b = random_boxes(rng, n, max_size=300)
    d = rng.normal(0, 0.5, (n, 4))
    steps = rng.integers(-3, 4, (n, 2))
    near = np.float32(clamp) + steps * np.spacing(np.float32(clamp))
    sign = rng.choice([-1.0, 1.0], (n, 2))
    d[:, 2:] = sign * near.astype(np.float64)
    out["near_clamp"] = (a, b, d)
    a = random_boxes(rng, n, integer=True, max_size=300)
    b = a.copy()
    b[: n // 2] = random_boxes(rng, n // 2, integer=True, max_size=300)  # half identical boxes
    d = np.zeros((n, 4))
    d[n // 2:] = rng.normal(0, 3, (n - n // 2, 4))
    out["integer"] = (a, b, d)
    return {k: tuple(np.asarray(x, np.float32).astype(np.float64) for x in v) for k, v in out.items()}


def threshold_boxes(thresholds, extent=64.0):
    """Anchor/box pairs whose float32 IoU is exactly at, or one or two float32 ulps around, each
    threshold. A box ``[0, 0, W, h]`` nested in the anchor ``[0, 0, W, H]`` has IoU ``h / H``.

    Returns ``(anchors, boxes, targets)``: one anchor and one box per row; ``targets`` is the
    threshold each row aims at.
    """
    anchors, boxes, targets = [], [], []
    for t in thresholds:
        for width, height in ((10.0, 10.0), (extent, extent), (37.0, 53.0), (100.0, 7.0)):
            h = np.float32(t * height)
            for k in range(-40, 41):
                hk = h + np.float32(k) * np.spacing(h)
                area_a = np.float32(width) * np.float32(height)
                inter = np.float32(width) * hk
                iou = inter / (area_a + inter - inter)
                gap = (iou.view(np.int32) - np.float32(t).view(np.int32))
                if abs(int(gap)) <= 2:
                    anchors.append([0.0, 0.0, width, height])
                    boxes.append([0.0, 0.0, width, float(hk)])
                    targets.append(t)
    return np.array(anchors), np.array(boxes), np.array(targets)


def matching_images(rng, count, integer, extent=(160, 192), max_boxes=8):
    """``count`` lists of ground-truth boxes; every third image repeats one of its boxes."""
    images = []
    for i in range(count):
        n = int(rng.integers(1, max_boxes + 1))
        boxes = random_boxes(rng, n, extent=extent, integer=integer, min_size=4, max_size=120)
        if i % 3 == 0:
            boxes = np.concatenate([boxes, boxes[rng.integers(0, n, 1)]])
        images.append(boxes)
    return images


def pack(images):
    """Ragged list of (n_i, 4) arrays -> (concatenated rows, offsets)."""
    offsets = np.cumsum([0] + [len(b) for b in images]).astype(np.int64)
    return np.concatenate(images).astype(np.float64), offsets


def assignment_problems(rng, anchors, thresholds, count=40):
    """Label-assignment problems for one library: ``anchors`` are its own anchors of a 160 x 192
    image (float32 values). Returns a dict of packed arrays:

    * ``anchor_sets`` / ``anchor_set_offsets``: set 0 is ``anchors``; sets 1.. are the two-anchor
      threshold probes ``[probe anchor, box itself]``;
    * ``gts`` / ``gt_offsets``; ``image_anchor_set``: which set each problem uses;
    * ``problem_kind``: 0 random float boxes, 1 random integer boxes, 2 threshold probe.

    The probe's box is its own best anchor (IoU 1), so the low-quality step never touches the
    probe anchor and its label shows the threshold comparison alone.
    """
    sets = [np.asarray(anchors, np.float64)]
    problems, kinds = [], []
    for integer in (False, True):
        for gts in matching_images(rng, count, integer):
            problems.append((0, gts))
            kinds.append(int(integer))
    probe_anchor, probe_box, _ = threshold_boxes(thresholds)
    for a, b in zip(probe_anchor, probe_box):
        sets.append(np.stack([a, b]))
        problems.append((len(sets) - 1, b[None, :]))
        kinds.append(2)
    anchor_sets, anchor_set_offsets = pack(sets)
    gts, gt_offsets = pack([g for _, g in problems])
    return {
        "anchor_sets": anchor_sets.astype(np.float32), "anchor_set_offsets": anchor_set_offsets,
        "gts": gts.astype(np.float32), "gt_offsets": gt_offsets,
        "image_anchor_set": np.array([s for s, _ in problems], np.int64),
        "problem_kind": np.array(kinds, np.int8),
    }


def iter_problems(problems):
    """Yield ``(anchors, gts)`` float32 arrays of each packed problem."""
    sets, so = problems["anchor_sets"], problems["anchor_set_offsets"]
    gts, go = problems["gts"], problems["gt_offsets"]
    for i, s in enumerate(problems["image_anchor_set"]):
        yield sets[so[s]:so[s + 1]], gts[go[i]:go[i + 1]]


def iou_inputs(rng):
    """Pairs of box sets for IoU: random float, random integer, degenerate and duplicated."""
    a = random_boxes(rng, 300)
    b = random_boxes(rng, 40)
    ai = random_boxes(rng, 300, integer=True)
    bi = random_boxes(rng, 40, integer=True)
    degenerate = np.array([[5, 5, 5, 9], [5, 5, 9, 5], [3, 3, 3, 3], [0, 0, 10, 10], [0, 0, 10, 10],
                           [2, 2, 12, 12], [10, 0, 20, 10], [0, 0, 1, 1]], np.float64)
    return {"float": (a, b), "integer": (ai, bi), "degenerate": (degenerate, degenerate)}


def py2_syntax_to_py3(path: Path) -> None:
    """Rewrite Python 2 ``print`` statements as calls and ``xrange`` as ``range`` (lib2to3's
    ``fix_print`` and ``fix_xrange`` alone), in the extracted copy. py-faster-rcnn is Python 2 code;
    its print statements sit in ``DEBUG`` branches and ``__main__`` blocks, which the generators
    never run. No other line changes."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lib2to3.refactor import RefactoringTool

    text = path.read_text()
    tool = RefactoringTool(["lib2to3.fixes.fix_print", "lib2to3.fixes.fix_xrange"])
    path.write_text(str(tool.refactor_string(text, str(path))))
