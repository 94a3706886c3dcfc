"""Hypothesis strategies shared by the property tests."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Sizes and ratios in the range detectors use, away from float underflow/overflow.
positive = st.floats(min_value=1e-2, max_value=1e4, allow_nan=False, allow_infinity=False)
ratio = st.floats(min_value=1 / 16, max_value=16, allow_nan=False, allow_infinity=False)
coordinate = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def xyxy_boxes(draw, min_size: int = 1, max_size: int = 8, min_side: float = 0.5):
    """(N, 4) well-formed xyxy boxes with sides >= min_side."""
    n = draw(st.integers(min_size, max_size))
    corners = draw(hnp.arrays(np.float64, (n, 2), elements=coordinate))
    sides = draw(hnp.arrays(np.float64, (n, 2), elements=st.floats(min_side, 1e3)))
    return np.concatenate([corners, corners + sides], axis=1)


@st.composite
def layers(draw):
    """One anchorlib.Layer with any padding rule (small kernels, strides and pads)."""
    from anchorlib import Layer

    kernel = draw(st.integers(1, 5))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    rule = draw(st.sampled_from(["same", "valid", "int", "pair"]))
    if rule in ("same", "valid"):
        return Layer(kernel, stride, rule, dilation=dilation)
    ceil_mode = draw(st.booleans())
    most = (dilation * (kernel - 1) + 1) // 2 if ceil_mode else 3  # PyTorch's limit with ceil_mode
    pad = st.integers(0, most)
    padding = draw(pad) if rule == "int" else (draw(pad), draw(pad))
    return Layer(kernel, stride, padding, ceil_mode=ceil_mode, dilation=dilation)


def layer_chains(max_size: int = 5):
    """A non-empty list of layers."""
    return st.lists(layers(), min_size=1, max_size=max_size)


# Network input shapes (height, width): small enough that every preset's anchors stay cheap.
image_shapes = st.tuples(st.integers(1, 700), st.integers(1, 700))
