"""Tests of anchorlib.coding: R-CNN deltas and keras-retinanet corner deltas."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import anchorlib

from strategies import xyxy_boxes

ANCHOR = [[0, 0, 32, 32]]
BOX = [[4, -2, 40, 30]]


# --- values derived by hand -------------------------------------------------------------------

def test_encode_worked_example_by_hand():
    # Anchor: centre (16, 16), 32 x 32.  Box: centre (22, 14), 36 x 32.
    # tx = (22 - 16) / 32 = 0.1875, ty = (14 - 16) / 32 = -0.0625,
    # tw = log(36 / 32) = log(1.125), th = log(32 / 32) = 0.
    expected = [[0.1875, -0.0625, math.log(1.125), 0.0]]
    np.testing.assert_allclose(anchorlib.encode(ANCHOR, BOX), expected, rtol=0, atol=1e-15)
    assert round(math.log(1.125), 4) == 0.1178  # the value quoted in the research notes


def test_encode_with_faster_rcnn_weights_by_hand():
    # Weights (10, 10, 5, 5) = 1 / py-faster-rcnn's BBOX_NORMALIZE_STDS (0.1, 0.1, 0.2, 0.2).
    expected = [[1.875, -0.625, 5 * math.log(1.125), 0.0]]
    got = anchorlib.encode(ANCHOR, BOX, weights=(10, 10, 5, 5))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)


def test_decode_inverts_the_worked_example():
    deltas = [[1.875, -0.625, 5 * math.log(1.125), 0.0]]
    got = anchorlib.decode(ANCHOR, deltas, weights=(10, 10, 5, 5))
    np.testing.assert_allclose(got, BOX, rtol=0, atol=1e-12)


def test_decode_clamp_bounds_growth_at_62_5():
    # exp(log(1000 / 16)) = 62.5: a 32-px anchor decodes to at most 2000 px, centred on 16.
    got = anchorlib.decode(ANCHOR, [[0, 0, 50.0, 50.0]])
    np.testing.assert_allclose(got, [[16 - 1000, 16 - 1000, 16 + 1000, 16 + 1000]], rtol=1e-12)
    # The clamp is on the un-weighted value: with ww = 5 a delta of 5 * 4 = 20 is not clamped.
    got = anchorlib.decode(ANCHOR, [[0, 0, 20.0, 0]], weights=(10, 10, 5, 5))
    np.testing.assert_allclose(got[0, 2] - got[0, 0], 32 * math.exp(4), rtol=1e-12)
    # Without a clamp the exponential is applied as is.
    got = anchorlib.decode(ANCHOR, [[0, 0, 5.0, 0]], clamp=None)
    np.testing.assert_allclose(got[0, 2] - got[0, 0], 32 * math.exp(5), rtol=1e-12)
    # Negative deltas are never clamped (torchvision clamps only from above).
    got = anchorlib.decode(ANCHOR, [[0, 0, -10.0, 0]])
    np.testing.assert_allclose(got[0, 2] - got[0, 0], 32 * math.exp(-10), rtol=1e-12)


def test_default_clamp_is_log_1000_over_16():
    assert anchorlib.DEFAULT_SCALE_CLAMP == math.log(1000 / 16)


def test_corner_coding_by_hand():
    # keras-retinanet bbox_transform: corner offsets / anchor size / 0.2.
    # (4 - 0) / 32 / 0.2 = 0.625; (-2 - 0) / 32 / 0.2 = -0.3125; (40 - 32) / 32 / 0.2 = 1.25;
    # (30 - 32) / 32 / 0.2 = -0.3125.
    expected = [[0.625, -0.3125, 1.25, -0.3125]]
    np.testing.assert_allclose(anchorlib.encode_corners(ANCHOR, BOX), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(anchorlib.decode_corners(ANCHOR, expected), BOX, atol=1e-12)
    # A per-coordinate std: 0.1 for the first corner, 0.2 for the second.
    got = anchorlib.encode_corners(ANCHOR, BOX, std=(0.1, 0.1, 0.2, 0.2))
    np.testing.assert_allclose(got, [[1.25, -0.625, 1.25, -0.3125]], rtol=0, atol=1e-15)


def test_empty_inputs_give_empty_outputs():
    empty = np.zeros((0, 4))
    assert anchorlib.encode(empty, empty).shape == (0, 4)
    assert anchorlib.decode(empty, empty).shape == (0, 4)


# --- properties ---------------------------------------------------------------------------------

@st.composite
def pairs(draw):
    anchors = draw(xyxy_boxes(min_size=1, max_size=6))
    boxes = draw(xyxy_boxes(min_size=len(anchors), max_size=len(anchors)))
    return anchors, boxes


weights = st.tuples(*[st.floats(0.1, 50)] * 4)


@given(pairs(), weights)
def test_round_trip_box_to_deltas_to_box(pair, w):
    anchors, boxes = pair
    back = anchorlib.decode(anchors, anchorlib.encode(anchors, boxes, w), w, clamp=None)
    np.testing.assert_allclose(back, boxes, rtol=1e-9, atol=1e-6)


@given(xyxy_boxes(), st.data(), weights)
def test_round_trip_deltas_to_box_to_deltas(anchors, data, w):
    # Within the clamp, decode is a bijection; the deltas come back exactly.
    bounded = np.array(w)[None, :] * data.draw(
        hnp.arrays(np.float64, (len(anchors), 4), elements=st.floats(-4, 4))
    )
    again = anchorlib.encode(anchors, anchorlib.decode(anchors, bounded, w), w)
    np.testing.assert_allclose(again, bounded, rtol=1e-7, atol=1e-7)


@given(pairs(), st.floats(0.05, 1.0))
def test_corner_round_trip(pair, std):
    anchors, boxes = pair
    back = anchorlib.decode_corners(anchors, anchorlib.encode_corners(anchors, boxes, std), std)
    np.testing.assert_allclose(back, boxes, rtol=1e-9, atol=1e-6)


@given(xyxy_boxes())
def test_an_anchor_encodes_itself_as_zero(anchors):
    assert np.all(anchorlib.encode(anchors, anchors, (10, 10, 5, 5)) == 0)


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("function", [anchorlib.encode, anchorlib.decode,
                                      anchorlib.encode_corners, anchorlib.decode_corners])
def test_degenerate_anchor_is_refused(function):
    with pytest.raises(ValueError, match=r"anchors must have positive width and height.*row 1"):
        function([[0, 0, 32, 32], [5, 5, 5, 9]], [[0, 0, 1, 1], [0, 0, 1, 1]])


def test_degenerate_box_cannot_be_encoded():
    with pytest.raises(ValueError, match="boxes must have positive width"):
        anchorlib.encode(ANCHOR, [[4, 4, 9, 4]])


def test_row_count_mismatch():
    with pytest.raises(ValueError, match="same number of rows, got 1 and 2"):
        anchorlib.encode(ANCHOR, BOX * 2)
    with pytest.raises(ValueError, match="same number of rows"):
        anchorlib.decode(ANCHOR, np.zeros((2, 4)))


@pytest.mark.parametrize("bad", [(1, 1, 1), (1, 1, 0, 1), (1, -1, 1, 1)])
def test_bad_weights(bad):
    with pytest.raises(ValueError, match="weights"):
        anchorlib.encode(ANCHOR, BOX, weights=bad)


def test_bad_std():
    with pytest.raises(ValueError, match="std"):
        anchorlib.encode_corners(ANCHOR, BOX, std=0)


def test_bad_deltas():
    with pytest.raises(ValueError, match="deltas must be finite"):
        anchorlib.decode(ANCHOR, [[0, 0, np.nan, 0]])
    with pytest.raises(ValueError, match=r"deltas must have shape \(N, 4\)"):
        anchorlib.decode(ANCHOR, [0, 0, 0, 0])
    with pytest.raises(TypeError, match="deltas must hold real numbers"):
        anchorlib.decode_corners(ANCHOR, [["a", "b", "c", "d"]])


def test_bad_clamp():
    with pytest.raises(TypeError, match="clamp must be a real number"):
        anchorlib.decode(ANCHOR, [[0, 0, 0, 0]], clamp="4")
    with pytest.raises(ValueError, match="clamp must be finite"):
        anchorlib.decode(ANCHOR, [[0, 0, 0, 0]], clamp=float("inf"))


# --- each library's own arithmetic (library=...); the goldens in tests/conformance prove them on
# thousands of cases, these are small ones worked by hand -------------------------------------------


def test_mmdet_clamps_shrinking_too():
    # mmdet 3.3.0 delta2bbox clamps dw to [-log(62.5), log(62.5)] (golden: mmdet decode groups): a
    # 32-px anchor shrinks at most to 32 / 62.5 = 0.512 px, centred on 16. torchvision and
    # detectron2 clamp from above only, so their box is 32 * exp(-10) wide.
    mmdet = anchorlib.decode([[0, 0, 32, 32]], [[0, 0, -10, 0]], library="mmdet")
    np.testing.assert_allclose(mmdet, [[16 - 0.256, 0, 16 + 0.256, 32]], rtol=1e-6)
    for library in ("torchvision", "detectron2"):
        box = anchorlib.decode([[0, 0, 32, 32]], [[0, 0, -10, 0]], library=library)
        np.testing.assert_allclose(box[0, 2] - box[0, 0], 32 * math.exp(-10), atol=1e-5)  # float32 corners near 16


def test_mmdet_means_stds_and_clipping():
    # delta = raw * stds + means: raw dx = 1 with std 0.1 moves the centre by 0.1 anchor widths;
    # max_shape (20, 20) with clip_border clips x2 = 23.2 to the image width 20.
    box = anchorlib.decode([[0, 0, 32, 32]], [[1, 0, 0, 0]], library="mmdet",
                           stds=(0.1, 0.1, 0.2, 0.2))
    np.testing.assert_allclose(box, [[3.2, 0, 35.2, 32]], rtol=1e-6)
    clipped = anchorlib.decode([[0, 0, 32, 32]], [[1, 0, 0, 0]], library="mmdet",
                               stds=(0.1, 0.1, 0.2, 0.2), max_shape=(20, 20))
    np.testing.assert_allclose(clipped, [[3.2, 0, 20, 20]], rtol=1e-6)
    codes = anchorlib.encode([[0, 0, 32, 32]], [[3.2, 0, 35.2, 32]], library="mmdet",
                             stds=(0.1, 0.1, 0.2, 0.2))
    np.testing.assert_allclose(codes, [[1, 0, 0, 0]], atol=1e-6)


def test_py_faster_rcnn_coding_counts_pixels_inclusively():
    # bbox_transform: widths x2 - x1 + 1, centres x1 + 0.5 w. Anchor [0, 0, 15, 15] is 16 px wide,
    # centre 8; box [0, 0, 31, 31] is 32 px, centre 16: dx = 8 / 16, dw = log 2.
    codes = anchorlib.encode([[0, 0, 15, 15]], [[0, 0, 31, 31]], library="py-faster-rcnn")
    np.testing.assert_allclose(codes, [[0.5, 0.5, math.log(2), math.log(2)]])
    # bbox_transform_inv puts x2 at centre + w / 2 = 32, not 31: its decode is not the exact inverse.
    box = anchorlib.decode([[0, 0, 15, 15]], codes, library="py-faster-rcnn")
    np.testing.assert_allclose(box, [[0, 0, 32, 32]])
    # A one-pixel box (x2 == x1) is a valid reference with "+1" pixels.
    assert anchorlib.encode([[5, 5, 5, 5]], [[5, 5, 5, 5]], library="py-faster-rcnn").tolist() == [[0, 0, 0, 0]]


def test_float32_libraries_return_float32_values():
    codes = anchorlib.encode([[0, 0, 30, 30]], [[1, 2, 33, 35]], library="torchvision")
    assert np.array_equal(codes, codes.astype(np.float32).astype(np.float64))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(library="keras"), ValueError, "library must be None or one of"),
        (dict(means=(0, 0, 0, 0)), ValueError, "means and stds are mmdet's options"),
        (dict(library="mmdet", weights=(10, 10, 5, 5)), ValueError, "pass stds"),
        (dict(library="torchvision", max_shape=(10, 10)), ValueError, "max_shape and add_ctr_clamp"),
        (dict(library="mmdet", max_shape=5), TypeError, "max_shape must be"),
        (dict(library="mmdet", clip_border="yes"), TypeError, "clip_border"),
    ],
)
def test_library_options_are_checked(kwargs, error, words):
    with pytest.raises(error, match=words):
        anchorlib.decode([[0, 0, 32, 32]], [[0, 0, 0, 0]], **kwargs)


@pytest.mark.parametrize("clamp", [0, -1])
def test_a_clamp_that_would_shrink_every_box_is_refused(clamp):
    # clamp bounds log(w / w_a) from above; zero or below would shrink every decoded box (issue 17, item 7)
    with pytest.raises(ValueError, match="clamp"):
        anchorlib.decode([[0, 0, 32, 32]], [[0, 0, 1, 1]], clamp=clamp)
