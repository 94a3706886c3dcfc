"""Replay YOLOv5's goldens through anchorlib (numpy only).

``tests/conformance/yolov5/`` holds what ultralytics/yolov5 computed (``tools/conformance/yolov5.py``).
Each handler takes ``(library, record, arrays)`` -- a group's JSON record and its arrays -- and
returns ``(same, largest_difference)``: one boolean per case (a cell's box, an image's targets, a
level's grid) saying whether anchorlib's result is bit-identical, and the largest absolute
difference. The signature is the one of ``tests/conformance/replay.py``'s handlers, so the YOLOv5
groups can be replayed there too (``HANDLERS``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import anchorlib
from anchorlib.yolo import _decode_sigmoid

FOLDER = Path(__file__).resolve().parent / "yolov5"


def load() -> tuple[dict, dict]:
    meta = json.loads((FOLDER / "meta.json").read_text())
    with np.load(FOLDER / "goldens.npz") as data:
        arrays = {key: data[key] for key in data.files}
    return meta, arrays


def group_arrays(record: dict, arrays: dict) -> dict:
    return {key: arrays[f"{record['group']}/{key}"] for key in record["arrays"]}


def _rows(mine: np.ndarray, theirs: np.ndarray) -> tuple[np.ndarray, float]:
    """Row-wise bit-identity over the last axis, and the largest absolute difference."""
    mine = np.asarray(mine, np.float64).reshape(-1, theirs.shape[-1])
    theirs = np.asarray(theirs, np.float64).reshape(-1, theirs.shape[-1])
    gap = np.abs(mine - theirs)
    return (mine == theirs).all(axis=1), float(gap.max(initial=0.0))


def grid(library, record, a):
    rows, cols = record["feature_shape"]
    mine_grid, mine_anchors = anchorlib.yolov5_grid((rows, cols), record["stride"], a["anchors"])
    same_grid, gap_grid = _rows(mine_grid, a["grid"])
    same_anchors, gap_anchors = _rows(mine_anchors, a["anchor_grid"])
    return np.array([same_grid.all() and same_anchors.all()]), max(gap_grid, gap_anchors)


def decode(library, record, a):
    return _rows(anchorlib.yolov5_decode(a["raw"], record["stride"], a["anchors"]), a["boxes"])


def decode_after_sigmoid(library, record, a):
    rows, cols = a["sigmoid"].shape[1:3]
    cells, sizes = anchorlib.yolov5_grid((rows, cols), record["stride"], a["anchors"])
    return _rows(_decode_sigmoid(a["sigmoid"], cells, sizes, np.float32(record["stride"])), a["boxes"])


def assign_targets(record, a) -> anchorlib.Yolov5Targets:
    return anchorlib.yolov5_assign(a["boxes"], tuple(record["image_shape"]), a["anchors"],
                                   tuple(record["strides"]), record["anchor_t"])


def assign(library, record, a):
    """One case per image: every level's positives equal, in YOLOv5's order."""
    targets = assign_targets(record, a)
    same, gap = True, 0.0
    for level in range(len(record["strides"])):
        key = f"P{level + 3}_"
        mine = targets.level == level
        if np.count_nonzero(mine) != len(a[key + "anchor"]):
            return np.array([False]), float("inf")
        theirs = np.concatenate([a[key + "tbox"], a[key + "anchor_wh"]], axis=1)
        values = np.concatenate([targets.xy[mine], targets.wh[mine], targets.anchor_wh[mine]], axis=1)
        rows_same, rows_gap = _rows(values, theirs) if len(theirs) else (np.ones(0, bool), 0.0)
        indices_same = all(
            np.array_equal(mine_values, a[key + name])
            for mine_values, name in ((targets.anchor[mine], "anchor"), (targets.row[mine], "row"),
                                      (targets.col[mine], "col"))
        )
        same = same and indices_same and bool(rows_same.all())
        gap = max(gap, rows_gap)
    return np.array([same]), gap


def autoanchor(library, record, a):
    fit = anchorlib.anchor_fit(a["wh"], a["anchors"], record["threshold"])
    mine = np.array([fit["bpr"], fit["aat"], fit["fitness"]])
    theirs = np.array([a["bpr"], a["aat"], a["fitness"]], dtype=np.float64)
    # YOLOv5 reports float32 means. Its bpr and aat are means of small integers (exact sums, one
    # rounding), so anchorlib's float64 values must round to them; its fitness sums 300 float32
    # values, so it agrees to float32 summation error only.
    counts_same = (mine[:2].astype(np.float32) == theirs[:2].astype(np.float32)).all()
    fitness_same = abs(mine[2] - theirs[2]) <= 1e-6 * abs(theirs[2])
    return np.array([counts_same and fitness_same]), float(np.abs(mine - theirs).max())


HANDLERS = {
    "yolov5_grid": grid,
    "yolov5_decode": decode,
    "yolov5_decode_sigmoid": decode_after_sigmoid,
    "yolov5_assign": assign,
    "yolov5_autoanchor": autoanchor,
}
