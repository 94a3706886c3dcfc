"""YOLOv5's anchors: its default anchors, grid, decode and target assignment, in its float32.

YOLOv5 (ultralytics/yolov5) uses anchors differently from RetinaNet. An anchor is only a **shape**:
every cell of a level carries the same three ``(w, h)`` pairs, and the network predicts

* the centre as ``(2 sigma(tx) - 0.5 + col) * stride``: anywhere from half a cell before the cell's
  top-left corner to one and a half cells after it;
* the size as ``(2 sigma(tw))**2 * anchor_w``: between 0 and 4 times the anchor.

Training does not use IoU. A box is a target for an anchor shape when neither side differs by a
factor of ``anchor_t = 4`` or more (``max(r, 1/r) < 4`` for the width and height ratios ``r``), on
every level where that holds, and not only in the cell holding the box centre but also in the two
neighbouring cells whose centres are nearer (YOLOv5's ``g = 0.5`` offsets): up to three cells per
matching anchor.

Reference: ultralytics/yolov5 at commit 5081342f04fb287fc2e5f2b5a4e06752b7937b1c (2026-08-21):
``models/yolo.py`` ``Detect.forward`` and ``Detect._make_grid``, ``utils/loss.py``
``ComputeLoss.build_targets``, anchors of ``models/yolov5s.yaml`` (the same in n/s/m/l/x).
Every function here computes in float32 with YOLOv5's order of operations; the golden vectors in
``tests/conformance/yolov5/`` (written by ``tools/conformance/yolov5.py`` from the real YOLOv5 code
with torch 2.14.1 on CPU) are matched bit for bit by :func:`anchorlib.yolov5_grid` and
:func:`anchorlib.yolov5_assign`, and by :func:`anchorlib.yolov5_decode` after the sigmoid (torch's
float32 sigmoid is not correctly rounded; see :func:`anchorlib.yolov5_decode`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import pair, positive_int, positive_scalar, real_array, real_scalar

__all__ = [
    "YOLOV5_ANCHORS",
    "YOLOV5_STRIDES",
    "Yolov5Targets",
    "yolov5_assign",
    "yolov5_decode",
    "yolov5_grid",
]


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


#: YOLOv5's default anchors, ``(w, h)`` in input pixels, shape ``(levels, anchors, 2)``: P3, P4,
#: P5 of ``models/yolov5s.yaml`` (``anchors: [10,13, 16,30, 33,23]``, ``[30,61, 62,45, 59,119]``,
#: ``[116,90, 156,198, 373,326]``; the same in yolov5n/m/l/x.yaml). float32, as YOLOv5 stores them.
YOLOV5_ANCHORS = _frozen(
    np.array(
        [
            [[10, 13], [16, 30], [33, 23]],
            [[30, 61], [62, 45], [59, 119]],
            [[116, 90], [156, 198], [373, 326]],
        ],
        dtype=np.float32,
    )
)

#: YOLOv5's strides of P3, P4, P5 in input pixels (``Detect.stride``, measured by a forward pass).
YOLOV5_STRIDES = (8, 16, 32)

# ComputeLoss.build_targets: the five cells tried for every matched anchor, in YOLOv5's order
# (own cell, then the neighbour left, above, right, below), times its bias g = 0.5.
_NEIGHBOUR_OFFSETS = np.array([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], dtype=np.float32) * np.float32(0.5)


def _level_anchors(anchors: Any, name: str = "anchors") -> np.ndarray:
    array = real_array(anchors, name)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must have shape (A, 2) with A >= 1 (widths, heights), got {array.shape}")
    if np.any(array <= 0):
        raise ValueError(f"{name} must all be positive, got {array.tolist()}")
    return array.astype(np.float32)


def _feature_shape(value: Any) -> tuple[int, int]:
    if not isinstance(value, (tuple, list, np.ndarray)):
        raise TypeError(f"feature_shape must be a (rows, cols) pair, got {type(value).__name__} {value!r}")
    return pair(value, "feature_shape", positive_int)


def _anchors_in_cells(anchors: np.ndarray, stride: np.float32) -> np.ndarray:
    """``Detect.anchors``: YOLOv5 divides the pixel anchors by the stride once, when it builds the model."""
    return anchors / stride


def yolov5_grid(feature_shape: Sequence[int], stride: float, anchors: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """YOLOv5's ``Detect._make_grid`` for one level: the cell grid and the anchor grid.

    Parameters
    ----------
    feature_shape : (rows, cols)
        Size ``(ny, nx)`` of the level's feature map.
    stride : float
        The level's stride in input pixels (8, 16 or 32 for P3, P4, P5).
    anchors : array_like, shape (A, 2)
        The level's anchor shapes ``(w, h)`` in input pixels, e.g. ``YOLOV5_ANCHORS[0]``.

    Returns
    -------
    grid : numpy.ndarray, float32, shape (A, rows, cols, 2)
        ``(col - 0.5, row - 0.5)`` of every cell, repeated for each anchor: since YOLOv5 v6.2
        (commit ea72b84, 2022) the grid carries the ``- 0.5`` of the centre formula.
    anchor_grid : numpy.ndarray, float32, shape (A, rows, cols, 2)
        Each anchor's ``(w, h)`` in pixels at every cell, computed as YOLOv5 does:
        ``(anchor / stride) * stride`` in float32 (exact for the power-of-two strides).

    Examples
    --------
    >>> grid, anchor_grid = yolov5_grid((2, 3), 8, YOLOV5_ANCHORS[0])
    >>> grid.shape, grid[0, 1, 2].tolist(), anchor_grid[2, 1, 2].tolist()
    ((3, 2, 3, 2), [1.5, 0.5], [33.0, 23.0])
    """
    rows, cols = _feature_shape(feature_shape)
    step = np.float32(positive_scalar(stride, "stride"))
    shapes = _level_anchors(anchors)
    count = len(shapes)
    y, x = np.arange(rows, dtype=np.float32), np.arange(cols, dtype=np.float32)
    yv, xv = np.meshgrid(y, x, indexing="ij")
    cells = np.stack((xv, yv), axis=2) - np.float32(0.5)
    grid = np.broadcast_to(cells, (count, rows, cols, 2)).copy()
    sizes = _anchors_in_cells(shapes, step) * step
    anchor_grid = np.broadcast_to(sizes[:, None, None, :], (count, rows, cols, 2)).copy()
    return grid, anchor_grid


def _sigmoid(values: np.ndarray) -> np.ndarray:
    """The logistic function, computed in float64 and rounded once to float32."""
    return (1.0 / (1.0 + np.exp(-values.astype(np.float64)))).astype(np.float32)


def _decode_sigmoid(activated: np.ndarray, grid: np.ndarray, anchor_grid: np.ndarray, stride: np.float32) -> np.ndarray:
    """``Detect.forward`` after ``x.sigmoid()``: ``xy = (s * 2 + grid) * stride``, ``wh = (s * 2) ** 2 * anchor``."""
    xy = (activated[..., 0:2] * np.float32(2) + grid) * stride
    wh = (activated[..., 2:4] * np.float32(2)) ** 2 * anchor_grid
    return np.concatenate((xy, wh), axis=-1)


def yolov5_decode(raw: ArrayLike, stride: float, anchors: ArrayLike) -> np.ndarray:
    """Decode one level's raw box outputs into boxes, as YOLOv5's ``Detect.forward`` at inference.

    With ``s = sigmoid(t)``, for the cell ``(row, col)`` and anchor ``(w_a, h_a)``::

        cx = (2 s_x + (col - 0.5)) * stride        w = (2 s_w)**2 * w_a
        cy = (2 s_y + (row - 0.5)) * stride        h = (2 s_h)**2 * h_a

    the form of YOLOv5 v6.2 and later (commit ea72b84 moved the ``- 0.5`` into the grid). Up to
    v6.1 the centre was ``(2 s - 0.5 + col) * stride``: the same real number, rounded differently
    in float32. The centre can move from half a cell before the cell's corner ``col * stride``
    to one and a half cells after it; the size from 0 to 4 times the anchor.

    Parameters
    ----------
    raw : array_like, shape (A, rows, cols, 4)
        The raw outputs ``(tx, ty, tw, th)`` of each anchor at each cell, before the sigmoid
        (YOLOv5's ``x[i][0, ..., :4]``).
    stride : float
        The level's stride in input pixels.
    anchors : array_like, shape (A, 2)
        The level's anchor shapes ``(w, h)`` in input pixels.

    Returns
    -------
    numpy.ndarray, float32, shape (A, rows, cols, 4)
        ``(cx, cy, w, h)`` in input pixels (``anchorlib.box_convert(..., "cxcywh", "xyxy")`` gives
        corners). The sigmoid is computed in float64 and rounded once; torch's float32 sigmoid
        (2.14.1, CPU) is not correctly rounded and differs from it by up to 2 units in the last
        place (ulp) for about a third of the inputs, so on the golden cases 466 of 2,172 outputs
        differ from YOLOv5's, by at most 8 float32 ulps. From the same sigmoid values onwards the
        arithmetic is YOLOv5's, bit for bit (``tests/conformance/test_yolov5.py``).

    Examples
    --------
    All-zero outputs give every anchor centred on its cell, at its own size:

    >>> boxes = yolov5_decode(np.zeros((3, 2, 2, 4)), 8, YOLOV5_ANCHORS[0])
    >>> boxes[0, 1, 0].tolist(), boxes[2, 0, 1].tolist()
    ([4.0, 12.0, 10.0, 13.0], [12.0, 4.0, 33.0, 23.0])
    """
    values = real_array(raw, "raw")
    shapes = _level_anchors(anchors)
    if values.ndim != 4 or values.shape[0] != len(shapes) or values.shape[3] != 4:
        raise ValueError(
            f"raw must have shape ({len(shapes)}, rows, cols, 4) for {len(shapes)} anchors, got {values.shape}"
        )
    if values.shape[1] == 0 or values.shape[2] == 0:
        raise ValueError(f"raw must have at least one row and one column, got shape {values.shape}")
    grid, anchor_grid = yolov5_grid(values.shape[1:3], stride, shapes)
    step = np.float32(positive_scalar(stride, "stride"))
    return _decode_sigmoid(_sigmoid(values.astype(np.float32)), grid, anchor_grid, step)


@dataclass(frozen=True, eq=False)
class Yolov5Targets:
    """The positives of :func:`yolov5_assign` (a read-only record of equal-length arrays).

    One entry per positive, in YOLOv5's order: level by level, then by neighbour (own cell first),
    then by anchor, then by box.

    Attributes
    ----------
    level : numpy.ndarray of int
        Index of the level (0 for P3 with the default anchors).
    anchor : numpy.ndarray of int
        Index of the anchor shape within the level.
    box : numpy.ndarray of int
        Index of the ground-truth box in the input.
    row, col : numpy.ndarray of int
        The cell ``(gj, gi)`` trained to predict the box, clipped to the feature map as YOLOv5 does.
    neighbour : numpy.ndarray of int
        Which of YOLOv5's five cells this is: 0 the cell holding the box centre, 1 the cell to its
        left, 2 above, 3 right, 4 below.
    xy : numpy.ndarray, float32, shape (P, 2)
        The box centre relative to the cell's top-left corner, in cells (YOLOv5's ``tbox[:, :2]``):
        in ``[0, 1)`` for the own cell, and within ``[-0.5, 1.5]`` for a neighbour, the range that
        ``2 sigmoid(t) - 0.5`` can reach. It is computed from the clipped cell (YOLOv5 clips in
        place before computing it), so a box centre exactly on the right or bottom image border
        gives 1.0 in the last cell.
    wh : numpy.ndarray, float32, shape (P, 2)
        The box size in cells (``tbox[:, 2:]``).
    anchor_wh : numpy.ndarray, float32, shape (P, 2)
        The matched anchor's size in cells.

    Examples
    --------
    A 32-pixel box centred on a cell corner: on P5 its one matching anchor gets the own cell, the
    cells to the left and above, and the own cell twice more (the right and lower neighbours of a
    centre exactly on a border):

    >>> targets = yolov5_assign([[0.5, 0.5, 0.1, 0.1]], (320, 320))
    >>> np.bincount(targets.level).tolist(), targets.neighbour[targets.level == 2].tolist()
    ([15, 15, 5], [0, 1, 2, 3, 4])
    >>> [(int(r), int(c)) for r, c in zip(targets.row, targets.col)][30:]
    [(5, 5), (5, 4), (4, 5), (5, 5), (5, 5)]
    """

    level: np.ndarray
    anchor: np.ndarray
    box: np.ndarray
    row: np.ndarray
    col: np.ndarray
    neighbour: np.ndarray
    xy: np.ndarray
    wh: np.ndarray
    anchor_wh: np.ndarray

    def __len__(self) -> int:
        return len(self.box)


def _normalized_boxes(boxes: Any) -> np.ndarray:
    array = real_array(boxes, "boxes")
    if array.size == 0:
        array = array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"boxes must have shape (N, 4) (cx, cy, w, h divided by the image size), got {array.shape}")
    centres, sizes = array[:, :2], array[:, 2:]
    bad = np.flatnonzero(((centres < 0) | (centres > 1)).any(axis=1) | ((sizes <= 0) | (sizes > 1)).any(axis=1))
    if bad.size:
        raise ValueError(
            "boxes must be normalized (cx, cy in [0, 1], w, h in (0, 1]), as YOLO labels; "
            f"row {bad[0]} is {array[bad[0]].tolist()}"
        )
    return array.astype(np.float32)


def _pyramid(anchors: Any, strides: Any) -> tuple[np.ndarray, np.ndarray]:
    shapes = real_array(anchors, "anchors")
    if shapes.ndim != 3 or shapes.shape[2] != 2 or 0 in shapes.shape:
        raise ValueError(f"anchors must have shape (levels, A, 2) (w, h in pixels), got {shapes.shape}")
    if np.any(shapes <= 0):
        raise ValueError("anchors must all be positive")
    if isinstance(strides, (str, bytes)) or not isinstance(strides, (Sequence, np.ndarray)):
        raise TypeError(f"strides must be a sequence of numbers, got {type(strides).__name__} {strides!r}")
    steps = np.array([positive_scalar(s, f"strides[{i}]") for i, s in enumerate(strides)], dtype=np.float32)
    if len(steps) != len(shapes):
        raise ValueError(f"strides must give one stride per level of anchors ({len(shapes)}), got {len(steps)}")
    return shapes.astype(np.float32), steps


def _anchor_t(value: Any) -> np.float32:
    threshold = real_scalar(value, "anchor_t")
    if threshold <= 1:
        raise ValueError(f"anchor_t must be > 1 (a side ratio), got {value!r}")
    return np.float32(threshold)


def yolov5_assign(
    boxes: ArrayLike,
    image_shape: Sequence[int],
    anchors: ArrayLike = YOLOV5_ANCHORS,
    strides: Sequence[float] = YOLOV5_STRIDES,
    anchor_t: float = 4.0,
) -> Yolov5Targets:
    """YOLOv5's training targets for one image: ``ComputeLoss.build_targets``.

    For each level, with the box in cells (``(cx, cy, w, h)`` times the feature size):

    1. **shape match**: the box is a target of anchor ``(w_a, h_a)`` when
       ``max(r, 1/r) < anchor_t`` for both ``r = w / w_a`` and ``r = h / h_a`` (no IoU; a box
       can match several anchors and several levels, or none at all);
    2. **neighbouring cells**: each match is a positive in the cell holding the centre and also in
       the cell to the left when the centre lies in the left half of its cell (fraction ``< 0.5``)
       and more than one cell from the left border, and likewise above, to the right (fraction of
       the distance to the right border ``< 0.5``) and below: three cells in general.

    A box whose centre lies exactly on a cell border (fraction 0) passes both the left and the right
    test, and YOLOv5's right-hand cell is then the own cell again: that box gets its own cell twice.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        Ground-truth boxes as YOLO labels: ``(cx, cy, w, h)`` divided by the image width and
        height (so in ``[0, 1]``). Rounded to float32, as YOLOv5's targets are.
    image_shape : (height, width)
        The network input size in pixels; each level's feature map is ``height / stride`` by
        ``width / stride`` cells, so both must be multiples of every stride (YOLOv5 pads its inputs
        to a multiple of the largest).
    anchors : array_like, shape (levels, A, 2), default YOLOV5_ANCHORS
        Anchor shapes ``(w, h)`` in input pixels, level by level.
    strides : sequence of float, default YOLOV5_STRIDES
        One stride per level.
    anchor_t : float, default 4.0
        YOLOv5's hyper-parameter ``anchor_t`` (``data/hyps/hyp.scratch-low.yaml``); above 1.

    Returns
    -------
    Yolov5Targets
        One entry per positive (level, anchor, box, cell, and the regression targets).

    Examples
    --------
    A 40 x 40-pixel box centred at (98, 61) in a 640 x 640 input matches the P3 shapes 16 x 30 and
    33 x 23 (10 x 13 would need a width ratio of 4, which is not below 4), all three P4 shapes and
    P5's 116 x 90. Its centre lies in the left and lower half of its cell on every level, so each
    match is a positive in three cells: its own, the one to the left and the one below.

    >>> targets = yolov5_assign([[98 / 640, 61 / 640, 40 / 640, 40 / 640]], (640, 640))
    >>> np.bincount(targets.level).tolist()  # positives on P3, P4, P5
    [6, 9, 3]
    >>> p3 = targets.level == 0
    >>> targets.anchor[p3].tolist(), targets.row[p3].tolist(), targets.col[p3].tolist()
    ([1, 2, 1, 2, 1, 2], [7, 7, 7, 7, 8, 8], [12, 12, 11, 11, 12, 12])
    """
    gt = _normalized_boxes(boxes)
    shapes, steps = _pyramid(anchors, strides)
    height, width = pair(image_shape, "image_shape", positive_int)
    for stride in steps:
        if height % stride or width % stride:
            raise ValueError(
                f"image_shape must be a multiple of every stride, got {height}x{width} with stride {float(stride):g}"
            )
    threshold = _anchor_t(anchor_t)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in Yolov5Targets.__dataclass_fields__}
    for level, (level_anchors, stride) in enumerate(zip(shapes, steps)):
        rows, cols = int(height // stride), int(width // stride)
        found = _assign_level(gt, _anchors_in_cells(level_anchors, stride), rows, cols, threshold)
        for name, values in found.items():
            parts[name].append(values)
        parts["level"].append(np.full(len(found["box"]), level, dtype=np.int64))
    return Yolov5Targets(**{name: np.concatenate(values) for name, values in parts.items()})


def _assign_level(gt: np.ndarray, anchors: np.ndarray, rows: int, cols: int, threshold: np.float32) -> dict:
    """One level of ``build_targets``, with YOLOv5's float32 operations in YOLOv5's order."""
    gain = np.array([cols, rows], dtype=np.float32)
    gxy_all = gt[:, :2] * gain  # t = targets * gain
    gwh_all = gt[:, 2:] * gain
    ratio = gwh_all[None, :, :] / anchors[:, None, :]  # r = t[..., 4:6] / anchors[:, None]
    match = np.maximum(ratio, np.float32(1) / ratio).max(axis=2) < threshold  # (anchors, boxes)
    anchor_index, box_index = np.nonzero(match)  # t = t[j]: anchor-major, then box
    gxy, gwh = gxy_all[box_index], gwh_all[box_index]
    gxi = gain - gxy
    half = np.float32(0.5)
    left, up = ((np.mod(gxy, np.float32(1)) < half) & (gxy > 1)).T
    right, down = ((np.mod(gxi, np.float32(1)) < half) & (gxi > 1)).T
    keep = np.stack((np.ones_like(left), left, up, right, down))  # (5, matches)
    neighbour, match_index = np.nonzero(keep)  # t.repeat((5, 1, 1))[j]: neighbour-major
    gxy, gwh = gxy[match_index], gwh[match_index]
    cell = (gxy - _NEIGHBOUR_OFFSETS[neighbour]).astype(np.int64)  # .long() truncates towards zero
    # YOLOv5 clamps gi, gj in place (views of gij), so its tbox is taken from the clamped cell too.
    cell = np.stack((cell[:, 0].clip(0, cols - 1), cell[:, 1].clip(0, rows - 1)), axis=1)
    anchor = anchor_index[match_index]
    return {
        "anchor": anchor,
        "box": box_index[match_index],
        "row": cell[:, 1],
        "col": cell[:, 0],
        "neighbour": neighbour,
        "xy": gxy - cell.astype(np.float32),
        "wh": gwh,
        "anchor_wh": anchors[anchor],
    }
