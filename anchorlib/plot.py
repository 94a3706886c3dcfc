"""Figures for the book. Only this module (and :mod:`anchorlib.cli`) draws or prints.

One helper per kind of figure, so every chapter draws boxes the same way, and one figure style for
the whole book, set when this module is imported (:data:`STYLE`):

* **sized for the text column**: a figure :data:`TEXT_WIDTH` inches wide is shown at its natural size
  in the website's text column (672 CSS pixels of the theme's ~730), so nothing is scaled down;
* **legible text**: no text smaller than :data:`SMALLEST_FONT` points, i.e. 13 CSS pixels at natural
  size (body text is 16);
* **sharp at any density**: inside Jupyter figures are shown as SVG (vector), not 100-dpi PNG;
* **colour-blind safe**: the Okabe–Ito colours (:data:`OKABE_ITO`) for lines, bars and points,
  viridis for maps.

Helpers draw and return what they drew (their axes or figure); they never compute a number a caller
needs, so a chapter takes its numbers from :mod:`anchorlib`, not from a figure.
"""

from __future__ import annotations

import io
import textwrap
from typing import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from numpy.typing import ArrayLike

from ._checks import boxes_array, pair, positive_int, positive_scalar, real_array, wh_array
from .boxes import box_iou
from .grid import cell_centers, shift
from .shapes import base_anchors

__all__ = [
    "OKABE_ITO",
    "SMALLEST_FONT",
    "STYLE",
    "TEXT_WIDTH",
    "anchor_explorer",
    "center_errors",
    "count_bars",
    "draw_anchor_grid",
    "draw_best_anchors",
    "draw_boxes",
    "flow_diagram",
    "iou_curves",
    "iou_histograms",
    "iou_map",
    "new_axes",
    "new_axes_grid",
    "receptive_fields",
    "scaling_curves",
    "show_jpeg",
    "wh_scatter",
]

#: Width in inches of a figure that fills the book's text column at its natural size (SVG: 72 pt per
#: inch, 96 CSS pixels per inch, so 672 px; the column is about 730 px wide at a 1366 px screen).
TEXT_WIDTH = 7.0

#: The smallest font size in points of any text the helpers draw (tick labels, legends, notes):
#: 10 pt is 13.3 CSS pixels at natural size.
SMALLEST_FONT = 10.0

#: Okabe and Ito's eight colours, distinguishable under the common colour-vision deficiencies; in the
#: order of the colour cycle, so ``"C0"`` is blue, ``"C1"`` vermillion, ``"C2"`` bluish green.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
BLUE, VERMILLION, GREEN, ORANGE, SKY, PURPLE, YELLOW, BLACK = OKABE_ITO

#: The book's matplotlib settings, applied to ``matplotlib.rcParams`` when this module is imported.
STYLE = {
    "figure.figsize": (TEXT_WIDTH, 4.0),
    "figure.dpi": 96,                  # 1 inch = 96 CSS pixels, also for PNG output
    "savefig.dpi": 192,                # rasterised parts (dense scatters) at twice the screen density
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "figure.titlesize": 11,
    "figure.labelsize": 11,
    "xtick.labelsize": SMALLEST_FONT,
    "ytick.labelsize": SMALLEST_FONT,
    "legend.fontsize": SMALLEST_FONT,
    "legend.title_fontsize": SMALLEST_FONT,
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
    "svg.fonttype": "path",            # text as outlines: the same glyphs on every reader's machine
    "svg.hashsalt": "anchorlib",       # fixed element ids, so a re-run gives an identical file
}
mpl.rcParams.update(STYLE)


def _inline_svg() -> None:
    """In a Jupyter kernel with the inline backend, show figures as SVG (vector, sharp on every
    screen) with no creation date in the file, so a re-executed notebook stores identical output."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None or "inline" not in mpl.get_backend():
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg", metadata={"Date": None})


_inline_svg()


def show_jpeg(figure: Figure, *, dpi: float = 144, quality: int = 85) -> None:
    """Show a figure of a photograph as a JPEG (in a Jupyter kernel) and close it.

    A photograph drawn into an SVG (or PNG) is stored losslessly, several hundred kB per figure; as a
    JPEG at one and a half times the screen density (``dpi=144``, about 150 dpi in print)
    it takes a fraction of that. Figures without a photograph stay SVG. Outside a Jupyter kernel
    nothing is displayed.

    Examples
    --------
    >>> figure, ax = plt.subplots(figsize=(1, 1))
    >>> show_jpeg(figure, dpi=50)
    >>> plt.fignum_exists(figure.number)  # closed: the notebook shows the JPEG, not the figure again
    False
    """
    from IPython import get_ipython
    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="jpeg", dpi=dpi, bbox_inches="tight", pil_kwargs={"quality": quality})
    plt.close(figure)
    if get_ipython() is not None:
        display(Image(data=buffer.getvalue(), format="jpeg"))


def _wrap(text: str, width: int) -> str:
    """Break a long title into lines of at most ``width`` characters (keeping its own line breaks)."""
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n"))


def new_axes(width: float = 5.0, height: float = 5.0, *, image_coords: bool = True) -> Axes:
    """A fresh figure with one axes of fixed size (so stored outputs stay identical).

    With ``image_coords`` the y axis points down, as in an image, the aspect ratio is 1 and the axes
    are labelled ``x (px)`` and ``y (px)``.
    """
    figure, ax = plt.subplots(figsize=(width, height))
    if image_coords:
        ax.set_aspect("equal")
        ax.invert_yaxis()
        ax.set_xlabel("x (px)")
        ax.set_ylabel("y (px)")
    return ax


def new_axes_grid(
    rows: int, cols: int, *, panel: float = 2.6, image_coords: bool = True
) -> np.ndarray:
    """A fresh figure of ``rows x cols`` panels of fixed size, sharing both axes (small multiples).

    Returns the axes as a ``(rows, cols)`` array; with ``image_coords`` the y axis points down, the
    aspect ratio is 1 and the figure's axes are labelled ``x (px)`` and ``y (px)``, as in
    :func:`new_axes`.
    """
    figure, axes = plt.subplots(rows, cols, figsize=(panel * cols, panel * rows), sharex=True,
                                sharey=True, squeeze=False)
    if image_coords:
        for ax in axes.flat:
            ax.set_aspect("equal")
        axes[0, 0].invert_yaxis()  # shared: inverts every panel
        figure.supxlabel("x (px)")
        figure.supylabel("y (px)")
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
        One colour for all boxes, or one per box; default cycles the book's palette (:data:`OKABE_ITO`).
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
        ax.set_title(_wrap(title, 36))
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="best IoU")
    return ax


def flow_diagram(
    rows: Mapping[str, Sequence[str]], *, width: float = TEXT_WIDTH, row_height: float = 1.05
) -> Axes:
    """Detectors as chains of stages: one row per detector, one labelled box per stage, arrows between.

    Parameters
    ----------
    rows : mapping of str to sequence of str
        Detector name (drawn above its row) to its stages, in order; the first stage is drawn grey.
    width, row_height : float
        Figure width and height per row, in inches.
    """
    figure, ax = plt.subplots(figsize=(width, row_height * len(rows)))
    longest = max(len(stages) for stages in rows.values())
    for row, (name, stages) in enumerate(rows.items()):
        y = len(rows) - 1 - row
        ax.text(0.02, y + 0.3, name, ha="left", va="bottom", fontweight="bold")
        for k, stage in enumerate(stages):
            ax.add_patch(FancyBboxPatch((k + 0.04, y - 0.28), 0.8, 0.5, boxstyle="round,pad=0.02",
                                        facecolor=SKY if k else "0.88", alpha=0.45 if k else 1,
                                        edgecolor="0.3"))
            ax.text(k + 0.44, y - 0.03, stage, ha="center", va="center", fontsize=SMALLEST_FONT)
            if k + 1 < len(stages):
                ax.annotate("", xy=(k + 1.04, y - 0.03), xytext=(k + 0.86, y - 0.03),
                            arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax.set_xlim(0, longest)
    ax.set_ylim(-0.45, len(rows) - 0.35)
    ax.axis("off")
    figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return ax


def iou_histograms(
    ious: Sequence[ArrayLike],
    labels: Sequence[str],
    *,
    thresholds: Sequence[float | None] | None = None,
    bins: int = 20,
    width: float = TEXT_WIDTH,
    height: float = 2.6,
) -> np.ndarray:
    """One histogram of IoU values per panel, side by side, with an optional threshold line each.

    ``thresholds`` has one entry per panel (``None`` for no line), drawn dashed in vermillion.

    Returns the array of axes.
    """
    figure, axes = plt.subplots(1, len(ious), figsize=(width, height), sharey=True, layout="constrained")
    axes = np.atleast_1d(axes)
    edges = np.linspace(0, 1, bins + 1)
    for k, (ax, values, label) in enumerate(zip(axes, ious, labels)):
        ax.hist(np.asarray(values, dtype=float), bins=edges, color=BLUE, alpha=0.8)
        if thresholds is not None and thresholds[k] is not None:
            ax.axvline(thresholds[k], color=VERMILLION, linestyle="--", linewidth=1.5)
        ax.set_title(label)
        ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    figure.supxlabel("IoU with its ground truth")
    axes[0].set_ylabel("boxes")
    return axes


def count_bars(
    counts: ArrayLike,
    names: Sequence[str],
    parts: Sequence[str],
    *,
    width: float = TEXT_WIDTH,
    height: float = 4.2,
    ylabel: str = "positive anchors",
) -> Axes:
    """Stacked bars: one bar per name, one coloured segment per part (e.g. positives per box).

    Adjacent segments differ in colour (Okabe–Ito) and in hatching, so they stay apart in grey and
    for colour-blind readers; the total is written above each bar and the legend sits above the plot.

    Parameters
    ----------
    counts : array_like, shape (len(names), len(parts))
    names : sequence of str
        Bar labels.
    parts : sequence of str
        Segment labels (legend).
    """
    table = np.asarray(counts, dtype=float)
    figure, ax = plt.subplots(figsize=(width, height), layout="constrained")
    bottom = np.zeros(len(names))
    hatches = ["", "//", "..", "\\\\", "xx", "--", "++", "oo"]
    for k, part in enumerate(parts):
        ax.bar(names, table[:, k], bottom=bottom, label=part, color=OKABE_ITO[k % len(OKABE_ITO)],
               hatch=hatches[k % len(hatches)], edgecolor="white", linewidth=0.5)
        bottom += table[:, k]
    for x, total in enumerate(bottom):
        ax.text(x, total, f"{total:.0f}", ha="center", va="bottom", fontsize=SMALLEST_FONT)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, bottom.max() * 1.1 if len(bottom) else 1)
    ax.legend(ncol=4, loc="lower left", bbox_to_anchor=(0.0, 1.02), frameon=False)
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
        ax.scatter(data[rows, 0], data[rows, 1], s=size, alpha=0.45, label=name or None, linewidths=0,
                   marker=["o", "s", "^", "v", "D"][len(ax.collections) % 5], rasterized=True)
    markers = ["X", "P", "D", "s", "^", "v"]
    fills = [BLACK, YELLOW, PURPLE, "white", SKY, ORANGE]  # black-edged, apart from the box colours
    for k, (name, shapes) in enumerate((anchors or {}).items()):
        shapes = wh_array(shapes, f"anchors[{name!r}]")
        ax.scatter(shapes[:, 0], shapes[:, 1], s=70, marker=markers[k % len(markers)],
                   color=fills[k % len(fills)], edgecolors="black", linewidths=0.8, label=name, zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    low = float(data.min()) / 1.5
    high = float(data.max()) * 1.5
    for ratio in ratios:
        xs = np.array([low, high])
        ax.plot(xs, ratio * xs, ":", color="grey", linewidth=0.8)
        start, end = max(low, low / ratio), min(high, high / ratio)  # the line inside the square
        x_label = start * (end / start) ** 0.88  # near its upper end, apart from the other lines' labels
        ax.annotate(f"$h/w={ratio:g}$", (x_label, ratio * x_label), fontsize=SMALLEST_FONT, color="0.35",
                    rotation=45, rotation_mode="anchor", ha="center", va="bottom")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_aspect("equal")
    ax.set_xlabel("width $w$ (px)")
    ax.set_ylabel("height $h$ (px)")
    ax.legend(loc="upper left", markerscale=1.5)
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
            ax.add_patch(Rectangle((start, row + 0.1), rf, 0.8, fill=False, edgecolor=VERMILLION, linewidth=1.5))
        lo = min(0.0, float(np.min(starts)))
        hi = max(float(pixels), float(np.max(starts)) + rf)
        ax.set_xlim(lo - 0.5, hi + 0.5)
        ax.axvspan(lo - 0.5, 0, color=SKY, alpha=0.2)
        ax.axvspan(pixels, hi + 0.5, color=SKY, alpha=0.2)
    ax.set_xlabel("input pixel (px; shaded: padding)")
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
    figsize: tuple[float, float] = (TEXT_WIDTH, 6.5),
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
    figure, axes = plt.subplots(len(rows), len(columns), figsize=figsize, sharex=True, sharey=True, squeeze=False,
                                layout="constrained")
    markers = "osD^vP*X"
    for r, row in enumerate(rows):
        for c, column in enumerate(columns):
            ax = axes[r, c]
            ax.axhline(0, color="0.6", linewidth=0.8)
            for s, size in enumerate(sizes):
                ax.plot(levels, array[r, c, :, s], marker=markers[s % len(markers)], markersize=4,
                        linewidth=1.2, alpha=0.85, label=str(size))
            if r == 0:
                ax.set_title(column)
            if c == 0:
                ax.set_ylabel(_wrap(row, 16))
            if r == len(rows) - 1:
                ax.set_xlabel("pyramid level")
            ax.set_xticks(list(levels), [f"P{level}" for level in levels])
    figure.supylabel("error (px)")
    figure.legend(*axes[0, 0].get_legend_handles_labels(), title="input side (px)", loc="outside lower center",
                  ncol=len(sizes))
    return figure


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
    color: str = VERMILLION,
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
) -> Axes:
    """Draw one level's anchor grid over ``image``, each object in green and its best anchor in red.

    The level has one anchor shape per cell (``size``, ``ratio``, scale 1), placed as in
    :func:`draw_anchor_grid`. This is one frame of :func:`anchor_explorer`, so a book can show the
    explorer's starting figure statically. It only draws: compute the IoUs themselves with
    :func:`anchorlib.box_iou` or :func:`anchorlib.best_iou` over the same anchors.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with one red anchor and one green box per object.

    Examples
    --------
    >>> ax = draw_best_anchors(new_axes(3, 3), np.zeros((64, 64)), [[0, 0, 32, 32]], 16, size=32)
    >>> [[float(v) for v in patch.get_bbox().bounds] for patch in ax.patches]  # anchor at (8, 8), box
    [[-8.0, -8.0, 32.0, 32.0], [0.0, 0.0, 32.0, 32.0]]
    >>> plt.close("all")
    """
    pixels = real_array(image, "image")
    if pixels.ndim not in (2, 3):
        raise ValueError(f"image: expected a (height, width[, 3]) array, got shape {pixels.shape}")
    truth = boxes_array(boxes, "boxes")
    height, width = pixels.shape[:2]
    anchors = draw_anchor_grid(ax, (height, width), stride, size=size, ratios=[ratio], offset=offset,
                               image=pixels)  # the grid and every centre; one anchor per cell
    rows, cols = _feature_grid((height, width), stride)
    if len(truth):  # which anchor to draw for each object: the one of highest IoU
        cells = [divmod(int(k), cols) for k in box_iou(truth, anchors).argmax(axis=1)]
        draw_boxes(ax, anchors[[i * cols + j for i, j in cells]], colors=VERMILLION, autoscale=False)
    draw_boxes(ax, truth, colors=GREEN, linewidth=2.5, autoscale=False)
    ax.set_title(f"stride {stride:g}, size {size:g}, ratio {ratio:g}, offset {offset:g}\n"
                 "green: objects, red: the best anchor of each")
    return ax


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
        ax = draw_best_anchors(new_axes(*figsize), pixels, truth, stride, size=size, ratio=ratio,
                               offset=offset)
        plt.show()
        # the printed numbers come from the library, over the anchors the figure shows
        from . import best_iou  # the public name, wherever the library keeps it

        anchors = shift(base_anchors(size, [ratio], [1.0]), _feature_grid(pixels.shape[:2], stride),
                        stride, offset)
        best = best_iou(truth, anchors)
        print("best IoU per object:", ", ".join(f"{value:.3f}" for value in best))
        del ax

    return widgets.interactive(
        redraw,
        stride=widgets.SelectionSlider(options=[4, 8, 16, 32, 64], value=stride, description="stride"),
        size=widgets.IntSlider(value=size, min=4, max=256, step=4, description="size"),
        ratio=widgets.SelectionSlider(options=[0.25, 0.5, 1.0, 2.0, 4.0], value=ratio, description="ratio h/w"),
        offset=widgets.FloatSlider(value=offset, min=0.0, max=1.0, step=0.25, description="offset"),
    )


def scaling_curves(
    panels: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    xlabels: Sequence[str],
    ylabel: str = "median time (s)",
    width: float = TEXT_WIDTH,
    height: float = 3.4,
) -> Figure:
    """Log-log panels of cost against problem size, each with a dashed line of slope 1 for reference.

    A measured curve parallel to the dashed line grows linearly with the size, as it should when the
    work is proportional to the size; a steeper curve would reveal a super-linear cost.

    Parameters
    ----------
    panels : mapping of title to (sizes, costs)
    xlabels : sequence of str
        One x-axis label per panel.
    """
    figure, axes = plt.subplots(1, len(panels), figsize=(width, height), squeeze=False, layout="constrained")
    for ax, (title, (sizes, costs)), xlabel in zip(axes[0], panels.items(), xlabels):
        x = np.asarray(sizes, dtype=float)
        y = np.asarray(costs, dtype=float)
        ax.loglog(x, y, "o-", label="measured")
        ax.loglog(x, y[-1] * x / x[-1], "--", color="0.45", label="slope 1 (linear)")
        ax.set_title(_wrap(title, 34))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
    return figure
