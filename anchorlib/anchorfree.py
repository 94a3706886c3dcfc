"""Anchor-free label assignment: FCOS's points and YOLOX's centre prior.

An anchor-free detector keeps one *point* per feature-map cell instead of a set of anchor boxes.
What it keeps of the anchor idea is a rule for which points are trained as positives for a box:

* **FCOS** (Tian et al. 2019; tianzhi0549/FCOS ``fcos_core/modeling/rpn/fcos/loss.py``
  ``compute_targets_for_locations`` and ``get_sample_region`` @a773f12): a point is positive for a
  box if it lies strictly inside the box (or, with centre sampling, inside the box's centre region of
  ``radius`` strides, clipped to the box) **and** its largest distance to a side,
  ``max(l, t, r, b)``, lies in the closed range of the point's level (P3 ``[-1, 64]``, P4
  ``[64, 128]``, P5 ``[128, 256]``, P6 ``[256, 512]``, P7 ``[512, 1e8]``). A point positive for
  several boxes takes the one of smallest area. Points sit at ``j * stride + stride // 2``
  (``compute_locations_per_level`` in ``fcos.py``).
* **YOLOX** (Ge et al. 2021; Megvii-BaseDetection/YOLOX ``yolox/models/yolo_head.py``
  ``get_geometry_constraint`` @6ddff48): a point ``((j + 0.5) * stride, (i + 0.5) * stride)`` is a
  *candidate* for a box if it lies strictly within ``1.5 * stride`` of the box centre along both
  axes. Which candidates become positive is then decided by SimOTA from the network's own
  predictions, which no geometry can reproduce.

These rules were read from the code at the commits above; the tests derive their expected values by
hand from those lines. Not modelled: FCOS's ``get_sample_region`` returns no positive at all when the
first box's centre x is 0 (its "no gt" shortcut tests ``center_x[..., 0].sum() == 0``); the
libraries compute in float32, this module in float64 (the same result unless a distance falls within
float32 rounding of a range bound).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, positive_int, real_array, real_scalar
from .grid import cell_centers

__all__ = ["FCOS_SIZE_RANGES", "FCOS_STRIDES", "fcos_assign", "fcos_points", "yolox_candidates"]

#: FCOS's pyramid strides, P3-P7 (``MODEL.FCOS.FPN_STRIDES``).
FCOS_STRIDES = (8, 16, 32, 64, 128)
#: FCOS's ``object_sizes_of_interest`` per level: the closed range of ``max(l, t, r, b)``.
FCOS_SIZE_RANGES = ((-1.0, 64.0), (64.0, 128.0), (128.0, 256.0), (256.0, 512.0), (512.0, 1e8))


def fcos_points(feature_shapes: Sequence[Sequence[int]], strides: Sequence[int] = FCOS_STRIDES) -> np.ndarray:
    """FCOS's points of every level, concatenated level by level.

    Parameters
    ----------
    feature_shapes : list of (int, int)
        ``(height, width)`` of each level's feature map.
    strides : sequence of int, default :data:`FCOS_STRIDES`
        Each level's stride (one per feature shape).

    Returns
    -------
    numpy.ndarray, shape (sum of h * w, 2)
        ``(x, y)`` of cell ``(i, j)`` at ``(j * stride + stride // 2, i * stride + stride // 2)``,
        row-major within a level.

    Examples
    --------
    >>> fcos_points([(1, 2), (1, 1)], strides=[8, 16]).tolist()
    [[4.0, 4.0], [12.0, 4.0], [8.0, 8.0]]
    """
    if len(feature_shapes) != len(strides):
        raise ValueError(
            f"feature_shapes and strides must have the same length, got {len(feature_shapes)} and {len(strides)}"
        )
    levels = []
    for k, (shape, stride) in enumerate(zip(feature_shapes, strides)):
        step = positive_int(stride, f"strides[{k}]")
        levels.append(cell_centers(shape, step, offset=(step // 2) / step))
    return np.concatenate(levels)


def _points(points: ArrayLike) -> np.ndarray:
    array = real_array(points, "points")
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {array.shape}")
    return array


def _level_of_each_point(points_per_level: Sequence[int], total: int, levels: int) -> np.ndarray:
    if isinstance(points_per_level, (str, bytes)) or not hasattr(points_per_level, "__len__"):
        raise TypeError(f"points_per_level must be a sequence of ints, got {points_per_level!r}")
    sizes = [positive_int(n, f"points_per_level[{k}]") for k, n in enumerate(points_per_level)]
    if sum(sizes) != total:
        raise ValueError(f"points_per_level must add up to the number of points ({total}), got {sizes}")
    if len(sizes) != levels:
        raise ValueError(f"points_per_level has {len(sizes)} levels but strides has {levels}")
    return np.repeat(np.arange(len(sizes)), sizes)


def fcos_assign(
    points: ArrayLike,
    gt_boxes: ArrayLike,
    points_per_level: Sequence[int],
    strides: Sequence[int] = FCOS_STRIDES,
    *,
    size_ranges: Sequence[Sequence[float]] | None = None,
    center_radius: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """FCOS's positives: points inside a box (or its centre region) whose level suits the box size.

    Parameters
    ----------
    points : array_like, shape (N, 2)
        ``(x, y)`` of every point, level by level (:func:`fcos_points`).
    gt_boxes : array_like, shape (M, 4)
        ``xyxy`` ground-truth boxes.
    points_per_level : sequence of int
        How many points belong to each level; must add up to ``N``.
    strides : sequence of int, default :data:`FCOS_STRIDES`
        Each level's stride (used by centre sampling).
    size_ranges : sequence of (float, float), optional
        Each level's closed range of ``max(l, t, r, b)``. By default the first ``len(strides)``
        ranges of :data:`FCOS_SIZE_RANGES`, i.e. the levels are taken to start at P3.
    center_radius : float, default 0
        ``0`` is the FCOS paper (``CENTER_SAMPLING_RADIUS = 0.0``, every point inside the box);
        ``1.5`` is the improved FCOS (``fcos_imprv_*`` configs): only points strictly inside the box
        ``[cx - 1.5 s, cx + 1.5 s] x [cy - 1.5 s, cy + 1.5 s]`` clipped to the ground truth.

    Returns
    -------
    labels : numpy.ndarray of int64, shape (N,)
        ``1`` positive, ``0`` negative.
    matched : numpy.ndarray of int64, shape (N,)
        Index of each positive point's box (the smallest by area; ties to the lower index), ``-1``
        for negatives.

    Examples
    --------
    A 40-pixel box in the corner of a 5 x 5 stride-8 map: all 25 points are inside and
    ``max(l, t, r, b) <= 36`` suits P3; centre sampling keeps the 3 x 3 points within 12 pixels of
    the centre (20, 20).

    >>> points = fcos_points([(5, 5)], strides=[8])
    >>> int(fcos_assign(points, [[0, 0, 40, 40]], [25], strides=[8])[0].sum())
    25
    >>> int(fcos_assign(points, [[0, 0, 40, 40]], [25], strides=[8], center_radius=1.5)[0].sum())
    9
    """
    xy = _points(points)
    gts = boxes_array(gt_boxes, "gt_boxes")
    if size_ranges is None:
        size_ranges = FCOS_SIZE_RANGES[: len(strides)]
    ranges = real_array(size_ranges, "size_ranges")
    if ranges.ndim != 2 or ranges.shape[1] != 2:
        raise ValueError(f"size_ranges must be (low, high) pairs, got shape {ranges.shape}")
    level = _level_of_each_point(points_per_level, len(xy), len(strides))
    if len(ranges) != len(strides):
        raise ValueError(f"size_ranges has {len(ranges)} levels but strides has {len(strides)}")
    step = np.array([positive_int(s, f"strides[{k}]") for k, s in enumerate(strides)], dtype=float)
    radius = real_scalar(center_radius, "center_radius")
    if radius < 0:
        raise ValueError(f"center_radius must be >= 0, got {radius}")
    n, m = len(xy), len(gts)
    labels = np.zeros(n, dtype=np.int64)
    matched = np.full(n, -1, dtype=np.int64)
    if m == 0:
        return labels, matched
    x, y = xy[:, :1], xy[:, 1:]
    x1, y1, x2, y2 = (gts[None, :, k] for k in range(4))
    sides = np.stack([x - x1, y - y1, x2 - x, y2 - y], axis=2)  # (N, M, 4): l, t, r, b
    if radius > 0:
        reach = (step[level] * radius)[:, None]
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        region = [np.maximum(cx - reach, x1), np.maximum(cy - reach, y1),
                  np.minimum(cx + reach, x2), np.minimum(cy + reach, y2)]
        inside = np.minimum.reduce([x - region[0], y - region[1], region[2] - x, region[3] - y]) > 0
    else:
        inside = sides.min(axis=2) > 0
    largest = sides.max(axis=2)
    low, high = ranges[level, :1], ranges[level, 1:]
    suits_level = (largest >= low) & (largest <= high)
    area = np.where(inside & suits_level, ((x2 - x1) * (y2 - y1)), np.inf)
    hit = np.isfinite(area).any(axis=1)
    labels[hit] = 1
    matched[hit] = area.argmin(axis=1)[hit]
    return labels, matched


def yolox_candidates(
    points: ArrayLike, gt_boxes: ArrayLike, point_strides: ArrayLike, *, radius: float = 1.5
) -> np.ndarray:
    """YOLOX's geometric prior: which points may become positives for which box.

    Parameters
    ----------
    points : array_like, shape (N, 2)
        ``(x, y)`` of every point; YOLOX's are ``((j + 0.5) * stride, (i + 0.5) * stride)``
        (``anchorlib.cell_centers(shape, stride)``).
    gt_boxes : array_like, shape (M, 4)
        ``xyxy`` ground-truth boxes.
    point_strides : array_like, shape (N,)
        The stride of each point's level (YOLOX: 8, 16, 32).
    radius : float, default 1.5
        In strides (``center_radius`` in ``get_geometry_constraint``).

    Returns
    -------
    numpy.ndarray of bool, shape (N, M)
        ``True`` where the point lies strictly within ``radius * stride`` of the box centre along both
        axes. SimOTA then picks, per box, a data-dependent number of these by prediction cost.

    Examples
    --------
    Stride-8 points at 4, 12, 20, 28 (one row) and a box centred at x = 16: the points 4 and 28
    are exactly 12 = 1.5 * 8 away, which is not *strictly* within.

    >>> points = [[4, 4], [12, 4], [20, 4], [28, 4]]
    >>> yolox_candidates(points, [[0, 0, 32, 8]], [8, 8, 8, 8])[:, 0].tolist()
    [False, True, True, False]
    """
    xy = _points(points)
    gts = boxes_array(gt_boxes, "gt_boxes")
    stride = np.atleast_1d(real_array(point_strides, "point_strides"))
    if stride.shape != (len(xy),) or np.any(stride <= 0):
        raise ValueError(f"point_strides must be {len(xy)} positive numbers, got shape {stride.shape}")
    reach = real_scalar(radius, "radius")
    if reach <= 0:
        raise ValueError(f"radius must be positive, got {reach}")
    centre = (gts[:, :2] + gts[:, 2:]) / 2  # (M, 2)
    distance = np.abs(xy[:, None, :] - centre[None, :, :]).max(axis=2)  # (N, M), Chebyshev
    return distance < (stride * reach)[:, None]
