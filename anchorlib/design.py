"""Anchor shapes fitted to data: k-means, YOLOv5's AutoAnchor metrics and evolution, and a
differential-evolution search over RetinaNet ratios and scales.

Everything here works on box **shapes**: an ``(N, 2)`` array of widths and heights, as if every box
and every anchor were centred on the same point. Three families of methods and metrics:

* **k-means with distance 1 - IoU** (YOLOv2, Redmon and Farhadi 2017, section "Dimension
  Clusters"): :func:`anchorlib.kmeans_anchors`, scored by :func:`anchorlib.mean_best_iou`.
* **YOLOv5's AutoAnchor** (ultralytics/yolov5 ``utils/autoanchor.py``): a box and an anchor
  match when neither side differs by more than a factor ``threshold`` (4.0 by default,
  ``anchor_t`` in the hyper-parameters); :func:`anchorlib.anchor_fit` gives its best possible
  recall, anchors above threshold and fitness, and :func:`anchorlib.evolve_anchors` its mutation
  step.
* **anchor-optimization** (martinzlocha/anchor-optimization ``optimize_anchors.py``): the
  ratios ``1, v, 1/v, ...`` and scales of a RetinaNet configuration searched by
  ``scipy.optimize.differential_evolution``: :func:`anchorlib.optimize_ratios_scales`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import positive_int, positive_scalar, positive_vector, real_scalar, wh_array
from .boxes import box_iou
from .shapes import anchor_shapes, octave_scales

__all__ = [
    "RatioScaleFit",
    "anchor_fit",
    "evolve_anchors",
    "kmeans_anchors",
    "mean_best_iou",
    "optimize_ratios_scales",
    "shape_iou",
    "yolov5_box_filter",
]


_OBJECTIVES = ("focal", "avg", "ce")


def _progress(iterable, enabled: bool, description: str):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description)


def _by_area(anchors: np.ndarray) -> np.ndarray:
    return anchors[np.argsort(anchors[:, 0] * anchors[:, 1], kind="stable")]


def _centred(wh: np.ndarray) -> np.ndarray:
    return np.concatenate([-wh / 2, wh / 2], axis=1)


def shape_iou(wh1: ArrayLike, wh2: ArrayLike, *, inclusive: bool = False) -> np.ndarray:
    """IoU of box shapes aligned on a common centre.

    Parameters
    ----------
    wh1 : array_like, shape (N, 2)
    wh2 : array_like, shape (K, 2)
        Positive widths and heights.
    inclusive : bool, default False
        Add 1 to every width and height, as :func:`anchorlib.box_iou` with ``inclusive=True``
        (anchor-optimization's IoU, inherited from keras-retinanet 0.5.1).

    Returns
    -------
    numpy.ndarray, shape (N, K)
        ``min(w1, w2) * min(h1, h2) / (w1 * h1 + w2 * h2 - min(w1, w2) * min(h1, h2))``: the
        :func:`anchorlib.box_iou` of the two boxes centred on ``(0, 0)``.

    Examples
    --------
    >>> shape_iou([[10, 10]], [[10, 10], [20, 10], [20, 20]]).tolist()
    [[1.0, 0.5, 0.25]]
    >>> shape_iou([[10, 10]], [[20, 20]], inclusive=True).round(4).tolist()  # 11**2 / 21**2
    [[0.2744]]
    """
    a = wh_array(wh1, "wh1")
    b = wh_array(wh2, "wh2")
    return box_iou(_centred(a), _centred(b), inclusive=inclusive)


def mean_best_iou(wh: ArrayLike, anchors: ArrayLike) -> float:
    """Mean over boxes of the best :func:`shape_iou` with any anchor (YOLOv2's "Avg IOU").

    Parameters
    ----------
    wh : array_like, shape (N, 2)
        Box widths and heights.
    anchors : array_like, shape (K, 2)
        Anchor widths and heights.

    Returns
    -------
    float
        In ``(0, 1]``; equal to 1 minus the k-means objective of :func:`kmeans_anchors`.

    Examples
    --------
    >>> mean_best_iou([[10, 10], [20, 10]], [[10, 10]])
    0.75
    """
    boxes = wh_array(wh, "wh")
    return float(_best_shapes(boxes[:, 0].copy(), boxes[:, 1].copy(), wh_array(anchors, "anchors"))[1].mean())


def _kmeans_plus_plus(data: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (Arthur and Vassilvitskii 2007) with the distance 1 - IoU."""
    widths, heights = data[:, 0].copy(), data[:, 1].copy()
    centroids = [data[rng.integers(len(data))]]
    distance = 1 - _best_shapes(widths, heights, np.array(centroids))[1]
    for _ in range(1, k):
        weight = distance**2
        chosen = data[rng.choice(len(data), p=weight / weight.sum())]
        centroids.append(chosen)
        distance = np.minimum(distance, 1 - _best_shapes(widths, heights, chosen[None])[1])
    return np.array(centroids)


def kmeans_anchors(
    wh: ArrayLike,
    k: int,
    *,
    seed: int = 0,
    max_iter: int = 300,
    patience: int = 10,
    init: ArrayLike | None = None,
    restarts: int = 1,
    progress: bool = False,
) -> np.ndarray:
    """Cluster box shapes into ``k`` anchors with the distance ``1 - IoU`` (YOLOv2).

    Lloyd's algorithm on shapes: assign every box to the centroid it overlaps most
    (:func:`shape_iou`, boxes aligned on a common centre), move every centroid to the mean width
    and height of its boxes, repeat until no assignment changes, ``patience`` rounds pass without
    improvement, or ``max_iter`` rounds. With this
    distance, large boxes do not dominate as they do with Euclidean distance on ``(w, h)``.

    Parameters
    ----------
    wh : array_like, shape (N, 2)
        Box widths and heights, at the input resolution the detector sees.
    k : int
        Number of anchors; at most the number of distinct shapes.
    seed : int, default 0
        Seeds the k-means++ initialisation (with distance ``1 - IoU``); the same seed gives the
        same anchors.
    max_iter : int, default 300
        Maximum number of assignment / update rounds.
    patience : int, default 10
        Also stop after this many rounds without a better mean best IoU. The mean update does not
        minimise ``1 - IoU``, and on large datasets the score typically peaks within a few dozen
        rounds and then drifts down for a hundred more before assignments settle; the best
        centroids are returned either way.
    init : array_like, shape (k, 2), optional
        Start from these centroids instead of k-means++.
    restarts : int, default 1
        Run k-means this many times from different k-means++ seedings (all drawn from one
        ``numpy.random.default_rng(seed)``) and keep the run with the highest
        :func:`mean_best_iou`. One run can stop in a poor local optimum; with ``init`` only 1 is allowed.
    progress : bool, default False
        Show a progress bar (tqdm) over the rounds.

    Returns
    -------
    numpy.ndarray, shape (k, 2)
        ``(w, h)`` anchors sorted by area, smallest first. The mean update does not exactly
        minimise ``1 - IoU``, so the objective can rise in a round; the centroids returned are the
        best of all rounds (the initial ones included), so :func:`mean_best_iou` of the result is
        never below that of the initialisation. An empty cluster keeps its centroid.

    Raises
    ------
    ValueError
        If ``wh`` has fewer than ``k`` distinct shapes, or ``init`` does not have shape ``(k, 2)``.

    Examples
    --------
    >>> wh = [[10, 10], [11, 9], [40, 20], [42, 22]]
    >>> kmeans_anchors(wh, 2, init=[[8, 8], [50, 25]]).tolist()
    [[10.5, 9.5], [41.0, 21.0]]
    >>> kmeans_anchors(wh, 2, seed=0).tolist()  # k-means++ picked two boxes; the means fit worse
    [[10.0, 10.0], [42.0, 22.0]]
    >>> one, best_of_5 = (kmeans_anchors(wh, 2, seed=0, restarts=n) for n in (1, 5))
    >>> mean_best_iou(wh, best_of_5) >= mean_best_iou(wh, one)  # the first run is one of the five
    True
    """
    data = wh_array(wh, "wh")
    count = positive_int(k, "k")
    rounds = positive_int(max_iter, "max_iter")
    wait = positive_int(patience, "patience")
    seed = positive_int(seed, "seed", allow_zero=True)
    runs = positive_int(restarts, "restarts")
    _check_distinct(data, count)
    widths, heights = data[:, 0].copy(), data[:, 1].copy()
    if init is not None:
        if runs != 1:
            raise ValueError(f"restarts must be 1 when init is given, got {restarts}")
        centroids = wh_array(init, "init").copy()
        if centroids.shape != (count, 2):
            raise ValueError(f"init must have shape ({count}, 2), got {centroids.shape}")
        return _by_area(_lloyd(widths, heights, centroids, rounds, wait, progress)[0])
    rng = np.random.default_rng(seed)
    best, best_score = None, -1.0
    for _ in range(runs):
        start = _kmeans_plus_plus(data, count, rng)
        centroids, score = _lloyd(widths, heights, start, rounds, wait, progress)
        if score > best_score:  # ties keep the earlier run: the result does not depend on `restarts` beyond it
            best, best_score = centroids, score
    return _by_area(best)


def _lloyd(widths, heights, centroids: np.ndarray, rounds: int, wait: int, progress: bool) -> tuple[np.ndarray, float]:
    """One k-means run from ``centroids``: the best centroids of all rounds and their mean best IoU."""
    count = len(centroids)
    best, best_score, best_round = centroids.copy(), -1.0, 0
    assignment = None
    for round_ in _progress(range(rounds + 1), progress, "k-means (1 - IoU)"):
        new_assignment, overlap = _best_shapes(widths, heights, centroids)
        score = float(overlap.mean())
        if score > best_score:
            best, best_score, best_round = centroids.copy(), score, round_
        if assignment is not None and np.array_equal(new_assignment, assignment):
            break
        if round_ - best_round >= wait:
            break  # no better centroids for `patience` rounds: the mean update has drifted away
        assignment = new_assignment
        members = np.bincount(assignment, minlength=count)
        filled = members > 0  # an empty cluster keeps its centroid
        centroids[filled, 0] = np.bincount(assignment, widths, count)[filled] / members[filled]
        centroids[filled, 1] = np.bincount(assignment, heights, count)[filled] / members[filled]
    return best, best_score


_BLOCK_ROWS = 1 << 15  # boxes per block: the (rows, k) temporaries stay in a 4 MiB cache


def _best_shapes(widths: np.ndarray, heights: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each box, the centroid it overlaps most (boxes on a common centre) and that IoU.

    The same numbers as ``shape_iou(wh, centroids)`` followed by ``argmax`` and ``max``, computed in
    blocks of boxes so that memory stays small and the work stays in cache.
    """
    cw, ch = centroids[:, 0], centroids[:, 1]
    area = cw * ch
    index = np.empty(len(widths), dtype=np.intp)
    best = np.empty(len(widths))
    rows = min(len(widths), _BLOCK_ROWS)
    iou, union, box_area = np.empty((rows, len(cw))), np.empty((rows, len(cw))), np.empty(rows)
    for start in range(0, len(widths), rows):
        w, h = widths[start : start + rows], heights[start : start + rows]
        n = len(w)
        inter, total = iou[:n], union[:n]  # buffers reused: no page faults for fresh memory
        np.minimum(w[:, None], cw, out=inter)
        np.minimum(h[:, None], ch, out=total)
        inter *= total  # intersection
        np.multiply(w, h, out=box_area[:n])
        np.add(box_area[:n, None], area, out=total)
        total -= inter  # union
        inter /= total
        pick = inter.argmax(axis=1)
        index[start : start + n] = pick
        best[start : start + n] = inter[np.arange(n), pick]
    return index, best


def _check_distinct(data: np.ndarray, count: int) -> None:
    """Raise unless ``data`` holds at least ``count`` distinct (w, h) rows (cheap when it does)."""
    for rows in (min(len(data), 100 * count), len(data)):  # a sample almost always suffices
        distinct = len(np.unique(np.ascontiguousarray(data[:rows]).view(np.complex128)))
        if distinct >= count:
            return
    raise ValueError(f"k must be at most the number of distinct box shapes ({distinct}), got {count}")


def _ratio_metric(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """YOLOv5's ``x``: ``min(w/wa, wa/w, h/ha, ha/h)`` for every box and anchor, shape (N, K).

    YOLOv5 forms ``r = wh[:, None] / k[None]`` of shape (N, K, 2) and takes ``min(r, 1 / r).min(2)``;
    the same numbers come from the width and height sides computed apart as (N, K) arrays, which
    avoids a reduction over an axis of length 2 (several times faster in numpy).
    """
    side = np.divide(wh[:, :1], anchors[:, 0])  # w / wa
    x = np.divide(1.0, side)
    np.minimum(side, x, out=x)
    np.divide(wh[:, 1:], anchors[:, 1], out=side)  # h / ha
    np.minimum(x, side, out=x)
    np.divide(1.0, side, out=side)
    return np.minimum(x, side, out=x)


def _threshold(value: float) -> float:
    threshold = real_scalar(value, "threshold")
    if threshold < 1:
        raise ValueError(f"threshold must be >= 1 (a side ratio), got {value!r}")
    return threshold


def _fitness(wh: np.ndarray, anchors: np.ndarray, threshold: float) -> float:
    best = _ratio_metric(wh, anchors).max(axis=1)
    return float(np.mean(best * (best > 1 / threshold)))


def anchor_fit(wh: ArrayLike, anchors: ArrayLike, threshold: float = 4.0) -> dict[str, float]:
    """YOLOv5's AutoAnchor metrics of a set of anchors on a set of boxes.

    For a box ``(w, h)`` and an anchor ``(wa, ha)`` YOLOv5 takes
    ``x = min(w/wa, wa/w, h/ha, ha/h)``: 1 for a perfect fit, and the pair can be trained on only
    if ``x > 1 / threshold`` (``utils/loss.py`` keeps a target when
    ``max(r, 1/r) < anchor_t``). With ``best`` the largest ``x`` of a box over the anchors:

    * ``bpr``, best possible recall: the fraction of boxes with ``best > 1 / threshold``;
    * ``aat``, anchors above threshold: the mean number of anchors per box with ``x > 1 / threshold``;
    * ``fitness``: the mean of ``best`` where it is above ``1 / threshold``, counting 0 elsewhere.

    Parameters
    ----------
    wh : array_like, shape (N, 2)
        Box widths and heights.
    anchors : array_like, shape (K, 2)
        Anchor widths and heights, in the same pixels.
    threshold : float, default 4.0
        YOLOv5's ``anchor_t``; at least 1.

    Returns
    -------
    dict
        ``{"bpr": float, "aat": float, "fitness": float}``, computed in float64 (YOLOv5 uses
        float32, which can differ for a box exactly at the threshold).

    Examples
    --------
    >>> anchor_fit([[10, 10], [40, 10]], [[10, 10]])
    {'bpr': 0.5, 'aat': 0.5, 'fitness': 0.5}
    """
    boxes = wh_array(wh, "wh")
    shapes = wh_array(anchors, "anchors")
    limit = 1 / _threshold(threshold)
    x = _ratio_metric(boxes, shapes)
    best = x.max(axis=1)
    return {
        "bpr": float(np.mean(best > limit)),
        "aat": float(np.mean((x > limit).sum(axis=1))),
        "fitness": float(np.mean(best * (best > limit))),
    }


def evolve_anchors(
    wh: ArrayLike,
    anchors: ArrayLike,
    *,
    generations: int = 1000,
    seed: int,
    threshold: float = 4.0,
    mutation_prob: float = 0.9,
    sigma: float = 0.1,
    progress: bool = False,
) -> np.ndarray:
    """Improve anchors by YOLOv5's random mutation, keeping a mutation only if fitness rises.

    Each generation draws one factor per anchor side, ``v = 1 + m * u * z * sigma`` clipped to
    ``[0.3, 3.0]``, where ``m`` is 1 with probability ``mutation_prob`` (else 0), ``u`` one
    uniform number shared by the generation and ``z`` standard normal (redrawn while every
    ``v`` is 1); the candidate is ``anchors * v`` with sides at least 2 px, and it replaces the
    anchors if its :func:`anchor_fit` fitness is strictly higher. This is ``kmean_anchors`` of
    ultralytics/yolov5 ``utils/autoanchor.py``, which starts from k-means on ``(w, h)`` whitened
    by their standard deviations and drops boxes with both sides under 2 px first.

    Parameters
    ----------
    wh : array_like, shape (N, 2)
        Box widths and heights.
    anchors : array_like, shape (K, 2)
        Starting anchors, e.g. from :func:`kmeans_anchors`.
    generations : int, default 1000
        YOLOv5's ``gen``.
    seed : int
        Seed of ``numpy.random.default_rng``.
    threshold : float, default 4.0
        As in :func:`anchor_fit`.
    mutation_prob, sigma : float
        YOLOv5's ``mp = 0.9`` and ``s = 0.1``.
    progress : bool, default False
        Show a progress bar (tqdm) over the generations.

    Returns
    -------
    numpy.ndarray, shape (K, 2)
        The fittest anchors found, sorted by area; their fitness is never below the start's.

    Examples
    --------
    >>> wh = [[10, 10], [40, 10], [12, 30]]
    >>> start = [[20, 20]]
    >>> evolved = evolve_anchors(wh, start, generations=200, seed=0)
    >>> anchor_fit(wh, evolved)["fitness"] > anchor_fit(wh, start)["fitness"]
    True
    """
    boxes = wh_array(wh, "wh")
    best = wh_array(anchors, "anchors").copy()
    rounds = positive_int(generations, "generations", allow_zero=True)
    seed = positive_int(seed, "seed", allow_zero=True)
    limit = _threshold(threshold)
    prob = real_scalar(mutation_prob, "mutation_prob")
    if not 0 < prob <= 1:
        raise ValueError(f"mutation_prob must be in (0, 1], got {mutation_prob!r}")
    spread = positive_scalar(sigma, "sigma")
    rng = np.random.default_rng(seed)
    fitness = _fitness(boxes, best, limit)
    for _ in _progress(range(rounds), progress, "evolving anchors"):
        factor = np.ones_like(best)
        while np.all(factor == 1):
            mask = rng.random(best.shape) < prob
            factor = (mask * rng.random() * rng.standard_normal(best.shape) * spread + 1).clip(0.3, 3.0)
        candidate = (best * factor).clip(min=2.0)
        candidate_fitness = _fitness(boxes, candidate, limit)
        if candidate_fitness > fitness:
            best, fitness = candidate, candidate_fitness
    return _by_area(best)


def yolov5_box_filter(wh: ArrayLike) -> tuple[np.ndarray, int, int]:
    """The boxes YOLOv5's AutoAnchor fits anchors to, and its two small-object counts.

    ``kmean_anchors`` (ultralytics/yolov5 ``utils/autoanchor.py``) warns about labels with a side
    under 3 pixels ("Extremely small objects found") and fits only the boxes with at least one
    side of 2 pixels or more; it still reports its metrics on all boxes.

    Parameters
    ----------
    wh : array_like, shape (N, 2)
        Box widths and heights at the training resolution.

    Returns
    -------
    kept : numpy.ndarray, shape (M, 2)
        The boxes with ``w >= 2`` or ``h >= 2``.
    dropped : int
        ``N - M``: boxes with both sides under 2 pixels.
    under_3px : int
        Boxes with a side under 3 pixels (YOLOv5's warning count).

    Examples
    --------
    >>> kept, dropped, small = yolov5_box_filter([[1, 1], [1, 5], [2.5, 9], [10, 10]])
    >>> len(kept), dropped, small
    (3, 1, 3)
    """
    boxes = wh_array(wh, "wh")
    keep = (boxes >= 2.0).any(axis=1)
    return boxes[keep], int(np.sum(~keep)), int((boxes < 3.0).any(axis=1).sum())


@dataclass(frozen=True, eq=False)
class RatioScaleFit:
    """Result of :func:`optimize_ratios_scales` (a read-only record).

    Attributes
    ----------
    ratios : numpy.ndarray
        Aspect ratios ``h / w``, sorted: ``1`` and pairs ``v, 1 / v``.
    scales : numpy.ndarray
        Scales, sorted.
    anchors : numpy.ndarray, shape (len(sizes) * len(ratios) * len(scales), 2)
        ``(w, h)`` of every anchor of every level, level by level, each level as
        :func:`anchorlib.anchor_shapes` of its size with ``ratios`` and ``scales``.
    objective : str
        ``"focal"``, ``"avg"`` or ``"ce"``.
    value : float
        The objective at the result (lower is better).
    initial_value : float
        The objective at the start (RetinaNet's ratios 1, 2, 1/2 and octave scales, clipped to
        the bounds), which the search includes: ``value <= initial_value``.
    mean_best_iou : float
        :func:`mean_best_iou` of the boxes with ``anchors``.
    unmatched : int
        Boxes whose best IoU is below 0.5.

    Examples
    --------
    >>> fit = optimize_ratios_scales([[30, 60], [60, 30], [40, 40]], seed=0, maxiter=5)
    >>> fit.objective, fit.value <= fit.initial_value
    ('focal', True)
    """

    ratios: np.ndarray
    scales: np.ndarray
    anchors: np.ndarray
    objective: str
    value: float
    initial_value: float
    mean_best_iou: float
    unmatched: int


def _ratio_scale_anchors(values: np.ndarray, num_pairs: int, sizes: np.ndarray) -> np.ndarray:
    pairs = values[:num_pairs]
    ratios = np.concatenate([[1.0], np.stack([pairs, 1 / pairs], axis=1).reshape(-1)])
    scales = values[num_pairs:]
    return np.concatenate([anchor_shapes(size, ratios, scales) for size in sizes])


def _objective(best: np.ndarray, objective: str) -> float:
    if objective == "focal":
        return float(np.mean(-((1 - best) ** 2) * np.log(best)))
    if objective == "avg":
        return float(1 - np.mean(best))
    return float(np.mean(-np.log(best)))


def _bounds(value: Sequence[float], name: str) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a (low, high) pair, got {value!r}")
    low, high = positive_scalar(value[0], f"{name}[0]"), positive_scalar(value[1], f"{name}[1]")
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {value!r}")
    return low, high


def optimize_ratios_scales(
    wh: ArrayLike,
    *,
    num_ratios: int = 3,
    num_scales: int = 3,
    seed: int,
    objective: str = "focal",
    sizes: ArrayLike = (32, 64, 128, 256, 512),
    ratio_bounds: Sequence[float] = (1, 4),
    scale_bounds: Sequence[float] = (0.4, 2),
    popsize: int = 15,
    mutation: float = 0.5,
    maxiter: int = 1000,
    progress: bool = False,
) -> RatioScaleFit:
    """Search the ratios and scales of a RetinaNet pyramid that best fit the boxes' shapes.

    The parametrisation, bounds and objectives of martinzlocha/anchor-optimization: the ratios
    are ``1, v_1, 1/v_1, ...`` with every ``v_i`` in ``ratio_bounds``, the scales lie in
    ``scale_bounds``, every level of ``sizes`` gets all ratios and scales, and with ``m`` the
    best :func:`shape_iou` of each box over all these anchors the objective is

    * ``"focal"``: ``mean(-(1 - m)**2 * log(m))`` (the default),
    * ``"avg"``: ``1 - mean(m)``,
    * ``"ce"``: ``mean(-log(m))``.

    It is minimised with ``scipy.optimize.differential_evolution`` (``popsize``,
    ``mutation`` as anchor-optimization passes them), starting from a population that includes
    RetinaNet's defaults. Unlike anchor-optimization, the IoU has no "+1" in its widths.

    Parameters
    ----------
    wh : array_like, shape (N, 2)
        Box widths and heights at the input resolution.
    num_ratios : int, default 3
        Odd: ``1`` plus ``(num_ratios - 1) / 2`` pairs.
    num_scales : int, default 3
    seed : int
        Seeds the search; the same seed gives the same result.
    objective : {"focal", "avg", "ce"}
    sizes : array_like of float, default (32, 64, 128, 256, 512)
        Base size of each level.
    ratio_bounds, scale_bounds : (float, float)
        Search intervals of each ``v_i`` and each scale.
    popsize, mutation, maxiter
        Passed to ``scipy.optimize.differential_evolution``.
    progress : bool, default False
        Show a progress bar (tqdm) over the generations.

    Returns
    -------
    RatioScaleFit

    Examples
    --------
    >>> fit = optimize_ratios_scales([[16, 48], [48, 16], [32, 32]], seed=0, sizes=[32], maxiter=20)
    >>> fit.ratios.round(2).tolist(), fit.unmatched
    ([0.33, 1.0, 3.0], 0)
    """
    from scipy.optimize import differential_evolution

    boxes = wh_array(wh, "wh")
    ratios = positive_int(num_ratios, "num_ratios")
    if ratios % 2 != 1:
        raise ValueError(f"num_ratios must be odd (1 and pairs v, 1/v), got {num_ratios}")
    scales = positive_int(num_scales, "num_scales")
    seed = positive_int(seed, "seed", allow_zero=True)
    if objective not in _OBJECTIVES:
        raise ValueError(f"objective must be one of {_OBJECTIVES}, got {objective!r}")
    levels = positive_vector(sizes, "sizes")
    ratio_low, ratio_high = _bounds(ratio_bounds, "ratio_bounds")
    scale_low, scale_high = _bounds(scale_bounds, "scale_bounds")
    generations = positive_int(maxiter, "maxiter")
    pairs = (ratios - 1) // 2
    bounds = [(ratio_low, ratio_high)] * pairs + [(scale_low, scale_high)] * scales
    start = np.concatenate([2.0 ** np.arange(1, pairs + 1), octave_scales(scales)])
    start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
    centred = _centred(boxes)  # once: the boxes do not change between evaluations

    def each_box_best(values: np.ndarray) -> np.ndarray:  # shape_iou(boxes, anchors).max(axis=1)
        return box_iou(centred, _centred(_ratio_scale_anchors(values, pairs, levels))).max(axis=1)

    def cost(values: np.ndarray) -> float:
        return _objective(each_box_best(values), objective)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=generations, desc="differential evolution")

    def callback(intermediate_result) -> None:
        if bar is not None:
            bar.update(1)

    try:
        result = differential_evolution(
            cost, bounds, rng=np.random.default_rng(seed), popsize=positive_int(popsize, "popsize"),
            mutation=positive_scalar(mutation, "mutation"), maxiter=generations, x0=start,
            callback=callback,
        )
    finally:
        if bar is not None:
            bar.close()
    values = result.x if result.fun <= cost(start) else start
    best = each_box_best(values)
    ratio_values = np.sort(np.concatenate([[1.0], values[:pairs], 1 / values[:pairs]]))
    scale_values = np.sort(values[pairs:])
    return RatioScaleFit(
        ratios=ratio_values,
        scales=scale_values,
        anchors=np.concatenate([anchor_shapes(size, ratio_values, scale_values) for size in levels]),
        objective=objective,
        value=_objective(best, objective),
        initial_value=cost(start),
        mean_best_iou=float(best.mean()),
        unmatched=int(np.sum(best < 0.5)),
    )
