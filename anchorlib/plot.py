"""Figures for the book. Only this module (and :mod:`anchorlib.cli`) draws or prints.

One helper per kind of figure, so every chapter draws boxes the same way.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from numpy.typing import ArrayLike

from ._checks import boxes_array

__all__ = [
    "center_errors",
    "count_bars",
    "draw_boxes",
    "flow_diagram",
    "iou_curves",
    "iou_histograms",
    "iou_map",
    "new_axes",
    "new_axes_grid",
    "receptive_fields",
]


def new_axes(width: float = 5.0, height: float = 5.0, *, image_coords: bool = True) -> Axes:
    """A fresh figure with one axes of fixed size (so stored outputs stay identical).

    With ``image_coords`` the y axis points down, as in an image, and the aspect ratio is 1.
    """
    figure, ax = plt.subplots(figsize=(width, height))
    if image_coords:
        ax.set_aspect("equal")
        ax.invert_yaxis()
    return ax


def new_axes_grid(
    rows: int, cols: int, *, panel: float = 2.6, image_coords: bool = True
) -> np.ndarray:
    """A fresh figure of ``rows x cols`` panels of fixed size, sharing both axes (small multiples).

    Returns the axes as a ``(rows, cols)`` array; with ``image_coords`` the y axis points down and
    the aspect ratio is 1, as in :func:`new_axes`.
    """
    figure, axes = plt.subplots(rows, cols, figsize=(panel * cols, panel * rows), sharex=True,
                                sharey=True, squeeze=False)
    if image_coords:
        for ax in axes.flat:
            ax.set_aspect("equal")
        axes[0, 0].invert_yaxis()  # shared: inverts every panel
    return axes


def draw_boxes(
    ax: Axes,
    boxes: ArrayLike,
    *,
    colors: str | Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    linestyle: str = "-",
    linewidth: float = 1.5,
    centers: bool = False,
    autoscale: bool = True,
) -> Axes:
    """Draw ``xyxy`` boxes as unfilled rectangles on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    boxes : array_like, shape (N, 4)
    colors : str or sequence of str, optional
        One colour for all boxes, or one per box; default cycles matplotlib's palette.
    labels : sequence of str, optional
        Legend label per box (``None`` entries are left out of the legend).
    linestyle, linewidth
        Passed to :class:`matplotlib.patches.Rectangle`.
    centers : bool
        Also mark each box centre with a dot.
    autoscale : bool
        Extend the axes limits to show every box with a small margin.
    """
    array = boxes_array(boxes, "boxes")
    if colors is None:
        palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        colors = [palette[k % len(palette)] for k in range(len(array))]
    elif isinstance(colors, str):
        colors = [colors] * len(array)
    for k, (x1, y1, x2, y2) in enumerate(array):
        label = labels[k] if labels is not None else None
        ax.add_patch(
            Rectangle(
                (x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colors[k],
                linestyle=linestyle, linewidth=linewidth, label=label,
            )
        )
        if centers:
            ax.plot([(x1 + x2) / 2], [(y1 + y2) / 2], ".", color=colors[k])
    if autoscale and len(array):
        lo = array[:, :2].min(axis=0)
        hi = array[:, 2:].max(axis=0)
        margin = 0.05 * float(np.max(hi - lo)) + 1e-9
        x_lo, x_hi = sorted(ax.get_xlim())
        y_lo, y_hi = sorted(ax.get_ylim())
        first = len(ax.patches) == len(array)  # nothing else drawn yet: ignore default limits
        x_lo = lo[0] - margin if first else min(x_lo, lo[0] - margin)
        x_hi = hi[0] + margin if first else max(x_hi, hi[0] + margin)
        y_lo = lo[1] - margin if first else min(y_lo, lo[1] - margin)
        y_hi = hi[1] + margin if first else max(y_hi, hi[1] + margin)
        ax.set_xlim(x_lo, x_hi)
        inverted = ax.yaxis_inverted()
        ax.set_ylim((y_hi, y_lo) if inverted else (y_lo, y_hi))
    return ax


def iou_curves(
    ax: Axes,
    x: ArrayLike,
    curves: dict[str, ArrayLike],
    *,
    thresholds: Sequence[float] = (0.4, 0.5),
    log_x: bool = True,
    xlabel: str = "box side (px)",
    ylabel: str = "worst-case IoU",
) -> Axes:
    """Plot IoU curves against one variable, with dotted horizontal lines at the IoU thresholds.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array_like, shape (n,)
        Common abscissa of every curve.
    curves : dict of str to array_like, shape (n,)
        One labelled curve per entry, drawn in the palette's order.
    thresholds : sequence of float
        IoU levels to mark (RetinaNet's negative and positive thresholds by default).
    log_x : bool
        Logarithmic x axis (box sides span octaves).
    """
    xs = np.asarray(x, dtype=float)
    for label, values in curves.items():
        ax.plot(xs, np.asarray(values, dtype=float), label=label)
    for level in thresholds:
        ax.axhline(level, color="0.4", linestyle=":", linewidth=1)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    return ax


def iou_map(
    ax: Axes,
    values: ArrayLike,
    extent: Sequence[float],
    *,
    threshold: float = 0.5,
    title: str | None = None,
) -> Axes:
    """Show a map of best IoU over box positions, with the threshold drawn as a contour.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    values : array_like, shape (rows, cols)
        Best IoU of a box centred at each position; row ``i`` is ``y``, column ``j`` is ``x``.
    extent : (x0, x1, y0, y1)
        Positions covered by the map, in pixels (``y`` drawn downwards, as in an image).
    threshold : float
        IoU level drawn as a black contour: inside it the box gets a positive anchor.
    title : str, optional
    """
    array = np.asarray(values, dtype=float)
    x0, x1, y0, y1 = extent
    image = ax.imshow(array, extent=(x0, x1, y1, y0), origin="upper", vmin=0, vmax=1, cmap="viridis")
    if array.min() < threshold < array.max():
        ax.contour(
            np.linspace(x0, x1, array.shape[1]), np.linspace(y0, y1, array.shape[0]), array,
            levels=[threshold], colors="k", linewidths=1,
        )
    ax.set_xlabel("box centre x (px)")
    ax.set_ylabel("box centre y (px)")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="best IoU")
def flow_diagram(
    rows: Mapping[str, Sequence[str]], *, width: float = 9.0, row_height: float = 0.9
) -> Axes:
    """Detectors as chains of stages: one row per detector, one labelled box per stage, arrows between.

    Parameters
    ----------
    rows : mapping of str to sequence of str
        Detector name (drawn at the left) to its stages, in order.
    width, row_height : float
        Figure width and height per row, in inches.
    """
    figure, ax = plt.subplots(figsize=(width, row_height * len(rows) + 0.3))
    longest = max(len(stages) for stages in rows.values())
    for row, (name, stages) in enumerate(rows.items()):
        y = len(rows) - 1 - row
        ax.text(-0.15, y, name, ha="right", va="center", fontsize=9, fontweight="bold")
        for k, stage in enumerate(stages):
            ax.add_patch(FancyBboxPatch((k + 0.04, y - 0.3), 0.72, 0.6, boxstyle="round,pad=0.02",
                                        facecolor="tab:blue" if k else "0.85", alpha=0.25 if k else 1,
                                        edgecolor="0.3"))
            ax.text(k + 0.4, y, stage, ha="center", va="center", fontsize=7.5, wrap=True)
            if k + 1 < len(stages):
                ax.annotate("", xy=(k + 1.04, y), xytext=(k + 0.76, y),
                            arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax.set_xlim(-1.6, longest)
    ax.set_ylim(-0.5, len(rows) - 0.5)
    ax.axis("off")
    return ax


def iou_histograms(
    ious: Sequence[ArrayLike],
    labels: Sequence[str],
    *,
    thresholds: Sequence[float | None] | None = None,
    bins: int = 20,
    width: float = 8.0,
    height: float = 2.4,
) -> np.ndarray:
    """One histogram of IoU values per panel, side by side, with an optional threshold line each.

    ``thresholds`` has one entry per panel (``None`` for no line).

    Returns the array of axes.
    """
    figure, axes = plt.subplots(1, len(ious), figsize=(width, height), sharey=True)
    axes = np.atleast_1d(axes)
    edges = np.linspace(0, 1, bins + 1)
    for k, (ax, values, label) in enumerate(zip(axes, ious, labels)):
        ax.hist(np.asarray(values, dtype=float), bins=edges, color="tab:blue", alpha=0.7)
        if thresholds is not None and thresholds[k] is not None:
            ax.axvline(thresholds[k], color="tab:red", linestyle="--", linewidth=1)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("IoU with its ground truth", fontsize=8)
    axes[0].set_ylabel("boxes", fontsize=8)
    return axes


def count_bars(
    counts: ArrayLike,
    names: Sequence[str],
    parts: Sequence[str],
    *,
    width: float = 8.0,
    height: float = 3.0,
) -> Axes:
    """Stacked bars: one bar per name, one coloured segment per part (e.g. positives per box).

    Parameters
    ----------
    counts : array_like, shape (len(names), len(parts))
    names : sequence of str
        Bar labels.
    parts : sequence of str
        Segment labels (legend).
    """
    table = np.asarray(counts, dtype=float)
    figure, ax = plt.subplots(figsize=(width, height))
    bottom = np.zeros(len(names))
    for k, part in enumerate(parts):
        ax.bar(names, table[:, k], bottom=bottom, label=part)
        bottom += table[:, k]
    for x, total in enumerate(bottom):
        ax.text(x, total, f"{total:.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("positive anchors")
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
def receptive_fields(
    ax: Axes,
    reach: ArrayLike,
    *,
    starts: ArrayLike | None = None,
    rf: int | None = None,
) -> Axes:
    """Show which input pixels reach which output cell, as from :func:`anchorlib.simulate`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    reach : array_like of bool, shape (cells, pixels)
        Row ``j`` marks the input pixels cell ``j`` depends on.
    starts, rf : optional
        First pixel of each cell's analytic receptive field and its size (from
        :func:`anchorlib.trace`): drawn as red outlines over the brute-force mask, padding included.
    """
    mask = np.asarray(reach, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"reach must be a 2-D (cells, pixels) array, got shape {mask.shape}")
    cells, pixels = mask.shape
    ax.imshow(mask, cmap="Greys", vmin=0, vmax=1.6, aspect="auto", interpolation="nearest",
              extent=(0, pixels, cells, 0))
    if starts is not None and rf is not None:
        for row, start in enumerate(np.asarray(starts, dtype=float)):
            ax.add_patch(Rectangle((start, row + 0.1), rf, 0.8, fill=False, edgecolor="tab:red", linewidth=1.2))
        lo = min(0.0, float(np.min(starts)))
        hi = max(float(pixels), float(np.max(starts)) + rf)
        ax.set_xlim(lo - 0.5, hi + 0.5)
        ax.axvspan(lo - 0.5, 0, color="tab:blue", alpha=0.08)
        ax.axvspan(pixels, hi + 0.5, color="tab:blue", alpha=0.08)
    ax.set_xlabel("input pixel (shaded: padding)")
    ax.set_ylabel("output cell")
    ax.set_yticks(np.arange(cells) + 0.5, [str(j) for j in range(cells)])
    return ax


def center_errors(
    errors: ArrayLike,
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    levels: Sequence[int],
    sizes: Sequence[int],
    figsize: tuple[float, float] = (9.0, 7.0),
) -> Figure:
    """Small multiples of centre errors: one panel per (row, column), one line per input size.

    Parameters
    ----------
    errors : array_like, shape (len(rows), len(columns), len(levels), len(sizes))
        ``errors[r, c, l, s]``: assumed minus true centre of cell 0, in pixels.
    rows, columns : sequence of str
        Panel labels (e.g. backbones down, centre conventions across).
    levels : sequence of int
        Pyramid levels on the x axis.
    sizes : sequence of int
        Input sizes, one line each; lines that coincide mean an error independent of the size.
    figsize : (float, float)
    """
    array = np.asarray(errors, dtype=float)
    expected = (len(rows), len(columns), len(levels), len(sizes))
    if array.shape != expected:
        raise ValueError(f"errors must have shape {expected}, got {array.shape}")
    figure, axes = plt.subplots(len(rows), len(columns), figsize=figsize, sharex=True, sharey=True, squeeze=False)
    markers = "osD^vP*X"
    for r, row in enumerate(rows):
        for c, column in enumerate(columns):
            ax = axes[r, c]
            ax.axhline(0, color="0.6", linewidth=0.8)
            for s, size in enumerate(sizes):
                ax.plot(levels, array[r, c, :, s], marker=markers[s % len(markers)], markersize=4,
                        linewidth=1, alpha=0.8, label=str(size))
            if r == 0:
                ax.set_title(column, fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{row}\nerror (px)", fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel("level")
            ax.set_xticks(list(levels), [f"P{level}" for level in levels])
    axes[0, -1].legend(title="input", fontsize=7, title_fontsize=7, loc="upper left")
    figure.tight_layout()
    return figure
