"""Figures for the book. Only this module (and :mod:`anchorlib.cli`) draws or prints.

One helper per kind of figure, so every chapter draws boxes the same way.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike

from ._checks import boxes_array, wh_array

__all__ = ["draw_boxes", "new_axes", "wh_scatter"]


def new_axes(width: float = 5.0, height: float = 5.0, *, image_coords: bool = True) -> Axes:
    """A fresh figure with one axes of fixed size (so stored outputs stay identical).

    With ``image_coords`` the y axis points down, as in an image, and the aspect ratio is 1.
    """
    figure, ax = plt.subplots(figsize=(width, height))
    if image_coords:
        ax.set_aspect("equal")
        ax.invert_yaxis()
    return ax


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


def wh_scatter(
    ax: Axes,
    wh: ArrayLike,
    *,
    groups: Sequence[str] | None = None,
    anchors: Mapping[str, ArrayLike] | None = None,
    ratios: Sequence[float] = (0.5, 1.0, 2.0),
    size: float = 6.0,
) -> Axes:
    """Box widths against heights on log-log axes, with anchor sets marked on top.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    wh : array_like, shape (N, 2)
        Box widths and heights.
    groups : sequence of str, optional
        A label per box (e.g. its class): one colour and legend entry per distinct label.
    anchors : mapping of str to array_like (K, 2), optional
        Named anchor sets, each drawn with its own marker and legend entry.
    ratios : sequence of float
        Grey dotted lines of constant ``h / w``, labelled at their right end.
    size : float
        Marker size of the boxes.
    """
    data = wh_array(wh, "wh")
    labels = np.asarray(groups if groups is not None else [""] * len(data))
    for name in dict.fromkeys(labels.tolist()):
        rows = labels == name
        ax.scatter(data[rows, 0], data[rows, 1], s=size, alpha=0.35, label=name or None, linewidths=0)
    markers = ["X", "P", "D", "s", "^", "v"]
    fills = ["black", "gold", "magenta", "white", "cyan", "red"]  # apart from the default palette
    for k, (name, shapes) in enumerate((anchors or {}).items()):
        shapes = wh_array(shapes, f"anchors[{name!r}]")
        ax.scatter(shapes[:, 0], shapes[:, 1], s=60, marker=markers[k % len(markers)],
                   color=fills[k % len(fills)], edgecolors="black", linewidths=0.8, label=name, zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    low = float(data.min()) / 1.5
    high = float(data.max()) * 1.5
    for ratio in ratios:
        xs = np.array([low, high])
        ax.plot(xs, ratio * xs, ":", color="grey", linewidth=0.8)
        x_end = min(high, high / ratio)
        ax.annotate(f"h/w={ratio:g}", (x_end, ratio * x_end), fontsize=7, color="grey",
                    ha="right", va="top")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_aspect("equal")
    ax.set_xlabel("width (pixels)")
    ax.set_ylabel("height (pixels)")
    ax.legend(fontsize=7, loc="upper left")
    return ax
