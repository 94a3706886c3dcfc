"""Tests of the figure helpers added for the receptive-field chapter (shapes and bad input)."""

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
