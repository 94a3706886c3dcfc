"""Box formats, areas and intersection over union.

All coordinates are continuous pixel coordinates: pixel ``k`` spans ``[k, k + 1)``, so a box
``[x1, y1, x2, y2]`` has width ``x2 - x1`` (no "+1"). This is the convention of torchvision,
detectron2, mmdetection (v2+) and keras-retinanet (since May 2020).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, positive_int

__all__ = ["BOX_FORMATS", "best_iou", "box_area", "box_convert", "box_iou"]

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


# --------------------------------------------------------------------------------------------------
# Best IoU of each box over many anchors, in bounded memory.

#: Default number of (box, anchor) pairs compared at once by :func:`best_iou`.
_MAX_PAIRS = 2**14  # three float64 blocks of 128 KiB: they stay in a 512 KiB L2 cache
_BLOCK_ROWS = 8  # boxes per block, close in x and in y: few anchors can reach all of them
_STRIP_BLOCKS = 8  # blocks per strip of boxes sorted by x1 (the strip's anchors are found once)


def best_iou(gt_boxes: ArrayLike, anchors: ArrayLike, *, max_pairs: int = _MAX_PAIRS) -> np.ndarray:
    """For each ground-truth box, its highest IoU over all anchors, in bounded memory.

    Equal, element for element, to ``box_iou(gt_boxes, anchors).max(axis=1)`` (the tests
    ``test_best_iou_*`` compare the two with ``assert_array_equal``), without the ``(N, M)`` matrix:
    only anchors that overlap a block of nearby boxes in both x and y are compared with it; every
    other pair has IoU 0.

    Parameters
    ----------
    gt_boxes : array_like, shape (N, 4)
        Ground-truth boxes, ``xyxy``.
    anchors : array_like, shape (M, 4)
        Anchors, ``xyxy`` (e.g. from :func:`anchorlib.shift`); a million is fine.
    max_pairs : int, default 2**14
        At most this many (box, anchor) pairs are compared at once, in three float64 arrays of
        that size (384 KiB at the default). On top of them the working memory is the inputs, a
        sorted copy of the anchors with their areas and the ``(N,)`` result: ``O(N + M)``.

    Returns
    -------
    numpy.ndarray, shape (N,)
        ``max_j iou(gt_boxes[i], anchors[j])``; 0 for every box when there are no anchors.

    Examples
    --------
    >>> best_iou([[0, 0, 10, 10], [100, 100, 104, 104]], [[0, 0, 10, 20], [98, 98, 106, 106]]).tolist()
    [0.5, 0.25]
    """
    gt = boxes_array(gt_boxes, "gt_boxes")
    anchor = boxes_array(anchors, "anchors")
    block = positive_int(max_pairs, "max_pairs")
    best = np.zeros(len(gt))
    if len(gt) == 0 or len(anchor) == 0:
        return best
    rows = min(_BLOCK_ROWS, block)
    scratch = np.empty((3, block))
    index = _AnchorIndex.of(anchor)
    with np.errstate(invalid="ignore"):  # 0 / 0 (two degenerate boxes): NaN, which fmax skips
        for part, columns, keep, _ in _candidate_blocks(gt, index, rows):
            candidates = np.compress(keep, columns, axis=1)
            best[part] = np.fmax(best[part], _block_best(gt[part], candidates, block, scratch))
    return best


@dataclass(frozen=True)
class _AnchorIndex:
    """Anchors sorted for pruning: by width octave, then by x1 within each octave.

    Within one octave the anchors that can overlap an x-interval ``[lo, hi]`` have
    ``lo - widest < x1 < hi``: one contiguous run, found by binary search.
    """

    order: np.ndarray  # position in the sorted columns -> index into the caller's anchors
    columns: np.ndarray  # (5, M): x1, y1, x2, y2, area, sorted
    bounds: np.ndarray  # (G + 1,) first position of each octave, then M
    widest: np.ndarray  # (G,) widest anchor of each octave
    reach: float  # largest |x| of an anchor

    @classmethod
    def of(cls, anchors: np.ndarray) -> "_AnchorIndex":
        widths = anchors[:, 2] - anchors[:, 0]
        octave = np.floor(np.log2(np.maximum(widths, np.finfo(float).tiny))).astype(np.int16)
        by_x1 = np.argsort(anchors[:, 0])  # ties in any order: within an octave only x1 matters
        order = by_x1[np.argsort(octave[by_x1], kind="stable")]  # octave, then x1 (radix sort)
        columns = np.empty((5, len(anchors)))
        columns[:4] = np.take(anchors, order, axis=0).T
        np.multiply(columns[2] - columns[0], columns[3] - columns[1], out=columns[4])  # the area, as _pairwise_iou
        sorted_octave = octave[order]
        bounds = np.flatnonzero(np.r_[True, sorted_octave[1:] != sorted_octave[:-1], True])
        widest = np.maximum.reduceat(columns[2] - columns[0], bounds[:-1])
        reach = max(np.abs(columns[0]).max(), np.abs(columns[2]).max())
        return cls(order, columns, bounds, widest, float(reach))

    def overlapping_x(self, lo: float, hi: float) -> np.ndarray:
        """Sorted positions of every anchor with ``x2 > lo`` and ``x1 < hi`` (compared exactly)."""
        x1 = self.columns[0]
        runs = []
        for g, width in enumerate(self.widest):
            start, stop = self.bounds[g], self.bounds[g + 1]
            # x2 > lo needs x1 > lo - width; the margin covers the rounding of x2 - x1 and of the
            # bound itself many times over (the exact test follows).
            margin = width + 1e-9 * (abs(lo) + self.reach + width)
            first = start + np.searchsorted(x1[start:stop], lo - margin, side="right")
            last = start + np.searchsorted(x1[start:stop], hi, side="left")
            runs.append(np.arange(first, last))
        near = np.concatenate(runs)
        return near[self.columns[2].take(near) > lo]


def _candidate_blocks(gt: np.ndarray, index: _AnchorIndex, rows: int) -> Iterator[tuple[np.ndarray, ...]]:
    """Blocks of at most ``rows`` boxes and the anchors that overlap each block's bounding box (any
    other anchor has IoU 0 with every box of the block): ``(boxes' indices, strip columns, keep,
    strip positions)``, the block's anchors being ``strip columns[:, keep]`` (positions
    ``strip positions[keep]`` in ``index``).

    Boxes are cut into strips of similar x1 and each strip into blocks of similar y1, so a block is
    compact in both directions. The anchors of a strip are found once by binary search in x; each
    block then keeps those that reach it in x and y.
    """
    by_x = np.argsort(gt[:, 0], kind="stable")
    strip_size = rows * _STRIP_BLOCKS
    for s in range(0, len(gt), strip_size):
        strip = by_x[s : s + strip_size]
        near = index.overlapping_x(gt[strip, 0].min(), gt[strip, 2].max())
        columns = np.take(index.columns, near, axis=1)
        x1, y1, x2, y2 = columns[:4]
        strip = strip[np.argsort(gt[strip, 1], kind="stable")]
        for r in range(0, len(strip), rows):
            part = strip[r : r + rows]
            boxes = gt[part]
            keep = y2 > boxes[:, 1].min()
            keep &= y1 < boxes[:, 3].max()
            keep &= x2 > boxes[:, 0].min()
            keep &= x1 < boxes[:, 2].max()
            yield part, columns, keep, near


def _block_best(boxes: np.ndarray, anchors: np.ndarray, max_pairs: int, scratch: np.ndarray) -> np.ndarray:
    """``max_j iou(boxes[i], anchors[j])`` over a few boxes and the ``(5, K)`` columns (x1, y1, x2,
    y2, area) of their anchors, ``max_pairs`` pairs at a time in ``scratch``, without a temporary of the block's size.

    Each positive intersection is computed exactly as :func:`_pairwise_iou` does, hence the same
    IoU. Only the width is clipped at 0: a pair with no overlap then has intersection ``<= 0`` and an
    IoU that is ``<= 0`` or NaN (0 / 0), which never beats the 0 every box starts with.
    """
    n = len(boxes)
    top = np.full(n, np.nan)
    x1, y1, x2, y2 = (boxes[:, k : k + 1] for k in range(4))
    area = (x2 - x1) * (y2 - y1)
    cols = max(1, max_pairs // n)
    for c in range(0, anchors.shape[1], cols):
        a = anchors[:, c : c + cols]
        shape = (n, a.shape[1])
        inter, height, union = (buffer[: n * shape[1]].reshape(shape) for buffer in scratch)
        np.minimum(x2, a[2], out=inter)
        inter -= np.maximum(x1, a[0], out=union)
        np.maximum(inter, 0, out=inter)  # intersection width
        np.minimum(y2, a[3], out=height)
        height -= np.maximum(y1, a[1], out=union)  # intersection height (negative: no overlap)
        inter *= height
        np.add(area, a[4], out=union)
        union -= inter
        inter /= union
        np.fmax(top, np.fmax.reduce(inter, axis=1), out=top)
    return top
