"""Box formats, areas and intersection over union.

All coordinates are continuous pixel coordinates: pixel ``k`` spans ``[k, k + 1)``, so a box
``[x1, y1, x2, y2]`` has width ``x2 - x1`` (no "+1"). This is the convention of torchvision,
detectron2, mmdetection (v2+) and keras-retinanet (since May 2020).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array

__all__ = ["BOX_FORMATS", "box_convert", "box_area", "box_iou"]

#: The box formats understood by :func:`box_convert`.
BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def _check_format(fmt: object, name: str) -> str:
    if fmt not in BOX_FORMATS:
        raise ValueError(f"{name} must be one of {BOX_FORMATS}, got {fmt!r}")
    return fmt  # type: ignore[return-value]


def box_convert(boxes: ArrayLike, in_fmt: str, out_fmt: str) -> np.ndarray:
    """Convert ``(N, 4)`` boxes between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"``.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        Boxes in ``in_fmt``: ``xyxy`` is ``(x1, y1, x2, y2)``, ``xywh`` is ``(x1, y1, w, h)``,
        ``cxcywh`` is ``(centre x, centre y, w, h)``.
    in_fmt, out_fmt : str
        One of :data:`BOX_FORMATS`.

    Returns
    -------
    numpy.ndarray, shape (N, 4)
        A new float64 array in ``out_fmt``.

    Raises
    ------
    ValueError
        For an unknown format, a wrong shape, NaN/inf, ``x2 < x1`` (``xyxy``) or a negative
        width or height (``xywh``, ``cxcywh``).

    Examples
    --------
    >>> box_convert([[0, 0, 32, 16]], "xyxy", "cxcywh").tolist()
    [[16.0, 8.0, 32.0, 16.0]]
    """
    in_fmt = _check_format(in_fmt, "in_fmt")
    out_fmt = _check_format(out_fmt, "out_fmt")
    array = boxes_array(boxes, "boxes", fmt=in_fmt)
    a, b, c, d = array.T
    if in_fmt == "xyxy":
        xyxy = array.copy()
    elif in_fmt == "xywh":
        xyxy = np.stack([a, b, a + c, b + d], axis=1)
    else:
        xyxy = np.stack([a - c / 2, b - d / 2, a + c / 2, b + d / 2], axis=1)
    x1, y1, x2, y2 = xyxy.T
    if out_fmt == "xyxy":
        return xyxy
    if out_fmt == "xywh":
        return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)


def box_area(boxes: ArrayLike) -> np.ndarray:
    """Area ``(x2 - x1) * (y2 - y1)`` of each ``xyxy`` box.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        Boxes in ``xyxy`` format with ``x2 >= x1`` and ``y2 >= y1``.

    Returns
    -------
    numpy.ndarray, shape (N,)

    Examples
    --------
    >>> box_area([[0, 0, 32, 16], [10, 10, 10, 20]]).tolist()
    [512.0, 0.0]
    """
    array = boxes_array(boxes, "boxes")
    return (array[:, 2] - array[:, 0]) * (array[:, 3] - array[:, 1])


def box_iou(
    boxes1: ArrayLike, boxes2: ArrayLike, *, inclusive: bool = False, dtype: str = "float64"
) -> np.ndarray:
    """Pairwise intersection over union of two sets of ``xyxy`` boxes.

    Parameters
    ----------
    boxes1 : array_like, shape (N, 4)
    boxes2 : array_like, shape (M, 4)
    inclusive : bool, default False
        Count pixels inclusively, as py-faster-rcnn, the original Detectron and keras-retinanet
        before May 2020 do: a box's width is ``x2 - x1 + 1`` and so is the width of an
        intersection (rbgirshick/py-faster-rcnn ``lib/utils/bbox.pyx`` L34-54 @781a917). Needed
        to reproduce those libraries' IoUs, which exceed the continuous ones for small boxes.
    dtype : {"float64", "float32"}, default "float64"
        The precision of the whole computation. ``"float32"`` rounds the boxes to float32 first and
        computes as torchvision (``ops.box_iou``), detectron2 (``pairwise_iou``; its ``Boxes`` are
        always float32) and mmdetection (``bbox_overlaps``) do, in the same order of operations:
        their IoUs are reproduced bit for bit (``tests/conformance``, all finite cases), and two IoUs
        that differ in float64 can be equal in float32, which decides ties and thresholds.
        Differences: both boxes degenerate (union 0) gives 0 here, NaN in torchvision; mmdetection
        divides by ``max(union, 1e-6)``.

    Returns
    -------
    numpy.ndarray, shape (N, M)
        ``iou[i, j]`` is the IoU of ``boxes1[i]`` and ``boxes2[j]``, in ``[0, 1]``, float64 (the
        float32 values widened exactly with ``dtype="float32"``). Two boxes whose union has zero
        area (both degenerate) have IoU 0 rather than NaN.

    Notes
    -----
    Memory is ``O(N * M)``; for a million anchors against many boxes, use a chunked reduction
    instead of the full matrix.

    Examples
    --------
    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2]]).round(4).tolist()
    [[0.1429, 1.0]]
    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]], inclusive=True).round(4).tolist()  # 4 / (9 + 9 - 4)
    [[0.2857]]
    >>> box_iou([[0, 0, 315, 4049]], [[0, 0, 315, 1619.6]], dtype="float32").tolist()  # > 0.4
    [[0.4000000059604645]]
    """
    if not isinstance(inclusive, (bool, np.bool_)):
        raise TypeError(f"inclusive must be True or False, got {inclusive!r}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    a = boxes_array(boxes1, "boxes1")
    b = boxes_array(boxes2, "boxes2")
    if dtype == "float32":
        one = np.float32(1.0 if inclusive else 0.0)
        return _pairwise_iou(a.astype(np.float32), b.astype(np.float32), one).astype(np.float64)
    return _pairwise_iou(a, b, 1.0 if inclusive else 0.0)


def _pairwise_iou(a: np.ndarray, b: np.ndarray, one: float = 0.0) -> np.ndarray:
    """:func:`box_iou` on arrays already validated (``(N, 4)`` and ``(M, 4)`` float64 ``xyxy``).

    For callers that check their input once and then work block by block; ``one`` is 1.0 for the
    inclusive "+1" convention, else 0.0. Not part of the public API. Float32 arrays (with a float32
    ``one``) are computed in float32 throughout, in torchvision's order of operations.
    """
    area_a = (a[:, 2] - a[:, 0] + one) * (a[:, 3] - a[:, 1] + one)
    area_b = (b[:, 2] - b[:, 0] + one) * (b[:, 3] - b[:, 1] + one)
    # Three (N, M) float arrays at most, reused in place: the full matrix is the memory bottleneck.
    inter = np.minimum(a[:, None, 2], b[None, :, 2])
    scratch = np.maximum(a[:, None, 0], b[None, :, 0])
    inter -= scratch
    inter += one
    np.maximum(inter, 0, out=inter)  # intersection width
    height = np.minimum(a[:, None, 3], b[None, :, 3])
    np.maximum(a[:, None, 1], b[None, :, 1], out=scratch)
    height -= scratch
    height += one
    np.maximum(height, 0, out=height)
    inter *= height  # intersection area
    del height
    np.add(area_a[:, None], area_b[None, :], out=scratch)
    scratch -= inter  # union
    # Where the union is 0 both boxes are degenerate and the intersection is 0 too: IoU stays 0.
    np.divide(inter, scratch, out=inter, where=scratch > 0)
    return inter
