"""Tests of anchorlib.grid: cell centres and shifting anchors over a feature map."""

import re

import numpy as np
import pytest
from hypothesis import given, strategies as st

import anchorlib

from strategies import positive, ratio


def test_keras_retinanet_anchors_for_shape_values():
    # Expected values from keras-retinanet tests/utils/test_anchors.py::test_anchors_for_shape_values
    # (fizyr/keras-retinanet): size 12, stride 8, ratios [1, 2], scales [1, 2], a 16x16 image (P3 is 2x2).
    # Anchor k of cell (row, col) is centred at ((col + 0.5) * 8, (row + 0.5) * 8), cells row-major.
    size, stride = 12, 8
    anchors = anchorlib.shift(anchorlib.base_anchors(size, [1, 2], [1, 2]), (2, 2), stride, offset=0.5)
    assert anchors.shape == (16, 4)
    for index, (row, col, aspect, scale) in enumerate(
        (r, c, q, s) for r in range(2) for c in range(2) for q in (1, 2) for s in (1, 2)
    ):
        cx, cy = stride * (col + 0.5), stride * (row + 0.5)
        half_w, half_h = size * scale / np.sqrt(aspect) / 2, size * scale * np.sqrt(aspect) / 2
        np.testing.assert_allclose(anchors[index], [cx - half_w, cy - half_h, cx + half_w, cy + half_h], atol=1e-6)


def test_keras_retinanet_anchor_count():
    # keras-retinanet tests/utils/test_anchors.py::test_anchors_for_shape_dimensions: 64x64 image,
    # P3-P5 (8x8, 4x4, 2x2 cells), 4 ratios x 3 scales -> 1008 anchors.
    base = anchorlib.base_anchors(32, [0.5, 1, 2, 3], [1, 1.2, 1.6])
    total = sum(len(anchorlib.shift(base, (64 // s, 64 // s), s)) for s in (8, 16, 32))
    assert total == 1008


def test_seed_256_example():
    # Source notes (keras-retinanet #1073): 256x256 input, P3 is 32x32 with stride 8, base anchor 32.
    # Cell (0, 0)'s anchor spans [-12, 20), cell (x=1, y=0) starts at (-4, -12): one stride further.
    anchors = anchorlib.shift(anchorlib.base_anchors(32, [1], [1]), (32, 32), 8)
    assert anchors[0].tolist() == [-12, -12, 20, 20]
    assert anchors[1].tolist() == [-4, -12, 28, 20]


def test_torchvision_convention_is_offset_zero():
    # torchvision AnchorGenerator: shifts = arange(W) * stride, so cell (0, 0) is centred at (0, 0).
    anchors = anchorlib.shift([[-16, -16, 16, 16]], (1, 2), 8, offset=0)
    assert anchors.tolist() == [[-16, -16, 16, 16], [-8, -16, 24, 16]]


def test_per_axis_stride_and_offset():
    # torchvision at 800x1333 (padded to 800x1344): P6 strides (y, x) = (800 // 13, 1344 // 21) = (61, 64).
    centers = anchorlib.cell_centers((13, 21), (61, 64), offset=0)
    assert centers[-1].tolist() == [20 * 64, 12 * 61]
    centers = anchorlib.cell_centers((2, 2), 10, offset=(0.5, 0))
    assert centers.tolist() == [[0, 5], [10, 5], [0, 15], [10, 15]]


@given(
    st.integers(1, 6), st.integers(1, 6), positive, st.floats(-1, 1),
    st.lists(ratio, min_size=1, max_size=3),
)
def test_shift_structure(height, width, stride, offset, ratios):
    base = anchorlib.base_anchors(32, ratios, [1, 2])
    count = len(base)
    anchors = anchorlib.shift(base, (height, width), stride, offset)
    assert anchors.shape == (height * width * count, 4)
    grid = anchors.reshape(height, width, count, 4)
    # every anchor is its base anchor moved to its cell's centre
    for i in range(height):
        for j in range(width):
            centre = np.array([(j + offset) * stride, (i + offset) * stride] * 2)
            np.testing.assert_allclose(grid[i, j], base + centre, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    "args, error, words",
    [
        (([[-1, -1, 1, 1]], (0, 3), 8), ValueError, "feature_shape\\[0\\] must be positive"),
        (([[-1, -1, 1, 1]], (3, -1), 8), ValueError, "feature_shape\\[1\\] must be positive"),
        (([[-1, -1, 1, 1]], (3, 2.5), 8), TypeError, "feature_shape\\[1\\] must be an integer"),
        (([[-1, -1, 1, 1]], (3,), 8), ValueError, "feature_shape must be a \\(height, width\\) pair"),
        (([[-1, -1, 1, 1]], 3, 8), TypeError, "feature_shape"),
        (([[-1, -1, 1, 1]], (3, 3), 0), ValueError, "stride must be positive"),
        (([[-1, -1, 1, 1]], (3, 3), -8), ValueError, "stride must be positive"),
        (([[-1, -1, 1, 1]], (3, 3), np.nan), ValueError, "stride must be finite"),
        (([[-1, -1, 1, 1]], (3, 3), (8, 0)), ValueError, "stride\\[1\\] must be positive"),
        (([[-1, -1, 1, 1]], (3, 3), (8, 8, 8)), ValueError, "stride must be a scalar or a \\(y, x\\) pair"),
        (([[-1, -1, 1, 1]], (3, 3), 8, np.inf), ValueError, "offset must be finite"),
        (([[-1, -1, 1]], (3, 3), 8), ValueError, "base_anchors must have shape"),
        (([[1, -1, -1, 1]], (3, 3), 8), ValueError, "base_anchors must have x2 >= x1"),
    ],
)
def test_bad_input_raises_naming_the_argument(args, error, words):
    with pytest.raises(error, match=words):
        anchorlib.shift(*args)


def test_centered_grid_start_matches_the_source_notes():
    # By hand, the keras-retinanet #1073 discussion: 256 px, P3 32 cells of stride 8 -> (256 - 31*8)/2 = 4;
    # 800 px: P3..P7 have 100, 50, 25, 13, 7 cells -> 4, 8, 16, 16, 16.
    assert anchorlib.centered_grid_start(256, 32, 8) == 4
    got = [anchorlib.centered_grid_start(800, h, s) for h, s in [(100, 8), (50, 16), (25, 32), (13, 64), (7, 128)]]
    assert got == [4, 8, 16, 16, 16]


@given(st.integers(1, 4000), st.integers(1, 300), st.integers(1, 256))
def test_centered_grid_is_symmetric(size, cells, stride):
    # The first centre is as far from the left edge as the last centre from the right edge.
    first = anchorlib.centered_grid_start(size, cells, stride)
    last = first + (cells - 1) * stride
    assert abs(first - (size - last)) < 1e-9


@pytest.mark.parametrize("args, words", [((0, 1, 8), "image_size must be positive"),
                                         ((256, 1.5, 8), "feature_size must be an integer"),
                                         ((256, 32, -8), "stride must be positive")])
def test_centered_grid_start_bad_input(args, words):
    with pytest.raises((ValueError, TypeError), match=words):
        anchorlib.centered_grid_start(*args)


def test_float32_precision_is_the_float32_sum():
    # By definition: each coordinate is float32(anchor) + float32(shift) rounded to float32.
    base = np.array([[-22.627417, -11.3137085, 22.627417, 11.3137085]])
    anchors = anchorlib.shift(base, (3, 700), 8, offset=0.5, precision="float32")
    expected = (
        anchorlib.shift(base.astype(np.float32), (3, 700), 8, offset=0.5).astype(np.float32)
    )  # exact float64 sums of float32 inputs, rounded once to float32
    assert anchors.dtype == np.float64
    np.testing.assert_array_equal(anchors, expected.astype(np.float64))
    assert not np.array_equal(anchors, anchorlib.shift(base, (3, 700), 8, offset=0.5))


def test_bad_precision():
    with pytest.raises(ValueError, match="precision must be 'float64' or 'float32'"):
        anchorlib.shift([[-1, -1, 1, 1]], (2, 2), 8, precision="float16")


# --- the single-pass writer equals the plain broadcast sum, bit for bit --------------------------


def broadcast_shift(base, feature_shape, stride, offset, precision):
    """The previous implementation's arithmetic, written plainly: centre coordinates in float64,
    then one broadcast addition per coordinate in ``precision`` (independent of the complex-number
    view the library now uses)."""
    (sy, sx), (oy, ox) = np.broadcast_to(stride, 2), np.broadcast_to(offset, 2)
    real = np.dtype(precision)
    xs = ((np.arange(feature_shape[1]) + ox) * sx).astype(real)
    ys = ((np.arange(feature_shape[0]) + oy) * sy).astype(real)
    base = np.asarray(base, np.float64).astype(real)
    out = np.empty(feature_shape + (len(base), 4), real)
    out[..., 0::2] = xs[None, :, None, None] + base[None, None, :, 0::2]
    out[..., 1::2] = ys[:, None, None, None] + base[None, None, :, 1::2]
    return out.reshape(-1, 4)


coordinates = st.floats(-2000, 2000, allow_nan=False, allow_infinity=False)


@given(
    st.lists(st.tuples(coordinates, coordinates, st.floats(0, 3000), st.floats(0, 3000)), min_size=1, max_size=12),
    st.tuples(st.integers(1, 60), st.integers(1, 400)),
    st.one_of(st.sampled_from([1, 4, 8, 16, 32, 61, 114, 128]), st.tuples(positive, positive)),
    st.one_of(st.sampled_from([0.0, 0.5, -0.5, 0.25]), st.tuples(coordinates, coordinates)),
    st.sampled_from(["float64", "float32"]),
)
def test_shift_is_bit_identical_to_the_broadcast_sum(cells, feature_shape, stride, offset, precision):
    # Bit for bit (compared as integers, so even the sign of a zero counts), into a new float64
    # array and into a preallocated array of the precision's own dtype.
    base = np.array([[x, y, x + w, y + h] for x, y, w, h in cells])
    expected = broadcast_shift(base, feature_shape, stride, offset, precision)
    got = anchorlib.shift(base, feature_shape, stride, offset, precision=precision)
    np.testing.assert_array_equal(got.view(np.int64), expected.astype(np.float64).view(np.int64))
    out = np.full(expected.shape, np.nan, np.dtype(precision))
    assert anchorlib.shift(base, feature_shape, stride, offset, precision=precision, out=out) is out
    assert out.tobytes() == expected.tobytes()


@pytest.mark.parametrize("preset", sorted(anchorlib.PRESETS))
@pytest.mark.parametrize("image", [(800, 1333), (1333, 800), (37, 91), (513, 1025)])
def test_every_preset_level_is_bit_identical_to_the_broadcast_sum(preset, image):
    for level in anchorlib.PRESETS[preset].levels(image):
        expected = broadcast_shift(level.cell_anchors, level.feature_shape, level.stride, level.offset, level.dtype)
        out = np.empty(expected.shape, level.dtype)
        anchorlib.shift(level.cell_anchors, level.feature_shape, level.stride, level.offset,
                        precision=level.dtype, out=out)
        assert out.tobytes() == expected.tobytes()


def test_out_writes_one_level_into_a_slice_of_a_pyramid():
    # Two levels written into one preallocated float32 array, each into its own slice.
    base = np.array([[-16.0, -8.0, 16.0, 8.0]])
    pyramid = np.zeros((6 + 2, 4), np.float32)
    anchorlib.shift(base, (2, 3), 8, precision="float32", out=pyramid[:6])
    anchorlib.shift(base, (1, 2), 16, precision="float32", out=pyramid[6:])
    assert pyramid[:6].tolist() == anchorlib.shift(base, (2, 3), 8).tolist()
    assert pyramid[6:].tolist() == [[-8.0, 0.0, 24.0, 16.0], [8.0, 0.0, 40.0, 16.0]]  # by hand: centres 8, 24


@pytest.mark.parametrize(
    "out, error, words",
    [
        ([[0.0] * 4] * 2, TypeError, "out must be a numpy array"),
        (np.empty((3, 4)), ValueError, "out must be a writeable C-contiguous array of shape \\(2, 4\\)"),
        (np.empty((4, 2)).T, ValueError, "C-contiguous"),
        (np.empty((2, 4), np.float32), ValueError, "out must be float64 or float64"),
        (np.empty((2, 4), np.int64), ValueError, "out must be float64"),
    ],
)
def test_bad_out(out, error, words):
    with pytest.raises(error, match=words):
        anchorlib.shift([[-1, -1, 1, 1]], (1, 2), 8, out=out)


def test_read_only_out():
    out = np.empty((2, 4))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        anchorlib.shift([[-1, -1, 1, 1]], (1, 2), 8, out=out)


@pytest.mark.parametrize("preset", sorted(anchorlib.PRESETS))
def test_config_anchors_in_the_preset_dtype_equal_every_level_bit_for_bit(preset):
    # AnchorConfig.anchors writes each level once into one array of the preset's dtype, keeping the
    # levels' small terms per image shape: the same numbers as the plain broadcast sum of each level,
    # on the second call for a shape (cached terms) as on the first, whatever the caller did to the
    # first result.
    config = anchorlib.PRESETS[preset]
    for image in [(800, 1333), (1333, 800), (37, 91), (513, 1025), (800, 1333)]:
        levels = config.levels(image)
        expected = np.concatenate([broadcast_shift(lv.cell_anchors, lv.feature_shape, lv.stride, lv.offset, lv.dtype)
                                   for lv in levels])
        got = config.anchors(image)
        assert got.dtype == np.dtype(levels[0].dtype) == np.dtype(config.dtype)
        assert got.tobytes() == expected.tobytes()
        got[:] = 0  # the caller owns its array


# feature_shape: ceil(n / stride) per side, by hand (600 / 32 = 18.75 -> 19; 1000 / 32 = 31.25 -> 32).
@pytest.mark.parametrize("image, stride, expected", [
    ((600, 1000), 32, (19, 32)),
    ((800, 1344), 8, (100, 168)),
    ((1, 1), 128, (1, 1)),
    ((64, 65), 32, (2, 3)),  # 65 px: two full cells and one of a single pixel
    ((10**30 + 1, 3), 2, (5 * 10**29 + 1, 2)),  # exact for sizes beyond float precision
])
def test_feature_shape_by_hand(image, stride, expected):
    assert anchorlib.feature_shape(image, stride) == expected


def test_feature_shape_is_the_custom_configurations_rule():
    config = anchorlib.AnchorConfig(sizes=[32, 64, 128], strides=[8, 16, 32], ratios=[1], scales=[1])
    for level in config.levels((333, 517)):
        assert level.feature_shape == anchorlib.feature_shape((333, 517), level.stride[0])


@pytest.mark.parametrize("args, error, words", [
    ((600, 32), TypeError, "image_shape must be a (height, width) pair"),
    (((600, 0), 32), ValueError, "image_shape[1] must be positive"),
    (((600, 800), 2.5), TypeError, "stride must be an integer"),
    (((600, 800), 0), ValueError, "stride must be positive"),
])
def test_feature_shape_bad_input(args, error, words):
    with pytest.raises(error, match=re.escape(words)):
        anchorlib.feature_shape(*args)
