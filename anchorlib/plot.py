"""Figures for the book. Only this module (and :mod:`anchorlib.cli`) draws or prints.

One helper per kind of figure, so every chapter draws boxes the same way.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike

from ._checks import boxes_array

__all__ = ["draw_boxes", "new_axes", "new_axes_grid"]


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
