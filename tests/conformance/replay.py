"""Replay the conformance goldens through anchorlib (numpy only; no torch, no network).

``tests/conformance/<library>/goldens.npz`` and ``meta.json`` hold what each library computed
(``make conformance``, ``tools/conformance/``). :func:`replay` recomputes every group of cases with
anchorlib and reports, per group, how many cases are bit-exact and the largest difference.
:data:`KNOWN_DIFFERENCES` lists the groups where anchorlib is known not to be bit-exact, with the
reason and a bound; the tests fail on any other difference, and on a known one beyond its bound.
The book's Conformance appendix is drawn from the same records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import anchorlib
from anchorlib import presets

HERE = Path(__file__).resolve().parent
LIBRARIES = ("torchvision", "mmdet", "detectron2", "keras_retinanet", "py_faster_rcnn", "receptive_torch",
             "receptive_keras", "fpn_level")
#: With YOLOv5, whose goldens are replayed by ``yolov5_replay`` (same handler signature) and tested
#: by ``test_yolov5.py``; the appendix shows them all.
ALL_LIBRARIES = LIBRARIES + ("yolov5",)

#: (library, group prefix) -> (reason, largest fraction of cases allowed to differ, largest
#: absolute difference allowed). Each reason is measured: the appendix prints the actual numbers.
KNOWN_DIFFERENCES = {
    ("torchvision", "iou/degenerate"): (
        "two degenerate boxes (union 0): torchvision divides 0 by 0 and gives NaN, anchorlib 0", 0.2, 0.0),
}
KNOWN_DIFFERENCES[("mmdet", "cell_anchors/v2")] = (
    "torch's float32 sqrt is not correctly rounded (it differs from IEEE sqrt, numpy's, in 17 % of "
    "random float32 inputs, with MKL_CBWR=COMPATIBLE), so with random ratios an anchor corner can move "
    "by a float32 ulp or two, and which rows differ depends on the machine that made the goldens; the "
    "default ratios 0.5, 1, 2 are unaffected (every mmdet preset is bit-exact)", 0.5, 2e-3)
KNOWN_DIFFERENCES[("yolov5", "decode/")] = (
    "torch's float32 sigmoid is not correctly rounded (anchorlib's is): at most 2 ulps on the "
    "sigmoid, 8 on the boxes (bounds tested in test_yolov5.py)", 1.0, 1e-3)
KNOWN_DIFFERENCES[("yolov5", "autoanchor/threshold")] = (
    "YOLOv5 compares float32 ratios with 1/3 rounded to float32, anchorlib.anchor_fit in float64: "
    "boxes exactly 3 times or a third of an anchor side fall on the other side (test_yolov5.py)",
    1.0, 0.1)
for _library in ("torchvision", "detectron2", "mmdet"):
    for _kind in ("encode", "decode"):
        KNOWN_DIFFERENCES[(_library, _kind)] = (
            "float32 log and exp: torch's are not correctly rounded (on random inputs its log differs "
            "from the correctly rounded float in 5 % of cases, its exp in 1 %), anchorlib's are, so "
            "t_w, t_h (encode) and decoded corners (decode) can differ in the last bit or two", 0.2, 1e-3)


@dataclass
class Result:
    library: str
    group: str
    kind: str
    call: str
    anchorlib: str
    cases: int
    exact: int
    max_difference: float
    note: str = ""

    @property
    def known(self):
        return known_difference(self.library, self.group)


def known_difference(library: str, group: str):
    for (lib, prefix), value in KNOWN_DIFFERENCES.items():
        if lib == library and group.startswith(prefix):
            return value
    return None


def load(library: str):
    folder = HERE / library
    meta = json.loads((folder / "meta.json").read_text())
    with np.load(folder / "goldens.npz") as data:
        arrays = {key: data[key] for key in data.files}
    return meta, arrays


def _digest(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    return hashlib.sha256(f"{array.dtype.str}{array.shape}".encode() + array.tobytes()).hexdigest()


def _difference(mine: np.ndarray, theirs: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-row exactness (NaN equals NaN) and the largest finite absolute difference."""
    mine = np.asarray(mine, np.float64).reshape(len(theirs), -1)
    theirs = np.asarray(theirs, np.float64).reshape(len(theirs), -1)
    same = (mine == theirs) | (np.isnan(mine) & np.isnan(theirs))
    gap = np.abs(mine - theirs)
    gap = gap[np.isfinite(gap)]
    return same.all(axis=1), float(gap.max()) if gap.size else 0.0


_FLOAT32 = ("torchvision", "mmdet", "detectron2")
_CODER = {"torchvision": "torchvision", "detectron2": "detectron2", "py_faster_rcnn": "py-faster-rcnn"}


def _anchors(library, record, a):
    image = tuple(record["image_shape"])
    shapes = record["feature_shapes"]
    config = anchorlib.AnchorConfig.from_preset(record["preset"], **record.get("overrides", {}))
    levels = [level.anchors for level in config.levels(image, feature_shapes=shapes)]
    mine = np.concatenate(levels).astype(record["dtype"])
    counts_ok = record["counts"] is None or [len(x) for x in levels] == record["counts"]
    total_ok = "total" not in record or len(mine) == record["total"]
    exact = counts_ok and total_ok and _digest(mine) == record["sha256"]
    rows = a["rows"]
    if len(mine) > rows.max(initial=-1):
        _, gap = _difference(mine[rows], a["sample"])
    else:
        gap = float("inf")
    return np.array([exact]), gap


def _cell_anchors(library, record, a):
    out = a["anchors"]
    if library == "torchvision":
        mine = [presets.torchvision_base_anchors(s, r) for s, r in zip(a["sizes"], a["ratios"])]
    elif library == "detectron2":
        mine = [presets.detectron2_base_anchors(s, r) for s, r in zip(a["sizes"], a["ratios"])]
    elif library == "mmdet":
        mine = [presets.mmdet_base_anchors(b, r, s, o, legacy=record["legacy"])
                for b, r, s, o in zip(a["base"], a["ratios"], a["scales"], a["offsets"])]
    elif library == "keras_retinanet":
        mine = [presets.keras_retinanet_base_anchors(b, r, s) for b, r, s in zip(a["base"], a["ratios"], a["scales"])]
    else:
        mine = [presets.py_faster_rcnn_base_anchors(b, r, s) for b, r, s in zip(a["base"], a["ratios"], a["scales"])]
    return _difference(np.stack(mine).astype(out.dtype), out)


def _coding_library(library, group):
    if library == "mmdet":
        return "mmdet-legacy" if "/legacy/" in group else "mmdet"
    return _CODER[library]


def _encode(library, record, a):
    lib = _coding_library(library, record["group"])
    if library == "mmdet":
        mine = anchorlib.encode(a["anchors"], a["boxes"], library=lib, means=record["means"], stds=record["stds"])
    else:
        mine = anchorlib.encode(a["anchors"], a["boxes"], record["weights"], library=lib)
    return _difference(mine.astype(a["out"].dtype), a["out"])


def _decode(library, record, a):
    lib = _coding_library(library, record["group"])
    if library == "mmdet":
        options = {} if lib == "mmdet-legacy" else dict(
            clip_border=record["clip_border"], add_ctr_clamp=record["add_ctr_clamp"], ctr_clamp=record["ctr_clamp"])
        mine = anchorlib.decode(a["anchors"], a["deltas"], library=lib, means=record["means"], stds=record["stds"],
                                max_shape=record["max_shape"], **options)
    else:
        mine = anchorlib.decode(a["anchors"], a["deltas"], record["weights"], library=lib)
    return _difference(mine.astype(a["out"].dtype), a["out"])


def _encode_corners(library, record, a):
    return _difference(anchorlib.encode_corners(a["anchors"], a["boxes"]), a["out"])


def _decode_corners(library, record, a):
    """keras-retinanet's model-side decode (float32 TensorFlow), bit for bit: anchorlib's float64
    result (float32 values widened exactly) against the library's float32 output widened to float64,
    compared as bit patterns (so -0.0 differs from 0.0)."""
    mine = np.ascontiguousarray(anchorlib.decode_corners(a["anchors"], a["deltas"], inference=True), np.float64)
    theirs = np.ascontiguousarray(a["out"], np.float64)
    _, gap = _difference(mine, theirs)
    return (mine.view(np.int64) == theirs.view(np.int64)).all(axis=1), gap


def _iou(library, record, a):
    if library in _FLOAT32:
        mine = anchorlib.box_iou(a["boxes1"], a["boxes2"], dtype="float32")
    else:
        mine = anchorlib.box_iou(a["boxes1"], a["boxes2"], inclusive=library == "py_faster_rcnn")
    same, gap = _difference(mine.astype(a["out"].dtype).reshape(-1, 1), a["out"].reshape(-1, 1))
    return same, gap


def _problems(a):
    sets, so, gts, go = a["anchor_sets"], a["anchor_set_offsets"], a["gts"], a["gt_offsets"]
    for i, s in enumerate(a["image_anchor_set"]):
        yield sets[so[s]:so[s + 1]].astype(np.float64), gts[go[i]:go[i + 1]].astype(np.float64)


def _assign(library, record, a):
    options = dict(rule=record["rule"], positive_iou=record["positive_iou"], negative_iou=record["negative_iou"],
                   allow_low_quality=record["allow_low_quality"])
    if record["rule"] == "mmdet":
        options["min_pos_iou"] = record["min_pos_iou"]
    check_matched = record.get("matched_known", True)
    same, start = [], 0
    for anchors, gts in _problems(a):
        labels, matched = anchorlib.assign(anchors, gts, **options)
        stop = start + len(anchors)
        ok = np.array_equal(labels, a["labels"][start:stop])
        if check_matched:
            ok = ok and np.array_equal(matched, a["matched"][start:stop])
        same.append(ok)
        start = stop
    return np.array(same), 0.0


def _assign_grid(library, record, a):
    image, feature = tuple(record["image_shape"]), [tuple(record["feature_shape"])]
    anchors = anchorlib.PRESETS["py-faster-rcnn"].anchors(image, feature_shapes=feature)
    inside = ((anchors[:, 0] >= 0) & (anchors[:, 1] >= 0)
              & (anchors[:, 2] < image[1]) & (anchors[:, 3] < image[0]))  # allowed_border = 0
    gts, go = a["gts"], a["gt_offsets"]
    same = []
    for i in range(len(go) - 1):
        labels = np.full(len(anchors), -1, np.int64)
        labels[inside], _ = anchorlib.assign(anchors[inside], gts[go[i]:go[i + 1]], rule="py-faster-rcnn")
        same.append(np.array_equal(labels, a["labels"][i * len(anchors):(i + 1) * len(anchors)]))
    return np.array(same), 0.0


def _atss(library, record, a):
    gts, go = a["gts"].astype(np.float64), a["gt_offsets"]
    anchors = a["anchors"].astype(np.float64)
    n = len(anchors)
    same = []
    for i in range(len(go) - 1):
        labels, matched = anchorlib.atss_assign(anchors, gts[go[i]:go[i + 1]], record["anchors_per_level"],
                                                k=record["k"])
        same.append(np.array_equal(labels, a["labels"][i * n:(i + 1) * n])
                    and np.array_equal(matched, a["matched"][i * n:(i + 1) * n]))
    return np.array(same), 0.0


def _receptive(library, record, a):
    """Measured receptive fields (gradient supports along x) vs anchorlib, both clipped to the image:
    ``path`` "lateral" (the default, C_l maps) against the layer arithmetic of the chain without the
    FPN output conv, "fpn" (P_l maps) against ``receptive_fields(..., "fpn")``."""
    backbone = record["backbone"]
    same, gap = [], 0.0
    for n, level, cell, lo, hi, cells in a["rows"]:
        if record.get("path", "lateral") == "fpn":
            fields = anchorlib.receptive_fields(backbone, int(level), int(n), "fpn")
            size, mine = len(fields), tuple(int(v) for v in fields[int(cell)])
        else:
            g = anchorlib.trace(anchorlib.BACKBONES[backbone].levels[int(level)][:-1], int(n))[-1]
            start = g.start0 + int(cell) * g.stride
            size, mine = g.size, (max(start, 0), min(start + g.rf - 1, int(n) - 1))
        same.append(size == cells and mine == (lo, hi))
        gap = max(gap, abs(mine[0] - lo), abs(mine[1] - hi))
    return np.array(same), float(gap)


def _fpn_level(library, record, a):
    """The FPN level of each RoI (torchvision's LevelMapper, detectron2's assign_boxes_to_levels),
    both in float32; ``record["library"]`` says which rule produced the group."""
    mine = anchorlib.fpn_level(a["boxes"], library=record["library"])
    return np.asarray(mine) == np.asarray(a["levels"]).reshape(-1), 0.0


_HANDLERS = {
    "anchors": _anchors, "cell_anchors": _cell_anchors, "encode": _encode, "decode": _decode,
    "encode_corners": _encode_corners, "decode_corners": _decode_corners,
    "iou": _iou, "assign": _assign, "assign_grid": _assign_grid,
    "atss": _atss, "receptive": _receptive, "fpn_level": _fpn_level,
}


def _handlers(library: str) -> dict:
    if library == "yolov5":
        import yolov5_replay

        return yolov5_replay.HANDLERS
    return _HANDLERS


def replay(library: str) -> list[Result]:
    """Every group of one library's goldens, recomputed with anchorlib."""
    meta, arrays = load(library)
    handlers = _handlers(library)
    results = []
    for record in meta["groups"]:
        group = record["group"]
        a = {key: arrays[f"{group}/{key}"] for key in record["arrays"]}
        same, gap = handlers[record["kind"]](library, record, a)
        results.append(Result(library, group, record["kind"], record["call"], record["anchorlib"],
                              int(len(same)), int(np.sum(same)), gap))
    return results


def about(library: str) -> dict:
    meta, _ = load(library)
    return {key: value for key, value in meta.items() if key != "groups"}


__all__ = ["ALL_LIBRARIES", "KNOWN_DIFFERENCES", "LIBRARIES", "Result", "about", "known_difference", "load", "replay"]
