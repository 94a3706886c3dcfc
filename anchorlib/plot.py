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

from ._checks import boxes_array, pair, positive_int, positive_scalar, real_array
from .boxes import box_iou
from .grid import cell_centers, shift
from .shapes import base_anchors

__all__ = ["anchor_explorer", "draw_anchor_grid", "draw_best_anchors", "draw_boxes", "new_axes"]


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


def _feature_grid(image_shape: tuple[int, int], stride: float) -> tuple[int, int]:
    """Cells along each side: ``ceil(side / stride)``, keras-retinanet's rule."""
    stride = positive_scalar(stride, "stride")
    return int(np.ceil(image_shape[0] / stride)), int(np.ceil(image_shape[1] / stride))


def draw_anchor_grid(
    ax: Axes,
    image_shape: Sequence[int],
    stride: float,
    *,
    size: float,
    ratios: ArrayLike = (1.0,),
    scales: ArrayLike = (1.0,),
    offset: float = 0.5,
    cells: Sequence[Sequence[int]] = (),
    image: ArrayLike | None = None,
    color: str = "tab:red",
) -> np.ndarray:
    """Draw one pyramid level over an image: its cell grid, every anchor centre, the anchors of ``cells``.

    The feature map has ``ceil(side / stride)`` cells along each side (keras-retinanet's rule); cell
    ``(i, j)`` covers the input pixels ``[j·stride, (j + 1)·stride)`` across and has its anchors centred
    at ``((j + offset)·stride, (i + offset)·stride)``, as in :func:`anchorlib.shift`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Preferably from :func:`new_axes` (image coordinates, y pointing down).
    image_shape : (int, int)
        ``(height, width)`` of the input in pixels.
    stride : float
        Input pixels per feature cell.
    size, ratios, scales
        The anchor shapes of one cell, as in :func:`anchorlib.base_anchors`.
    offset : float
        Centre of a cell in strides (0.5 keras-retinanet, 0 torchvision).
    cells : sequence of (row, col)
        The cells whose anchors are drawn (every centre is drawn as a dot).
    image : array_like, shape (height, width) or (height, width, 3), optional
        Shown underneath, pixel ``k`` spanning ``[k, k + 1)``.
    color : str
        Colour of the drawn anchors.

    Returns
    -------
    numpy.ndarray, shape (rows * cols * A, 4)
        Every anchor of the level (row-major cells, ``A = len(ratios) * len(scales)`` per cell), so the
        caller can compute with exactly what was drawn.

    Examples
    --------
    >>> ax = new_axes(3, 3)
    >>> anchors = draw_anchor_grid(ax, (64, 48), 16, size=32, cells=[(0, 0), (3, 2)])
    >>> anchors.shape, len(ax.patches)
    ((12, 4), 2)
    >>> plt.close("all")
    """
    height, width = pair(image_shape, "image_shape", positive_int)
    rows, cols = _feature_grid((height, width), stride)
    cell_anchors = base_anchors(size, ratios, scales)
    anchors = shift(cell_anchors, (rows, cols), stride, offset)
    per_cell = len(cell_anchors)
    chosen = []
    for cell in cells:
        if not isinstance(cell, (tuple, list, np.ndarray)) or len(cell) != 2:
            raise ValueError(f"cells: expected (row, col) pairs, got {cell!r}")
        i, j = (positive_int(v, "cells", allow_zero=True) for v in cell)
        if i >= rows or j >= cols:
            raise ValueError(f"cells: ({i}, {j}) is outside the {rows} x {cols} feature map")
        start = (i * cols + j) * per_cell
        chosen.append(anchors[start:start + per_cell])
    if image is not None:
        pixels = real_array(image, "image")
        if pixels.shape[:2] != (height, width):
            raise ValueError(f"image: shape {pixels.shape} does not match image_shape {(height, width)}")
        ax.imshow(pixels, extent=(0, width, height, 0), cmap="gray", interpolation="nearest")
    for k in range(cols + 1):
        ax.axvline(min(k * stride, width), color="0.6", linewidth=0.5)
    for k in range(rows + 1):
        ax.axhline(min(k * stride, height), color="0.6", linewidth=0.5)
    centers = cell_centers((rows, cols), stride, offset)
    ax.plot(centers[:, 0], centers[:, 1], ".", color=color, markersize=3)
    if chosen:
        draw_boxes(ax, np.concatenate(chosen), colors=color, autoscale=False)
        drawn = np.concatenate(chosen + [np.array([[0.0, 0.0, width, height]])])
    else:
        drawn = np.array([[0.0, 0.0, width, height]])
    margin = 0.02 * max(height, width)
    ax.set_xlim(drawn[:, 0].min() - margin, drawn[:, 2].max() + margin)
    ax.set_ylim(drawn[:, 3].max() + margin, drawn[:, 1].min() - margin)  # y down, as in an image
    return anchors


def draw_best_anchors(
    ax: Axes,
    image: ArrayLike,
    boxes: ArrayLike,
    stride: float,
    *,
    size: float,
    ratio: float = 1.0,
    offset: float = 0.5,
) -> np.ndarray:
    """Draw one level's anchor grid over ``image``, each object in green and its best anchor in red.

    The level has one anchor shape per cell (``size``, ``ratio``, scale 1), placed as in
    :func:`draw_anchor_grid`. This is one frame of :func:`anchor_explorer`, so a book can show the
    explorer's starting figure statically.

    Returns
    -------
    numpy.ndarray, shape (len(boxes),)
        The best IoU of each object over every anchor of the level.

    Examples
    --------
    >>> ax = new_axes(3, 3)
    >>> draw_best_anchors(ax, np.zeros((64, 64)), [[0, 0, 32, 32]], 16, size=32, offset=0).tolist()
    [1.0]
    >>> draw_best_anchors(ax, np.zeros((64, 64)), [[0, 0, 32, 32]], 16, size=32, offset=0.5).round(3).tolist()
    [0.391]
    >>> plt.close("all")
    """
    pixels = real_array(image, "image")
    if pixels.ndim not in (2, 3):
        raise ValueError(f"image: expected a (height, width[, 3]) array, got shape {pixels.shape}")
    truth = boxes_array(boxes, "boxes")
    height, width = pixels.shape[:2]
    rows, cols = _feature_grid((height, width), stride)
    anchors = shift(base_anchors(size, [ratio], [1.0]), (rows, cols), stride, offset)  # one per cell
    iou = box_iou(truth, anchors)
    best = iou.max(axis=1) if len(anchors) else np.zeros(len(truth))
    cells = [divmod(int(k), cols) for k in iou.argmax(axis=1)] if len(truth) else []
    draw_anchor_grid(ax, (height, width), stride, size=size, ratios=[ratio], offset=offset,
                     cells=cells, image=pixels)
    draw_boxes(ax, truth, colors="tab:green", linewidth=2.0, autoscale=False)
    ax.set_title(f"stride {stride:g}, size {size:g}, ratio {ratio:g}, offset {offset:g}\n"
                 "green: objects, red: the best anchor of each", fontsize=9)
    return best


def anchor_explorer(
    image: ArrayLike,
    boxes: ArrayLike,
    *,
    stride: int = 16,
    size: int = 32,
    ratio: float = 1.0,
    offset: float = 0.5,
    figsize: tuple[float, float] = (5.0, 4.0),
):
    """Sliders for stride, anchor size, ratio and centre offset that redraw :func:`draw_best_anchors`.

    For JupyterLab (needs ``ipywidgets``): each change redraws the frame and prints the best IoU of
    each object, so a reader sees at once which settings leave an object without a good anchor.

    Returns
    -------
    ipywidgets.interactive
        Display it (last expression of a cell) to get the sliders; ``.kwargs`` holds their values.

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as shown:  # it draws its first frame at once
    ...     explorer = anchor_explorer(np.zeros((64, 64)), [[8, 8, 40, 40]])
    >>> shown.getvalue().split("best IoU per object: ")[1]
    '1.000\\n'
    >>> sorted(explorer.kwargs)
    ['offset', 'ratio', 'size', 'stride']
    >>> plt.close("all")
    """
    import ipywidgets as widgets  # only needed here; the rest of anchorlib does not depend on it

    pixels = real_array(image, "image")
    truth = boxes_array(boxes, "boxes")

    def redraw(stride: int, size: int, ratio: float, offset: float) -> None:
        best = draw_best_anchors(new_axes(*figsize), pixels, truth, stride, size=size, ratio=ratio,
                                 offset=offset)
        plt.show()
        print("best IoU per object:", ", ".join(f"{value:.3f}" for value in best))

    return widgets.interactive(
        redraw,
        stride=widgets.SelectionSlider(options=[4, 8, 16, 32, 64], value=stride, description="stride"),
        size=widgets.IntSlider(value=size, min=4, max=256, step=4, description="size"),
        ratio=widgets.SelectionSlider(options=[0.25, 0.5, 1.0, 2.0, 4.0], value=ratio, description="ratio h/w"),
        offset=widgets.FloatSlider(value=offset, min=0.0, max=1.0, step=0.25, description="offset"),
    )
