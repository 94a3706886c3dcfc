"""Tests of the figure helpers: the receptive-field chapter's (shapes and bad input), and the anchor
grid and explorer, which carry numbers."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from anchorlib import Layer, plot, simulate, trace  # noqa: E402


def test_receptive_fields_draws_one_outline_per_cell():
    chain = [Layer(3, 2, "same")]
    g = trace(chain, 4)[-1]
    ax = plot.new_axes(4, 2, image_coords=False)
    plot.receptive_fields(ax, simulate(chain, 4), starts=g.start0 + g.stride * np.arange(g.size), rf=g.rf)
    assert len(ax.patches) == g.size + 2  # one outline per cell, two shaded padding bands
    plt.close("all")


def test_center_errors_grid():
    errors = np.zeros((2, 3, 5, 4))
    figure = plot.center_errors(errors, rows=["a", "b"], columns=["x", "y", "z"], levels=[3, 4, 5, 6, 7],
                                sizes=[1, 2, 3, 4])
    assert len(figure.axes) == 6
    assert len(figure.axes[0].lines) == 1 + 4  # the zero line and one line per size
    plt.close("all")


def test_bad_input():
    ax = plot.new_axes(4, 2, image_coords=False)
    with pytest.raises(ValueError, match="reach"):
        plot.receptive_fields(ax, np.zeros(5, dtype=bool))
    with pytest.raises(ValueError, match="errors"):
        plot.center_errors(np.zeros((2, 3, 5)), rows=["a", "b"], columns=["x", "y", "z"], levels=[3, 4, 5, 6, 7],
                           sizes=[1])
    plt.close("all")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_anchor_grid_returns_every_anchor_and_draws_only_the_chosen_cells():
    # A 64 x 48 (h x w) image at stride 16 has ceil(64/16) x ceil(48/16) = 4 x 3 cells. Cell (3, 2) is
    # row-major index 3*3 + 2 = 11; with offset 0.5 its centre is ((2.5)*16, (3.5)*16) = (40, 56), so
    # its 32 x 32 anchor is [24, 40, 56, 72] (by hand).
    ax = plot.new_axes(3, 3)
    anchors = plot.draw_anchor_grid(ax, (64, 48), 16, size=32, cells=[(3, 2)])
    assert anchors.shape == (12, 4)
    assert anchors[11].tolist() == [24.0, 40.0, 56.0, 72.0]
    assert len(ax.patches) == 1
    x, y = ax.patches[0].get_xy()
    assert (x, y, ax.patches[0].get_width(), ax.patches[0].get_height()) == (24.0, 40.0, 32.0, 32.0)


def test_anchor_grid_rounds_the_feature_map_up():
    # 50 x 40 at stride 16: ceil(50/16) = 4 rows, ceil(40/16) = 3 columns; 2 ratios -> 2 anchors per cell.
    anchors = plot.draw_anchor_grid(plot.new_axes(3, 3), (50, 40), 16, size=16, ratios=[0.5, 2])
    assert anchors.shape == (4 * 3 * 2, 4)


def test_best_anchors_draws_the_best_anchor_of_each_object_and_returns_its_axes():
    # Box [0, 0, 32, 32]; stride 16, size 32, offset 0.5 puts anchor centres at 8, 24, 40, ...; the
    # anchors centred at (8, 8) and (24, 24) tie (IoU 9/23 each, by hand) and the first in row-major
    # order, [-8, -8, 24, 24], is drawn. With offset 0 a centre lands on (16, 16): the box itself.
    image = np.zeros((64, 64))
    ax = plot.new_axes(3, 3)
    assert plot.draw_best_anchors(ax, image, [[0, 0, 32, 32]], 16, size=32, offset=0.5) is ax
    anchor, box = (patch.get_bbox().bounds for patch in ax.patches)
    assert anchor == (-8.0, -8.0, 32.0, 32.0) and box == (0.0, 0.0, 32.0, 32.0)
    ax = plot.draw_best_anchors(plot.new_axes(3, 3), image, [[0, 0, 32, 32]], 16, size=32, offset=0)
    assert ax.patches[0].get_bbox().bounds == (0.0, 0.0, 32.0, 32.0)


def test_helpers_return_what_they_drew():
    # iou_map and count_bars are annotated `-> Axes`: they return the axes they drew on.
    ax = plot.new_axes(3, 3, image_coords=False)
    assert plot.iou_map(ax, np.linspace(0, 1, 16).reshape(4, 4), (0, 8, 0, 8)) is ax
    bars = plot.count_bars([[1, 2], [3, 4]], ["a", "b"], ["x", "y"])
    assert [round(p.get_height()) for p in bars.patches] == [1, 3, 2, 4]


def test_book_style_keeps_text_legible_and_colours_colour_blind_safe():
    # Every helper's text is at least SMALLEST_FONT points (13.3 CSS px at natural size).
    figures = [
        plot.flow_diagram({"a": ["one", "two"], "b": ["three"]}).figure,
        plot.count_bars([[1, 2], [3, 4]], ["a", "b"], ["x", "y"]).figure,
        plot.iou_histograms([[0.1, 0.6], [0.7]], ["one", "two"], thresholds=[0.5, None])[0].figure,
        plot.wh_scatter(plot.new_axes(image_coords=False), [[10, 20], [30, 15]], groups=["p", "q"],
                        anchors={"k": [[12, 12]]}).figure,
        plot.center_errors(np.zeros((1, 2, 2, 2)), rows=["r"], columns=["c", "d"], levels=[3, 4],
                           sizes=[1, 2]),
        plot.scaling_curves({"t": ([1, 2], [3, 4])}, xlabels=["n"]),
    ]
    from matplotlib.text import Text

    for figure in figures:
        figure.canvas.draw()
        sizes = [text.get_fontsize() for text in figure.findobj(Text) if text.get_text()]
        assert sizes and min(sizes) >= plot.SMALLEST_FONT, sizes
        assert figure.get_figwidth() <= plot.TEXT_WIDTH
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"] == list(plot.OKABE_ITO)


def test_explorer_redraws_when_a_slider_moves(capsys):
    pytest.importorskip("ipywidgets")
    explorer = plot.anchor_explorer(np.zeros((64, 64)), [[8, 8, 40, 40]])
    # box centre 24 = (1 + 0.5) * 16: a perfect 32-pixel anchor at stride 16
    assert "best IoU per object: 1.000" in capsys.readouterr().out
    stride = next(child for child in explorer.children if getattr(child, "description", "") == "stride")
    stride.value = 8
    # stride 8: centres at 4, 12, 20, 28; the best anchor [4, 4, 36, 36] overlaps 28^2 = 784 of a
    # union 2048 - 784 = 1264 (by hand): 784 / 1264 = 0.620
    assert explorer.kwargs["stride"] == 8
    assert "best IoU per object: 0.620" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"cells": [(4, 0)]}, ValueError, "cells"),
        ({"cells": [(-1, 0)]}, ValueError, "cells"),
        ({"cells": [(0.5, 0)]}, TypeError, "cells"),
        ({"cells": [(1,)]}, ValueError, "cells"),
        ({"cells": [3]}, ValueError, "cells"),
        ({"image": np.zeros((10, 10))}, ValueError, "image"),
        ({"size": -1}, ValueError, "base_size"),
    ],
)
def test_anchor_grid_bad_input(kwargs, error, words):
    arguments = {"size": 32, **kwargs}
    with pytest.raises(error, match=words):
        plot.draw_anchor_grid(plot.new_axes(2, 2), (64, 48), 16, **arguments)


@pytest.mark.parametrize("stride", [0, -16, "16"])
def test_bad_stride(stride):
    with pytest.raises((ValueError, TypeError), match="stride"):
        plot.draw_anchor_grid(plot.new_axes(2, 2), (64, 48), stride, size=32)


def test_best_anchors_bad_input():
    with pytest.raises(ValueError, match="image"):
        plot.draw_best_anchors(plot.new_axes(2, 2), np.zeros(5), [[0, 0, 1, 1]], 16, size=8)
    with pytest.raises(ValueError, match="boxes"):
        plot.draw_best_anchors(plot.new_axes(2, 2), np.zeros((8, 8)), [[0, 0, 1]], 16, size=8)


def test_scaling_curves_draws_measured_and_reference_lines():
    import matplotlib.pyplot as plt

    figure = plot.scaling_curves({"a": ([1, 10, 100], [1, 10, 100]), "b": ([2, 4], [3, 5])}, xlabels=["n", "m"])
    try:
        assert len(figure.axes) == 2
        measured, reference = figure.axes[0].get_lines()
        # The reference line has slope 1 through the last point: y = y_last * x / x_last (by construction).
        np.testing.assert_allclose(reference.get_ydata(), [1, 10, 100])
        assert figure.axes[0].get_xscale() == "log" and figure.axes[0].get_yscale() == "log"
    finally:
        plt.close(figure)
