"""Hypothesis strategies shared by the property tests."""

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
import numpy as np

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

# Network input shapes (height, width): small enough that every preset's anchors stay cheap.
image_shapes = st.tuples(st.integers(1, 700), st.integers(1, 700))
