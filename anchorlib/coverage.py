"""Anchor coverage: does every object of a given size, wherever it lies, get a good anchor?

Every function takes an :class:`anchorlib.AnchorConfig` (a preset, or sizes and strides): each of
its levels places its cell anchors at ``cell_anchors + ((j + offset) * t, (i + offset) * t)`` for
cell ``(i, j)`` and stride ``t`` (:func:`anchorlib.shift`). The analysis ignores image
borders: the anchor lattice is taken to fill the plane, so it is periodic with period
``P = lcm(strides)`` along each axis and a ground-truth box's position only matters modulo ``P``.

For one anchor shape ``w x h`` the best anchor of a lattice for a ground truth ``gw x gh`` centred at
``(x, y)`` is the one with the nearest centre along each axis, because the per-axis overlap
``o(d) = max(0, min(w, gw, (w + gw) / 2 - |d|))`` never grows with the centre distance ``|d|``. Its
IoU is ``I / (S - I)`` with ``I = o_x o_y`` and ``S = w h + gw gh``; since ``I / (S - I)`` increases
with ``r = I / S``, comparing anchors by IoU is comparing them by ``r``. Every function below rests
on these two facts; the chapter "Small objects" proves where the worst position lies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import positive_int, positive_scalar, real_array
from .presets import AnchorConfig

__all__ = [
    "covered_sizes",
    "position_coverage",
    "worst_case_iou",
]

_TINY = 1e-12
#: Largest (shapes x breakpoints x breakpoints) grid the exact search evaluates (two float64 arrays of it: 160 MB).
_MAX_SEARCH = 10**7


# ----------------------------------------------------------------------------------------------
# the configuration as lattices
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Axis:
    """One axis of a lattice: anchor shape ``m`` has extent ``side[m]`` and its centres at
    ``phase[m] + k * stride[m]`` for every integer ``k``."""

    stride: np.ndarray  # (M,) whole pixels
    phase: np.ndarray  # (M,)
    side: np.ndarray  # (M,)
    period: int  # lcm of the strides

    def subset(self, index: np.ndarray) -> "_Axis":
        stride = self.stride[index]
        return _Axis(stride, self.phase[index], self.side[index], math.lcm(*(int(t) for t in np.unique(stride))))


@dataclass(frozen=True)
class _Lattice:
    """The anchors of a configuration as the plane-filling lattices of its anchor shapes."""

    x: _Axis
    y: _Axis

    @property
    def area(self) -> np.ndarray:
        return self.x.side * self.y.side

    def subset(self, index: np.ndarray) -> "_Lattice":
        return _Lattice(self.x.subset(index), self.y.subset(index))


def _axis(stride: np.ndarray, phase: np.ndarray, side: np.ndarray, name: str) -> _Axis:
    if np.any(stride != np.round(stride)):
        raise ValueError(f"{name} must be whole numbers of pixels, got {np.unique(stride).tolist()}")
    period = math.lcm(*(int(t) for t in np.unique(stride)))
    return _Axis(stride, phase, side, period)


def _lattice(config: Any, image_shape: Any) -> _Lattice:
    """The anchor lattices of a configuration, laid out as on an image of ``image_shape``."""
    if not isinstance(config, AnchorConfig):
        raise TypeError(
            "config must be an AnchorConfig (e.g. AnchorConfig.from_preset(name)), "
            f"got {type(config).__name__} {config!r}"
        )
    if image_shape is None:
        if not config.fixed_strides:
            raise ValueError(
                f"{config.name} needs image_shape: its strides depend on the image ({config.feature_shape_rule})"
            )
        image_shape = (1, 1)  # fixed strides: the lattice is the same on every image
    parts = []
    for level in config.levels(image_shape):
        boxes = level.cell_anchors.copy()
        if config.inclusive:  # inclusive corners: [x1, x2] covers [x1, x2 + 1)
            boxes[:, 2:] += 1
        (sy, sx), (oy, ox) = level.stride, level.offset
        count = len(boxes)
        parts.append(np.stack([
            np.full(count, sx, dtype=float), (boxes[:, 0] + boxes[:, 2]) / 2 + ox * sx, boxes[:, 2] - boxes[:, 0],
            np.full(count, sy, dtype=float), (boxes[:, 1] + boxes[:, 3]) / 2 + oy * sy, boxes[:, 3] - boxes[:, 1],
        ]))
    sx, px, w, sy, py, h = np.concatenate(parts, axis=1)
    return _Lattice(_axis(sx, px, w, "the x strides"), _axis(sy, py, h, "the y strides"))


def _gt_shape(box_size: Any, aspect: Any) -> tuple[float, float]:
    side = positive_scalar(box_size, "box_size")
    ratio = positive_scalar(aspect, "aspect")
    return side / math.sqrt(ratio), side * math.sqrt(ratio)


def _iou_threshold(value: Any) -> float:
    threshold = positive_scalar(value, "iou_threshold")
    if threshold > 1:
        raise ValueError(f"iou_threshold must be in (0, 1], got {value!r}")
    return threshold


def _distance(coords: np.ndarray, axis: _Axis) -> np.ndarray:
    """``(M, n)`` distance from each coordinate to the nearest centre of each anchor shape."""
    phase = np.mod(coords[None, :] - axis.phase[:, None], axis.stride[:, None])
    return np.minimum(phase, axis.stride[:, None] - phase)


def _overlap(distance: np.ndarray, side: np.ndarray, gt_side: ArrayLike) -> np.ndarray:
    """Per-axis overlap of segments of length ``side`` (``(M,)``, one per row of ``distance``) and
    ``gt_side`` whose centres are ``distance`` apart."""
    side = side[:, None]
    return np.clip(np.minimum(np.minimum(side, gt_side), (side + gt_side) / 2 - distance), 0, None)


def _axis_overlaps(axis: _Axis, coords: np.ndarray, gt_side: float) -> np.ndarray:
    """``(M, n)`` overlap of every anchor shape's nearest anchor along one axis at ``coords``."""
    return _overlap(_distance(coords, axis), axis.side, gt_side)


def _iou_from_ratio(ratio: np.ndarray) -> np.ndarray:
    return ratio / (1 - ratio)


# ----------------------------------------------------------------------------------------------
# worst case over positions
# ----------------------------------------------------------------------------------------------


def _common_corner(axis: _Axis) -> float | None:
    """A coordinate at distance ``stride / 2`` from the centres of every anchor shape, or None."""
    first = int(np.argmin(axis.stride))
    for k in range(int(round(axis.period / axis.stride[first]))):
        x = axis.phase[first] + (k + 0.5) * axis.stride[first]
        dist = _distance(np.array([x]), axis)[:, 0]
        if np.all(np.abs(dist - axis.stride / 2) <= 1e-9 * axis.stride):
            return float(np.mod(x, axis.period))
    return None


def _corner_iou(cfg: _Lattice, gw: ArrayLike, gh: ArrayLike) -> np.ndarray:
    """``(M, n)`` IoU of each anchor shape with ``n`` boxes ``gw x gh`` at its own cell corner."""
    gw, gh = np.atleast_1d(np.asarray(gw, dtype=float)), np.atleast_1d(np.asarray(gh, dtype=float))
    inter = _overlap(cfg.x.stride[:, None] / 2, cfg.x.side, gw) * _overlap(cfg.y.stride[:, None] / 2, cfg.y.side, gh)
    return inter / (cfg.area[:, None] + gw * gh - inter)


def _breakpoints(axis: _Axis, gt_side: float) -> np.ndarray:
    """Coordinates in ``[0, period]`` between which every shape's overlap is affine."""
    points = [np.array([0.0, float(axis.period)])]
    for t, phase, side in zip(axis.stride, axis.phase, axis.side):
        local = [0.0, t / 2]
        for d in (abs(side - gt_side) / 2, (side + gt_side) / 2):
            if d < t / 2:
                local += [d, t - d]
        centres = np.mod(phase, t) + np.arange(-1, axis.period / t + 1) * t
        points.append((centres[:, None] + np.array(local)[None, :]).reshape(-1))
    xs = np.concatenate(points)
    xs = np.unique(xs[(xs >= 0) & (xs <= axis.period)])
    return xs[np.concatenate([[True], np.diff(xs) > 1e-9])]


def _solve_bilinear(e: np.ndarray, f: np.ndarray) -> list[tuple[float, float]]:
    """Common zeros in the unit square of ``e0 + e1 u + e2 v + e3 uv`` and the same for ``f``."""
    found: list[tuple[float, float]] = []
    for swap in (False, True):
        a, b = (e[[0, 2, 1, 3]], f[[0, 2, 1, 3]]) if swap else (e, f)
        # eliminate v: (b0 + b1 u)(a2 + a3 u) - (b2 + b3 u)(a0 + a1 u) = 0
        quad = np.array(
            [
                b[1] * a[3] - b[3] * a[1],
                b[0] * a[3] + b[1] * a[2] - b[2] * a[1] - b[3] * a[0],
                b[0] * a[2] - b[2] * a[0],
            ]
        )
        scale = max(np.abs(a).max(), np.abs(b).max(), _TINY) ** 2
        if np.all(np.abs(quad) <= 1e-13 * scale):
            continue
        if abs(quad[0]) <= 1e-13 * scale:
            roots = [] if abs(quad[1]) <= 1e-13 * scale else [-quad[2] / quad[1]]
        else:
            roots = [r.real for r in np.roots(quad) if abs(r.imag) <= 1e-9 * (1 + abs(r))]
        for u in roots:
            if not -1e-9 <= u <= 1 + 1e-9:
                continue
            for g in (a, b):
                denominator = g[2] + g[3] * u
                if abs(denominator) > 1e-12 * scale**0.5:
                    v = -(g[0] + g[1] * u) / denominator
                    if -1e-9 <= v <= 1 + 1e-9:
                        point = (min(max(u, 0.0), 1.0), min(max(v, 0.0), 1.0))
                        found.append(point[::-1] if swap else point)
                    break
    return found


def _line_candidates(p: np.ndarray, q: np.ndarray) -> list[float]:
    """Minimisers' candidates of ``max_m (p_m + q_m s)`` on ``s`` in [0, 1]: ends and crossings."""
    out = [0.0, 1.0]
    dp = p[:, None] - p[None, :]
    dq = q[None, :] - q[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = dp / dq
    s = s[np.isfinite(s) & (s > 0) & (s < 1)]
    return out + s.tolist()


def _cell_candidates(a0, a1, b0, b1, scale) -> list[tuple[float, float]]:
    """Candidate minimisers in the unit square of ``max_m (a0 + a1 u)(b0 + b1 v) / S_m``.

    ``a0, a1, b0, b1, scale`` are ``(K,)`` arrays (scale is ``1 / S_m``). On the square each
    function is bilinear, so ``max`` is convex piecewise linear along every edge, has no interior
    minimum on a face where one function is the maximum, and on a crossing curve of two functions
    its minimum is at a curve end (an edge crossing or a triple point) or where the two gradients
    are parallel. All of these are returned.
    """
    # bilinear coefficients of r_m = c0 + c1 u + c2 v + c3 uv
    coef = np.stack([a0 * b0, a1 * b0, a0 * b1, a1 * b1], axis=1) * scale[:, None]
    points: list[tuple[float, float]] = []
    for v in (0.0, 1.0):  # edges v = 0, 1
        p = coef[:, 0] + coef[:, 2] * v
        q = coef[:, 1] + coef[:, 3] * v
        points += [(u, v) for u in _line_candidates(p, q)]
    for u in (0.0, 1.0):  # edges u = 0, 1
        p = coef[:, 0] + coef[:, 1] * u
        q = coef[:, 2] + coef[:, 3] * u
        points += [(u, v) for v in _line_candidates(p, q)]
    k = len(coef)
    for m in range(k):
        for n in range(m + 1, k):
            e = coef[m] - coef[n]
            # gradients parallel: a1m b1n a_n(u) b_m(v) - b1m a1n a_m(u) b_n(v) = 0
            left = a1[m] * b1[n] * np.array([a0[n] * b0[m], a1[n] * b0[m], a0[n] * b1[m], a1[n] * b1[m]])
            right = b1[m] * a1[n] * np.array([a0[m] * b0[n], a1[m] * b0[n], a0[m] * b1[n], a1[m] * b1[n]])
            points += _solve_bilinear(e, left - right)
            for p in range(n + 1, k):
                points += _solve_bilinear(e, coef[m] - coef[p])
    return points


def _best_ratio(cfg: _Lattice, xs: np.ndarray, ys: np.ndarray, gw: float, gh: float) -> np.ndarray:
    """``max_m I_m / S_m`` at the paired positions ``(xs[i], ys[i])``."""
    ox = _axis_overlaps(cfg.x, xs, gw)
    oy = _axis_overlaps(cfg.y, ys, gh)
    return (ox * oy / (cfg.area + gw * gh)[:, None]).max(axis=0)


def _worst_by_search(cfg: _Lattice, gw: float, gh: float) -> tuple[float, float, float]:
    """Exact minimum of ``max_m I_m / S_m`` over positions, by enumerating the candidate minimisers."""
    s = 1 / (cfg.area + gw * gh)
    xs = _breakpoints(cfg.x, gw)
    ys = _breakpoints(cfg.y, gh)
    if len(s) * len(xs) * len(ys) > _MAX_SEARCH:
        raise ValueError(
            f"strides {np.unique(cfg.x.stride).tolist()} repeat only every lcm(strides) = "
            f"{cfg.x.period} x {cfg.y.period} px and the levels share no cell corner; the exact search "
            f"would need {len(s) * len(xs) * len(ys):.3g} evaluations (limit {_MAX_SEARCH:.0e})"
        )
    ax = _axis_overlaps(cfg.x, xs, gw)  # (K, nx)
    ay = _axis_overlaps(cfg.y, ys, gh)  # (K, ny)
    # value at every vertex, and a lower bound on every cell: max_m min(ax) min(ay) s_m
    vertex = np.max(ax[:, :, None] * ay[:, None, :] * s[:, None, None], axis=0)
    upper = float(vertex.min())
    i, j = np.unravel_index(int(vertex.argmin()), vertex.shape)
    best = (upper, float(xs[i]), float(ys[j]))
    ax_lo = np.minimum(ax[:, :-1], ax[:, 1:])
    ay_lo = np.minimum(ay[:, :-1], ay[:, 1:])
    lower = np.max(ax_lo[:, :, None] * ay_lo[:, None, :] * s[:, None, None], axis=0)
    for flat in np.argsort(lower, axis=None, kind="stable"):
        ci, cj = np.unravel_index(int(flat), lower.shape)
        if lower[ci, cj] >= best[0] * (1 - 1e-12):
            break
        a0, a1 = ax[:, ci], ax[:, ci + 1] - ax[:, ci]
        b0, b1 = ay[:, cj], ay[:, cj + 1] - ay[:, cj]
        hi = np.maximum(a0, a0 + a1) * np.maximum(b0, b0 + b1) * s
        live = hi >= lower[ci, cj] * (1 - 1e-12)  # a function below the cell's floor never wins
        cand = np.array(_cell_candidates(a0[live], a1[live], b0[live], b1[live], s[live]))
        px = xs[ci] + cand[:, 0] * (xs[ci + 1] - xs[ci])
        py = ys[cj] + cand[:, 1] * (ys[cj + 1] - ys[cj])
        values = _best_ratio(cfg, px, py, gw, gh)
        k = int(values.argmin())
        if values[k] < best[0]:
            best = (float(values[k]), float(px[k]), float(py[k]))
    return best


def _worst(cfg: _Lattice, gw: float, gh: float) -> tuple[float, float, float]:
    """(worst-case IoU, x, y) of a worst position, for one ground-truth shape."""
    # Every position is at least as good as every shape at its own cell corner, so a shape that
    # cannot reach the best of those floors anywhere is never the best anchor: drop it.
    corner = _corner_iou(cfg, gw, gh)[:, 0]
    floor = float((corner / (1 + corner)).max())  # as a ratio I / S
    reach = np.minimum(cfg.x.side, gw) * np.minimum(cfg.y.side, gh) / (cfg.area + gw * gh)
    sub = cfg.subset(np.flatnonzero(reach >= floor * (1 - 1e-12)))
    x, y = _common_corner(sub.x), _common_corner(sub.y)
    if x is not None and y is not None:  # the closed form: every contender at its worst at once
        return float(corner.max()), x, y
    ratio, x, y = _worst_by_search(sub, gw, gh)
    return float(_iou_from_ratio(np.array(ratio))), x, y


def worst_case_iou(
    config: AnchorConfig,
    box_size: float,
    *,
    aspect: float = 1.0,
    image_shape: Sequence[int] | None = None,
    return_position: bool = False,
) -> float | tuple[float, float, float]:
    """Minimum over all positions of a ground-truth box of its best IoU with the anchors.

    Parameters
    ----------
    config : AnchorConfig
        The anchors, as :meth:`anchorlib.AnchorConfig.levels` lays them out (rounding, per-axis
        strides and inclusive "+1" corners included).
    box_size : float or array_like
        Square root of the box's area, in pixels.
    aspect : float or array_like, default 1
        The box's ``h / w``. Arrays of sizes and aspects (broadcast together) give one worst case
        per box, each shape computed once.
    image_shape : (int, int), optional
        ``(height, width)`` of the network input. Needed only when the configuration's strides
        depend on the image (torchvision: :attr:`anchorlib.AnchorConfig.fixed_strides` is False).
    return_position : bool, default False
        Also return ``(x, y)`` of a worst position (modulo ``lcm(strides)``); one box only.

    Returns
    -------
    float, or (float, float, float), or numpy.ndarray
        The worst-case IoU (and a position where it is reached), or an array of them, one per box
        (flattened when arrays are given).

    Notes
    -----
    When some point lies at distance ``stride / 2`` from the centres of *every* level along each
    axis (a common cell corner; always true for ``offset = 0.5``, where ``x = 0`` is one), every
    anchor is simultaneously at its worst there, so the answer is the largest IoU of an anchor
    shape whose centre is ``stride / 2`` away along both axes. Otherwise (``offset = 0`` with strides
    8, 16, ... for example) it is found exactly by enumerating the finitely many candidate
    minimisers of a piecewise bilinear function; see the chapter "Small objects".

    Examples
    --------
    One 32-pixel anchor every 8 pixels, a 32-pixel box: overlap ``28`` per axis at the worst position.

    >>> one = AnchorConfig(sizes=[32], strides=[8], ratios=[1], scales=[1])
    >>> round(worst_case_iou(one, 32), 6)
    0.620253
    >>> round(28**2 / (2 * 32**2 - 28**2), 6)
    0.620253
    >>> worst_case_iou(one, [32, 64], aspect=[1, 1]).round(6).tolist()  # 64: 32**2 / 64**2 at best
    [0.620253, 0.25]
    """
    cfg = _lattice(config, image_shape)
    if np.ndim(box_size) == 0 and np.ndim(aspect) == 0:
        gw, gh = _gt_shape(box_size, aspect)
        value, x, y = _worst(cfg, gw, gh)
        return (value, x, y) if return_position else value
    if return_position:
        raise ValueError("return_position needs one box: box_size and aspect must be numbers, not arrays")
    sizes, ratios = _box_shapes(box_size, aspect)
    shapes, where = np.unique(np.stack([sizes, ratios], axis=1), axis=0, return_inverse=True)
    values = np.array([_worst(cfg, *_gt_shape(side, ratio))[0] for side, ratio in shapes])
    return values[where.reshape(-1)].reshape(sizes.shape)


def _box_shapes(box_size: Any, aspect: Any) -> tuple[np.ndarray, np.ndarray]:
    """``box_size`` and ``aspect`` as arrays of one shape (broadcast), positive and finite."""
    sizes, ratios = real_array(box_size, "box_size"), real_array(aspect, "aspect")
    try:
        sizes, ratios = np.broadcast_arrays(sizes, ratios)
    except ValueError:
        raise ValueError(f"box_size and aspect must broadcast, got shapes {sizes.shape} and {ratios.shape}") from None
    for array, name in ((sizes, "box_size"), (ratios, "aspect")):
        if np.any(array <= 0):
            raise ValueError(f"{name} must all be positive, got {array[array <= 0][0]!r}")
    return sizes.ravel(), ratios.ravel()


def _worst_many(cfg: _Lattice, box_sizes: np.ndarray, aspect: float) -> np.ndarray:
    if _common_corner(cfg.x) is not None and _common_corner(cfg.y) is not None:  # closed form
        return _corner_iou(cfg, box_sizes / math.sqrt(aspect), box_sizes * math.sqrt(aspect)).max(axis=0)
    return np.array([_worst(cfg, *_gt_shape(g, aspect))[0] for g in box_sizes])


def covered_sizes(
    config: AnchorConfig,
    iou_threshold: float,
    *,
    aspect: float = 1.0,
    image_shape: Sequence[int] | None = None,
    max_size: float | None = None,
    resolution: float = 0.002,
) -> list[tuple[float, float]]:
    """Box sides for which every position gets an anchor with IoU at or above the threshold.

    Parameters
    ----------
    config : AnchorConfig
        As in :func:`worst_case_iou`.
    iou_threshold : float
        In ``(0, 1]``, e.g. 0.5 (RetinaNet's positive threshold).
    aspect, image_shape
        As in :func:`worst_case_iou`.
    max_size : float, optional
        Largest box side considered. By default the largest side that could reach the threshold at
        all, ``sqrt(largest anchor area / iou_threshold)``.
    resolution : float, default 0.002
        Relative step of the scan over box sides (0.2 %); each interval end is then refined by
        bisection to 1e-6 px. An interval or gap narrower than one step can be missed.

    Returns
    -------
    list of (float, float)
        Disjoint ``(low, high)`` intervals of box sides (square root of the area), increasing. A gap
        between two intervals is a range of sizes that some position misses.

    Examples
    --------
    >>> one = AnchorConfig(sizes=[32], strides=[8], ratios=[1], scales=[1])
    >>> [(round(lo, 3), round(hi, 3)) for lo, hi in covered_sizes(one, 0.5)]
    [(22.627, 45.255)]
    """
    threshold = _iou_threshold(iou_threshold)
    step = positive_scalar(resolution, "resolution")
    cfg = _lattice(config, image_shape)
    ratio = positive_scalar(aspect, "aspect")
    areas = cfg.area
    low = math.sqrt(threshold * areas.min())  # IoU <= smaller area / larger area
    high = math.sqrt(areas.max() / threshold)
    if max_size is not None:
        high = min(high, positive_scalar(max_size, "max_size"))
    if high <= low:
        return []
    count = int(math.ceil(math.log(high / low) / math.log1p(step))) + 1
    grid = np.geomspace(low, high, count)
    good = _worst_many(cfg, grid, ratio) >= threshold

    def edge(inside: float, outside: float) -> float:
        for _ in range(60):
            if abs(inside - outside) <= 1e-6:
                break
            mid = (inside + outside) / 2
            if _worst_many(cfg, np.array([mid]), ratio)[0] >= threshold:
                inside = mid
            else:
                outside = mid
        return inside

    intervals = []
    k = 0
    while k < count:
        if not good[k]:
            k += 1
            continue
        start = k
        while k + 1 < count and good[k + 1]:
            k += 1
        lo = grid[start] if start == 0 else edge(grid[start], grid[start - 1])
        hi = grid[k] if k == count - 1 else edge(grid[k], grid[k + 1])
        intervals.append((float(lo), float(hi)))
        k += 1
    return intervals


def position_coverage(
    config: AnchorConfig,
    box_size: float,
    iou_threshold: float,
    *,
    aspect: float = 1.0,
    image_shape: Sequence[int] | None = None,
    samples: int = 512,
) -> float:
    """Fraction of positions at which a box gets an anchor with IoU at or above the threshold.

    Positions are the centres of a ``samples x samples`` grid of equal cells tiling one period
    (``lcm`` of their strides) of the anchor shapes that can reach the threshold at all, in each axis:
    a midpoint rule for the area fraction; by periodicity one period stands for the whole plane.

    Parameters
    ----------
    config, box_size, iou_threshold
        As in :func:`worst_case_iou` and :func:`covered_sizes`.
    aspect, image_shape
        As in :func:`worst_case_iou`.
    samples : int, default 512
        Positions per axis over one period of the anchor shapes that can reach the threshold at all
        (0.25 px apart for RetinaNet's strides); at least 8 per smallest stride, or ValueError.

    Returns
    -------
    float
        In ``[0, 1]``; 1 - this is the fraction of positions an object of this size is missed at.

    Examples
    --------
    >>> one = AnchorConfig(sizes=[32], strides=[8], ratios=[1], scales=[1])
    >>> position_coverage(one, 16, 0.5), position_coverage(one, 32, 0.5)
    (0.0, 1.0)
    """
    threshold = _iou_threshold(iou_threshold)
    count = positive_int(samples, "samples")
    cfg = _lattice(config, image_shape)
    gw, gh = _gt_shape(box_size, aspect)
    need = threshold / (1 + threshold) * (cfg.area + gw * gh)  # I >= need <=> IoU >= threshold
    reach = np.minimum(cfg.x.side, gw) * np.minimum(cfg.y.side, gh)
    useful = np.flatnonzero(reach >= need * (1 - 1e-12))  # the others cover no position at all
    if useful.size == 0:
        return 0.0
    cfg, need = cfg.subset(useful), need[useful]
    for axis, name in ((cfg.x, "x"), (cfg.y, "y")):
        if axis.period / count > axis.stride.min() / 8:
            raise ValueError(
                f"samples={count} spaces positions {axis.period / count:.3g} px apart along {name} "
                f"(period lcm(strides) = {axis.period} px), more than 1/8 of the smallest stride "
                f"{axis.stride.min():g}; use at least {math.ceil(8 * axis.period / axis.stride.min())} samples"
            )
    ox = _axis_overlaps(cfg.x, (np.arange(count) + 0.5) * (cfg.x.period / count), gw)  # (M, n)
    oy = _axis_overlaps(cfg.y, (np.arange(count) + 0.5) * (cfg.y.period / count), gh)
    covered = np.zeros((count, count), dtype=bool)
    for m in range(len(need)):
        covered |= ox[m][None, :] * oy[m][:, None] >= need[m] * (1 - 1e-12)
    return float(covered.mean())
