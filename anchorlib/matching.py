"""Label assignment: which anchors are trained as positives, negatives or ignored.

Anchors enter training only here. Each rule below compares every anchor with every ground-truth box
(IoU) and labels the anchor ``1`` (positive: regress towards its matched box, classify as its class),
``0`` (negative: background) or ``-1`` (ignored: no loss). The libraries agree on the idea and
disagree at the boundaries, which is where this module is exact, in each library's own precision
(float32 for torchvision, detectron2 and mmdetection; see ``dtype`` in :func:`~anchorlib.assign`), as the
goldens in ``tests/conformance`` prove (made by running each library; the Conformance appendix has
the counts). Upstream code read for each rule:

* ``"keras-retinanet"``: fizyr/keras-retinanet ``keras_retinanet/utils/anchors.py``
  ``compute_gt_annotations`` L139-147 @7ac91df: positive if the best IoU is ``>= 0.5``, ignored if
  ``0.4 < IoU < 0.5``, so an IoU of exactly 0.4 is **negative** (the docstring, L130-131, says
  otherwise). No low-quality match: a box whose best IoU is below 0.5 gets no positive anchor.
  The IoU is computed without "+1" since commit 8d840a1 (May 2020).
* ``"torchvision"``: pytorch/vision ``torchvision/models/detection/_utils.py`` ``Matcher.__call__``
  and ``Matcher.set_low_quality_matches_`` @0d7913d: negative below the low threshold,
  ignored in ``[low, high)`` (exactly 0.4 is **ignored**), positive from ``high``; then every anchor
  that has the highest IoU with some box (ties included) becomes positive, matched to **its own**
  best box. RetinaNet uses 0.5 / 0.4, the RPN 0.7 / 0.3, both with low-quality matches.
* ``"detectron2"``: facebookresearch/detectron2 ``detectron2/modeling/matcher.py`` L93-99 and
  L106-127 @02b5c4e with ``IOU_THRESHOLDS = [0.4, 0.5]``, ``IOU_LABELS = [0, -1, 1]`` for RetinaNet
  (``config/defaults.py`` L447-448; RPN ``[0.3, 0.7]``, L218-219): half-open intervals
  ``[low, high)``, and the same low-quality rule, keeping the anchor's own best box. Its labels and
  matches coincide with torchvision's.
* ``"mmdet"``: open-mmlab/mmdetection ``mmdet/models/task_modules/assigners/max_iou_assigner.py``
  ``assign_wrt_overlaps`` @d4ccf31 with RetinaNet's ``pos_iou_thr=0.5, neg_iou_thr=0.4,
  min_pos_iou=0``: negative in ``[0, 0.4)``, positive from 0.5, exactly 0.4 **ignored**; then, box by
  box in index order, every anchor tied for that box's highest IoU (``gt_max_assign_all=True``)
  becomes positive **and is re-matched to that box**, provided that IoU is ``>= min_pos_iou``.
* ``"py-faster-rcnn"``: rbgirshick/py-faster-rcnn ``lib/rpn/anchor_target_layer.py`` L130-154
  @781a917 with ``RPN_POSITIVE_OVERLAP = 0.7``, ``RPN_NEGATIVE_OVERLAP = 0.3``,
  ``RPN_CLOBBER_POSITIVES = False`` (``lib/fast_rcnn/config.py`` L102-106): negatives first
  (IoU ``< 0.3``), then each box's best anchors (ties included), then IoU ``>= 0.7``; the IoU counts
  pixels inclusively (``box_iou(..., inclusive=True)``, ``lib/utils/bbox.pyx``).

Not modelled: keras-retinanet also ignores anchors whose centre lies outside the image
(``anchor_targets_bbox`` L108-114) and py-faster-rcnn drops anchors that cross the image border
before matching (L109-115); filter such anchors before calling :func:`anchorlib.assign`. The random
subsampling of RPN/Fast R-CNN minibatches is not part of the assignment either.

A quirk shared by every low-quality rule: a box that overlaps **no** anchor has highest IoU 0, so
every anchor with IoU 0 to it is "tied for best" and becomes positive. The libraries avoid it by
rejecting empty or degenerate boxes before matching; :func:`anchorlib.assign` reproduces it faithfully.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, positive_int, positive_scalar, real_scalar
from .boxes import box_iou

__all__ = ["ASSIGNMENT_RULES", "assign", "atss_assign", "fpn_level"]


@dataclass(frozen=True)
class _Rule:
    """One library's labelling, as a table: thresholds, which side of the lower one is negative,
    its low-quality step, its IoU ("+1" pixels or not) and its precision.

    Labels by IoU ``v`` of an anchor's best box: ``v >= positive`` is 1; below ``negative`` (or at
    it, when ``negative_closed``) is 0; in between -1. The low-quality step then makes every anchor
    tied for some box's highest IoU positive (``low_quality``); ``rematch`` says whether such an
    anchor is matched to that box (mmdetection, box by box in index order) or keeps its own best box.
    """

    positive_iou: float
    negative_iou: float
    negative_closed: bool
    low_quality: bool
    rematch: bool
    inclusive: bool
    dtype: str


#: The table behind :func:`assign`. Sources (read, then proved by tests/conformance):
#: keras-retinanet compute_gt_annotations (ignore if 0.4 < v < 0.5: exactly 0.4 is negative);
#: torchvision Matcher and detectron2 Matcher ([low, high) ignored); mmdet MaxIoUAssigner
#: (negatives in [0, 0.4), rematching low-quality step gated by min_pos_iou); py-faster-rcnn
#: anchor_target_layer (labels of RPN_CLOBBER_POSITIVES = False, "+1" IoU, float64).
_RULES = MappingProxyType({
    "keras-retinanet": _Rule(0.5, 0.4, True, False, False, False, "float64"),
    "torchvision": _Rule(0.5, 0.4, False, True, False, False, "float32"),
    "detectron2": _Rule(0.5, 0.4, False, True, False, False, "float32"),
    "mmdet": _Rule(0.5, 0.4, False, True, True, False, "float32"),
    "py-faster-rcnn": _Rule(0.7, 0.3, False, True, False, True, "float64"),
})

#: The rules understood by :func:`assign`, each with its library's default
#: ``(positive_iou, negative_iou, allow_low_quality)``.
ASSIGNMENT_RULES = MappingProxyType({
    name: (rule.positive_iou, rule.negative_iou, rule.low_quality) for name, rule in _RULES.items()
})


def _best_for_each_box(iou: np.ndarray) -> np.ndarray:
    """Boolean (N, M): anchor n is tied for the highest IoU of box m (zeros included)."""
    return iou == iou.max(axis=0, keepdims=True)


def _threshold_labels(best: np.ndarray, pos, neg, negative_closed: bool) -> np.ndarray:
    """The table's intervals: 1 from ``pos``, 0 below (or at) ``neg``, -1 between."""
    labels = np.full(best.shape, -1, dtype=np.int64)
    labels[(best <= neg) if negative_closed else (best < neg)] = 0
    labels[best >= pos] = 1
    return labels


def _low_quality_matches(iou, labels, matched, rematch: bool, min_pos) -> None:
    """The low-quality step (in place): each box's best anchors become positive, ties included.

    torchvision ``Matcher.set_low_quality_matches_``, detectron2 ``Matcher.set_low_quality_matches_``
    and py-faster-rcnn (``labels[gt_argmax_overlaps] = 1``) keep each such anchor's own best box;
    mmdetection ``MaxIoUAssigner.assign_wrt_overlaps`` (``gt_max_assign_all=True``) goes box by box
    in index order, only where the box's best IoU is ``>= min_pos_iou``, and re-matches the anchor
    to that box (a later box wins a shared anchor).
    """
    ties = _best_for_each_box(iou)
    if not rematch:
        labels[ties.any(axis=1)] = 1
        return
    box_best = iou.max(axis=0)
    for box in range(iou.shape[1]):
        if box_best[box] >= min_pos:
            labels[ties[:, box]] = 1
            matched[ties[:, box]] = box


def assign(
    anchors: ArrayLike,
    gt_boxes: ArrayLike,
    *,
    rule: str = "torchvision",
    positive_iou: float | None = None,
    negative_iou: float | None = None,
    allow_low_quality: bool | None = None,
    min_pos_iou: float | None = None,
    dtype: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Label each anchor positive, negative or ignored, exactly as a given library does.

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        ``xyxy`` anchors (or proposals).
    gt_boxes : array_like, shape (M, 4)
        ``xyxy`` ground-truth boxes.
    rule : str, default "torchvision"
        One of :data:`ASSIGNMENT_RULES`; the module documentation lists each rule's exact
        semantics and the upstream lines they come from.
    positive_iou, negative_iou : float, optional
        Override the rule's thresholds (e.g. 0.7 / 0.3 for torchvision's RPN); the comparisons
        (``>=``, ``>``, ``<``) stay the library's. ``negative_iou <= positive_iou`` is required.
    allow_low_quality : bool, optional
        Override whether each box's best anchors are made positive. keras-retinanet has no such
        step, so ``True`` is refused for it.
    min_pos_iou : float, optional
        mmdetection only: a box's best anchors are added only if that IoU is ``>= min_pos_iou``
        (default 0, as in its RetinaNet; its RPN uses 0.3).
    dtype : {"float32", "float64"}, optional
        Precision of the IoUs and of the threshold comparisons. Default: the library's own, float32
        for torchvision, detectron2 and mmdet (their IoUs are float32 tensors and a Python
        threshold is compared as a float32), float64 for keras-retinanet and py-faster-rcnn. In
        float32, two IoUs that differ in float64 can tie (both anchors become low-quality matches)
        and an IoU within a float32 ulp of a threshold can fall on the other side. How often it
        matters, measured on the goldens (``tests/conformance``: 40 random 160 x 192 images with
        float boxes, 40 with integer boxes, each library's own RetinaNet anchors): ``"float64"``
        changes the labels or matches of 23 and 18 images under detectron2's RetinaNet rule, 21 and
        21 under mmdetection's, none under torchvision's (its rounded anchors make near-ties exact
        ties in both precisions), and 1 or 2 of 81 threshold probes for each.

    Returns
    -------
    labels : numpy.ndarray of int64, shape (N,)
        ``1`` positive, ``0`` negative, ``-1`` ignored.
    matched : numpy.ndarray of int64, shape (N,)
        Index into ``gt_boxes`` of each positive anchor's box, ``-1`` for the others. Ties between
        boxes go to the lower index, as ``torch.max`` and ``numpy.argmax`` give it.

    Raises
    ------
    ValueError
        For an unknown rule, thresholds outside ``[0, 1]`` or in the wrong order, ``min_pos_iou``
        with a rule other than ``"mmdet"``, or malformed boxes.

    Examples
    --------
    An anchor with IoU exactly 0.4 with the only box:

    >>> anchors = [[0, 0, 10, 10], [0, 0, 10, 10]]
    >>> assign(anchors[:1], [[0, 0, 10, 4]], rule="keras-retinanet")[0].tolist()
    [0]
    >>> assign(anchors[:1], [[0, 0, 10, 4]], rule="torchvision")[0].tolist()  # best anchor added
    [1]
    >>> assign(anchors[:1], [[0, 0, 10, 4]], rule="torchvision", allow_low_quality=False)[0].tolist()
    [-1]

    An IoU of 0.39999999 in float64 is 0.4 in float32, so torchvision ignores the anchor:

    >>> box = [[0, 0, 10, 3.9999999]]
    >>> assign([[0, 0, 10, 10]], box, allow_low_quality=False)[0].tolist()
    [-1]
    >>> assign([[0, 0, 10, 10]], box, allow_low_quality=False, dtype="float64")[0].tolist()
    [0]
    """
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {tuple(_RULES)}, got {rule!r}")
    table = _RULES[rule]
    pos = table.positive_iou if positive_iou is None else real_scalar(positive_iou, "positive_iou")
    neg = table.negative_iou if negative_iou is None else real_scalar(negative_iou, "negative_iou")
    for value, name in ((pos, "positive_iou"), (neg, "negative_iou")):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    if neg > pos:
        raise ValueError(f"negative_iou must be <= positive_iou, got {neg} > {pos}")
    if rule == "detectron2" and neg <= 0:  # Matcher.__init__ asserts thresholds[0] > 0 (L51)
        raise ValueError(f"negative_iou must be > 0 for detectron2, got {neg}")
    if allow_low_quality is None:
        low_quality = table.low_quality
    elif isinstance(allow_low_quality, (bool, np.bool_)):
        low_quality = bool(allow_low_quality)
    else:
        raise TypeError(f"allow_low_quality must be True, False or None, got {allow_low_quality!r}")
    if low_quality and rule == "keras-retinanet":
        raise ValueError(
            "allow_low_quality=True is not a keras-retinanet behaviour: compute_gt_annotations "
            "never adds a box's best anchor; choose another rule"
        )
    if min_pos_iou is not None and rule != "mmdet":
        raise ValueError(f"min_pos_iou is an mmdet option, got it with rule={rule!r}")
    precision = table.dtype if dtype is None else dtype
    if precision not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32', 'float64' or None, got {dtype!r}")
    ftype = np.float32 if precision == "float32" else np.float64
    pos, neg = ftype(pos), ftype(neg)
    min_pos = ftype(0.0 if min_pos_iou is None else real_scalar(min_pos_iou, "min_pos_iou"))

    iou = box_iou(anchors, gt_boxes, inclusive=table.inclusive, dtype=precision).astype(ftype)
    n, m = iou.shape
    if n == 0 or m == 0:  # no box: every anchor is background in all five libraries
        return np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    best = iou.max(axis=1)
    labels = _threshold_labels(best, pos, neg, table.negative_closed)
    matched = np.where(labels == 1, iou.argmax(axis=1), -1)
    if low_quality:
        _low_quality_matches(iou, labels, matched, table.rematch, min_pos)
    if not table.rematch:
        matched = np.where(labels == 1, iou.argmax(axis=1), -1)
    return labels, matched.astype(np.int64)


#: Where each library puts the small epsilon of the FPN level rule: inside the logarithm
#: (detectron2 ``modeling/poolers.py`` ``assign_boxes_to_levels``, ``+ 1e-8``) or after it
#: (torchvision ``ops/poolers.py`` ``LevelMapper``, ``eps=1e-6``).
_FPN_EPSILON = MappingProxyType({"detectron2": ("inside", 1e-8), "torchvision": ("outside", 1e-6)})


def fpn_level(
    boxes: ArrayLike,
    *,
    canonical_size: float = 224,
    canonical_level: int = 4,
    min_level: int = 2,
    max_level: int = 5,
    library: str = "detectron2",
) -> np.ndarray:
    """The pyramid level that handles each box in a two-stage FPN detector (the FPN paper's eq. 1).

    ``k = floor(canonical_level + log2(sqrt(w h) / canonical_size))``, clipped to
    ``[min_level, max_level]`` (Lin et al., *Feature Pyramid Networks for Object Detection*, 2017,
    eq. 1: a 224-pixel box, ImageNet's size, goes to P4). The libraries add an epsilon, in
    different places (``_FPN_EPSILON``), and compute in float32, as here: the box area, its square
    root and the division in float32, ``log2`` correctly rounded to float32. Run against
    torchvision 0.29.1's ``LevelMapper`` and detectron2 @02b5c4e's ``assign_boxes_to_levels`` on
    random boxes and on boxes within a few float32 ulps of every level boundary, the levels are
    identical (``tests/conformance/fpn_level``). In float32, detectron2's ``+ 1e-8`` is below half
    an ulp of any ratio above 1/6 and changes nothing; torchvision's ``+ 1e-6`` lifts a box whose
    side is up to 7e-7 (relative) short of a boundary.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        ``xyxy`` boxes, in input pixels (rounded to float32 first, as the libraries hold them).
    canonical_size, canonical_level : float, int
        The box side that maps to ``canonical_level`` (224 and 4 in both libraries).
    min_level, max_level : int
        The levels the detector pools from (2 and 5 for a ResNet-FPN Faster R-CNN).
    library : {"detectron2", "torchvision"}, default "detectron2"

    Returns
    -------
    numpy.ndarray of int64, shape (N,)
        The level ``k`` of each box (not its index from ``min_level``).

    Examples
    --------
    >>> fpn_level([[0, 0, 224, 224], [0, 0, 112, 112], [0, 0, 111, 112], [0, 0, 2000, 900]]).tolist()
    [4, 3, 2, 5]
    """
    if library not in _FPN_EPSILON:
        raise ValueError(f"library must be one of {tuple(_FPN_EPSILON)}, got {library!r}")
    size = np.float32(positive_scalar(canonical_size, "canonical_size"))
    level = positive_int(canonical_level, "canonical_level")
    low, high = positive_int(min_level, "min_level"), positive_int(max_level, "max_level")
    if low > high:
        raise ValueError(f"min_level must be <= max_level, got {low} > {high}")
    corners = boxes_array(boxes, "boxes").astype(np.float32)
    sides = np.sqrt((corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1]))  # float32
    where, epsilon = _FPN_EPSILON[library]
    ratio = sides / size
    if where == "inside":
        ratio = ratio + np.float32(epsilon)
    with np.errstate(divide="ignore"):  # an empty box has log2(0) = -inf: the lowest level
        log = np.log2(ratio.astype(np.float64)).astype(np.float32)  # correctly rounded float32 log2
    k = np.float32(level) + log
    if where == "outside":
        k = k + np.float32(epsilon)
    return np.clip(np.floor(k), low, high).astype(np.int64)


# ---- torch.topk's choice among equal values (CPU) --------------------------------------------------
# torch.topk on CPU (aten/src/ATen/native/TopKImpl.h, topk_impl_loop) copies the values with their
# indices and calls std::partial_sort when k * 64 <= n, else std::nth_element, comparing values only.
# Which of several equal values it keeps is therefore decided by libstdc++'s algorithms (bits/stl_heap.h
# __adjust_heap/__make_heap, bits/stl_algo.h __heap_select/__introselect/__unguarded_partition_pivot/
# __insertion_sort), reproduced step for step below with comp(a, b) = a < b. Only the chosen *set*
# matters to ATSS. Checked against torch 2.14.1 on 400 random tie-heavy columns and through the goldens.


def _adjust_heap(q: list, base: int, hole: int, length: int, value: tuple) -> None:
    top = second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if q[base + second][0] < q[base + second - 1][0]:
            second -= 1
        q[base + hole] = q[base + second]
        hole = second
    if length % 2 == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        q[base + hole] = q[base + second - 1]
        hole = second - 1
    parent = (hole - 1) // 2
    while hole > top and q[base + parent][0] < value[0]:
        q[base + hole] = q[base + parent]
        hole, parent = parent, (parent - 1) // 2
    q[base + hole] = value


def _heap_select(q: list, first: int, middle: int, last: int) -> None:
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():
        _adjust_heap(q, first, parent, length, q[first + parent])
    for i in range(middle, last):
        if q[i][0] < q[first][0]:
            value, q[i] = q[i], q[first]
            _adjust_heap(q, first, 0, length, value)


def _median_to_first(q: list, result: int, a: int, b: int, c: int) -> None:
    if q[a][0] < q[b][0]:
        pick = b if q[b][0] < q[c][0] else (c if q[a][0] < q[c][0] else a)
    else:
        pick = a if q[a][0] < q[c][0] else (c if q[b][0] < q[c][0] else b)
    q[result], q[pick] = q[pick], q[result]


def _partition(q: list, first: int, last: int, pivot: int) -> int:
    while True:
        while q[first][0] < q[pivot][0]:
            first += 1
        last -= 1
        while q[pivot][0] < q[last][0]:
            last -= 1
        if not first < last:
            return first
        q[first], q[last] = q[last], q[first]
        first += 1


def _insertion_sort(q: list, first: int, last: int) -> None:
    for i in range(first + 1, last):
        value = q[i]
        if value[0] < q[first][0]:
            q[first + 1:i + 1] = q[first:i]
            q[first] = value
        else:
            j = i
            while value[0] < q[j - 1][0]:
                q[j] = q[j - 1]
                j -= 1
            q[j] = value


def _nth_element(q: list, nth: int) -> None:
    first, last = 0, len(q)
    depth = 2 * (len(q).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        _median_to_first(q, first, first + 1, first + (last - first) // 2, last - 1)
        cut = _partition(q, first + 1, last, first)
        first, last = (cut, last) if cut <= nth else (first, cut)
    _insertion_sort(q, first, last)


def _topk_smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest values, chosen among ties as ``torch.topk(k, largest=False)``
    does on CPU (sorted by index; ATSS needs the set only)."""
    q = [(float(v), j) for j, v in enumerate(values)]
    if k < len(q):
        if k * 64 <= len(q):
            _heap_select(q, 0, k, len(q))
        else:
            _nth_element(q, k - 1)
    return np.sort(np.array([j for _, j in q[:k]], dtype=np.int64))


def _level_sizes(anchors_per_level: Sequence[int], total: int) -> list[int]:
    if isinstance(anchors_per_level, (str, bytes)) or not hasattr(anchors_per_level, "__len__"):
        raise TypeError(f"anchors_per_level must be a sequence of ints, got {anchors_per_level!r}")
    sizes = [
        positive_int(size, f"anchors_per_level[{level}]")
        for level, size in enumerate(anchors_per_level)
    ]
    if not sizes or sum(sizes) != total:
        raise ValueError(
            f"anchors_per_level must add up to the number of anchors ({total}), "
            f"got {list(anchors_per_level)!r}"
        )
    return sizes


def atss_assign(
    anchors: ArrayLike, gt_boxes: ArrayLike, anchors_per_level: Sequence[int], k: int = 9
) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive Training Sample Selection (Zhang et al. 2020): thresholds computed per box.

    For each box: on every pyramid level take the ``k`` anchors whose centres are closest to the
    box centre (Euclidean distance); over all these candidates compute the mean and the standard
    deviation of their IoUs with the box; candidates with ``IoU >= mean + std`` whose centre lies
    inside the box (at least 0.01 px from every side) are positive. An anchor positive for several
    boxes goes to the one it overlaps most. Everything else is negative; nothing is ignored. This
    follows open-mmlab/mmdetection ``mmdet/models/task_modules/assigners/atss_assigner.py``
    @adc8ffa, including the sample standard deviation (``torch.std``, ``ddof=1``), and computes in
    float32 as mmdetection does.

    mmdetection picks the ``k`` nearest anchors with ``torch.topk``, whose choice among anchors at
    *equal* distance (common with integer boxes, whose centres sit on the anchor grid's symmetry
    lines) is neither the lowest nor the highest index: it is whatever libstdc++'s
    ``std::partial_sort`` (``k * 64 <= n``) or ``std::nth_element`` leaves in front. Both are
    reproduced here step for step, so ties are broken as torch 2.14 on CPU breaks them: every label
    and match of mmdetection 3.3.0's ``ATSSAssigner`` is reproduced on 60 float-box and 60
    integer-box images (goldens in ``tests/conformance/mmdet``; with the lowest index instead, 12 of
    the 60 integer-box images differed). A torch built with another C++ library could choose
    otherwise.

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        ``xyxy`` anchors of all levels, concatenated level by level.
    gt_boxes : array_like, shape (M, 4)
        ``xyxy`` ground-truth boxes.
    anchors_per_level : sequence of int
        How many of the anchors belong to each level, in order; must add up to ``N``.
    k : int, default 9
        Candidates per level (fewer on a level with fewer anchors). Distance ties are broken as
        ``torch.topk`` breaks them (see above).

    Returns
    -------
    labels : numpy.ndarray of int64, shape (N,)
        ``1`` positive, ``0`` negative.
    matched : numpy.ndarray of int64, shape (N,)
        Index of each positive anchor's box, ``-1`` for the negatives.

    Raises
    ------
    ValueError
        If ``anchors_per_level`` does not add up to ``N``, or there are fewer than two candidates
        (the standard deviation is undefined).

    Examples
    --------
    Three anchors on one level and a box around the first: the mean + std threshold keeps only
    the best one.

    >>> anchors = [[0, 0, 10, 10], [5, 0, 15, 10], [20, 0, 30, 10]]
    >>> labels, matched = atss_assign(anchors, [[0, 0, 10, 10]], [3], k=3)
    >>> labels.tolist(), matched.tolist()
    ([1, 0, 0], [0, -1, -1])
    """
    priors = boxes_array(anchors, "anchors")
    gts = boxes_array(gt_boxes, "gt_boxes")
    sizes = _level_sizes(anchors_per_level, len(priors))
    top = positive_int(k, "k")
    n, m = len(priors), len(gts)
    labels = np.zeros(n, dtype=np.int64)
    matched = np.full(n, -1, dtype=np.int64)
    if m == 0:
        return labels, matched
    # mmdetection computes in float32 (its priors and boxes are float32 tensors), so does this.
    f = np.float32
    p32, g32 = priors.astype(f), gts.astype(f)
    iou = box_iou(priors, gts, dtype="float32").astype(f)  # (N, M)
    prior_centres = (p32[:, :2] + p32[:, 2:]) / f(2)
    gt_centres = (g32[:, :2] + g32[:, 2:]) / f(2)
    delta = prior_centres[:, None, :] - gt_centres[None, :, :]
    distance = np.sqrt(delta[..., 0] * delta[..., 0] + delta[..., 1] * delta[..., 1])
    candidates = []
    start = 0
    for size in sizes:
        level = distance[start:start + size]
        nearest = np.stack([_topk_smallest(level[:, j], min(top, size)) for j in range(m)], axis=1)
        candidates.append(nearest + start)
        start += size
    candidate = np.concatenate(candidates, axis=0)  # (C, M) anchor indices
    if len(candidate) < 2:
        raise ValueError(
            f"ATSS needs at least two candidates per box to compute a standard deviation, got "
            f"{len(candidate)} (k={top}, anchors_per_level={sizes})"
        )
    columns = np.arange(m)[None, :]
    candidate_iou = iou[candidate, columns]
    mean = candidate_iou.astype(np.float64).mean(axis=0).astype(f)
    std = candidate_iou.astype(np.float64).std(axis=0, ddof=1).astype(f)
    threshold = mean + std
    cx, cy = prior_centres[candidate, 0], prior_centres[candidate, 1]
    margin = np.minimum.reduce(
        [cx - g32[:, 0], cy - g32[:, 1], g32[:, 2] - cx, g32[:, 3] - cy]
    )
    positive = (candidate_iou >= threshold[None, :]) & (margin > f(0.01))
    score = np.full((n, m), -np.inf, dtype=f)
    rows, cols = candidate[positive], np.broadcast_to(columns, candidate.shape)[positive]
    score[rows, cols] = iou[rows, cols]
    best = score.max(axis=1)
    hit = best > -np.inf
    labels[hit] = 1
    matched[hit] = score.argmax(axis=1)[hit]
    return labels, matched
