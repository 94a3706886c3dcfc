"""Label assignment: which anchors are trained as positives, negatives or ignored.

Anchors enter training only here. Each rule below compares every anchor with every ground-truth box
(IoU) and labels the anchor ``1`` (positive: regress towards its matched box, classify as its class),
``0`` (negative: background) or ``-1`` (ignored: no loss). The libraries agree on the idea and
disagree at the boundaries, which is where this module is exact. Upstream code read for each rule:

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

from types import MappingProxyType
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, positive_int, real_scalar
from .boxes import box_iou

__all__ = ["ASSIGNMENT_RULES", "assign", "atss_assign"]

#: The rules understood by :func:`assign`, each with its library's default
#: ``(positive_iou, negative_iou, allow_low_quality)``.
ASSIGNMENT_RULES = MappingProxyType({
    "keras-retinanet": (0.5, 0.4, False),
    "torchvision": (0.5, 0.4, True),
    "detectron2": (0.5, 0.4, True),
    "mmdet": (0.5, 0.4, True),
    "py-faster-rcnn": (0.7, 0.3, True),
})


def _best_for_each_box(iou: np.ndarray) -> np.ndarray:
    """Boolean (N, M): anchor n is tied for the highest IoU of box m (zeros included)."""
    return iou == iou.max(axis=0, keepdims=True)


def assign(
    anchors: ArrayLike,
    gt_boxes: ArrayLike,
    *,
    rule: str = "torchvision",
    positive_iou: float | None = None,
    negative_iou: float | None = None,
    allow_low_quality: bool | None = None,
    min_pos_iou: float | None = None,
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

    Returns
    -------
    labels : numpy.ndarray of int64, shape (N,)
        ``1`` positive, ``0`` negative, ``-1`` ignored.
    matched : numpy.ndarray of int64, shape (N,)
        Index into ``gt_boxes`` of each positive anchor's box, ``-1`` for the others. Ties between
        boxes go to the lower index (``numpy.argmax``).

    Raises
    ------
    ValueError
        For an unknown rule, thresholds outside ``[0, 1]`` or in the wrong order, ``min_pos_iou``
        with a rule other than ``"mmdet"``, or malformed boxes.

    Examples
    --------
    An anchor with IoU exactly 0.4 with the only box, and one with IoU 0.45:

    >>> anchors = [[0, 0, 10, 10], [0, 0, 10, 10]]
    >>> assign(anchors[:1], [[0, 0, 10, 4]], rule="keras-retinanet")[0].tolist()
    [0]
    >>> assign(anchors[:1], [[0, 0, 10, 4]], rule="torchvision")[0].tolist()  # best anchor added
    [1]
    >>> assign(anchors[:1], [[0, 0, 10, 4]], rule="torchvision", allow_low_quality=False)[0].tolist()
    [-1]
    """
    if rule not in ASSIGNMENT_RULES:
        raise ValueError(f"rule must be one of {tuple(ASSIGNMENT_RULES)}, got {rule!r}")
    pos_default, neg_default, low_default = ASSIGNMENT_RULES[rule]
    pos = pos_default if positive_iou is None else real_scalar(positive_iou, "positive_iou")
    neg = neg_default if negative_iou is None else real_scalar(negative_iou, "negative_iou")
    for value, name in ((pos, "positive_iou"), (neg, "negative_iou")):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    if neg > pos:
        raise ValueError(f"negative_iou must be <= positive_iou, got {neg} > {pos}")
    if rule == "detectron2" and neg <= 0:  # Matcher.__init__ asserts thresholds[0] > 0 (L51)
        raise ValueError(f"negative_iou must be > 0 for detectron2, got {neg}")
    if allow_low_quality is None:
        low_quality = low_default
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
    min_pos = 0.0 if min_pos_iou is None else real_scalar(min_pos_iou, "min_pos_iou")

    iou = box_iou(anchors, gt_boxes, inclusive=rule == "py-faster-rcnn")  # (N, M)
    n, m = iou.shape
    labels = np.zeros(n, dtype=np.int64)
    matched = np.full(n, -1, dtype=np.int64)
    if n == 0 or m == 0:
        return labels, matched  # no box: every anchor is background in all five libraries
    best = iou.max(axis=1)
    argbest = iou.argmax(axis=1)

    if rule == "keras-retinanet":
        labels[(best > neg) & (best < pos)] = -1
        labels[best >= pos] = 1
    elif rule in ("torchvision", "detectron2"):
        labels[(best >= neg) & (best < pos)] = -1
        labels[best >= pos] = 1
        if low_quality:
            labels[_best_for_each_box(iou).any(axis=1)] = 1
    elif rule == "mmdet":
        labels[:] = -1
        labels[(best >= 0) & (best < neg)] = 0
        labels[best >= pos] = 1
        matched[best >= pos] = argbest[best >= pos]
        if low_quality:
            ties = _best_for_each_box(iou)
            box_best = iou.max(axis=0)
            for box in range(m):  # in index order: a later box re-matches a shared anchor
                if box_best[box] >= min_pos:
                    labels[ties[:, box]] = 1
                    matched[ties[:, box]] = box
        return labels, matched
    else:  # py-faster-rcnn, RPN_CLOBBER_POSITIVES = False
        labels[:] = -1
        labels[best < neg] = 0
        if low_quality:
            labels[_best_for_each_box(iou).any(axis=1)] = 1
        labels[best >= pos] = 1
    matched[labels == 1] = argbest[labels == 1]
    return labels, matched


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
    @adc8ffa, including the sample standard deviation (``torch.std``, ``ddof=1``).

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        ``xyxy`` anchors of all levels, concatenated level by level.
    gt_boxes : array_like, shape (M, 4)
        ``xyxy`` ground-truth boxes.
    anchors_per_level : sequence of int
        How many of the anchors belong to each level, in order; must add up to ``N``.
    k : int, default 9
        Candidates per level (fewer on a level with fewer anchors). Distance ties go to the lower
        anchor index.

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
    iou = box_iou(priors, gts)  # (N, M)
    prior_centres = (priors[:, :2] + priors[:, 2:]) / 2
    gt_centres = (gts[:, :2] + gts[:, 2:]) / 2
    distance = np.linalg.norm(prior_centres[:, None, :] - gt_centres[None, :, :], axis=2)
    candidates = []
    start = 0
    for size in sizes:
        nearest = np.argsort(distance[start:start + size], axis=0, kind="stable")[: min(top, size)]
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
    threshold = candidate_iou.mean(axis=0) + candidate_iou.std(axis=0, ddof=1)
    cx, cy = prior_centres[candidate, 0], prior_centres[candidate, 1]
    margin = np.minimum.reduce(
        [cx - gts[:, 0], cy - gts[:, 1], gts[:, 2] - cx, gts[:, 3] - cy]
    )
    positive = (candidate_iou >= threshold[None, :]) & (margin > 0.01)
    score = np.full((n, m), -np.inf)
    rows, cols = candidate[positive], np.broadcast_to(columns, candidate.shape)[positive]
    score[rows, cols] = iou[rows, cols]
    best = score.max(axis=1)
    hit = best > -np.inf
    labels[hit] = 1
    matched[hit] = score.argmax(axis=1)[hit]
    return labels, matched
