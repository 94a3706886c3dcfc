"""Tests of anchorlib.boxes: formats, area, IoU, best IoU over many anchors."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import anchorlib

from strategies import xyxy_boxes

# --- values derived by hand -------------------------------------------------------------------

def test_convert_by_hand():
    # A 32 x 16 box with its top-left corner at (10, 20): centre (26, 28).
    xyxy = [[10, 20, 42, 36]]
    assert anchorlib.box_convert(xyxy, "xyxy", "xywh").tolist() == [[10, 20, 32, 16]]
    assert anchorlib.box_convert(xyxy, "xyxy", "cxcywh").tolist() == [[26, 28, 32, 16]]
    assert anchorlib.box_convert([[26, 28, 32, 16]], "cxcywh", "xyxy").tolist() == xyxy
    assert anchorlib.box_convert([[10, 20, 32, 16]], "xywh", "xyxy").tolist() == xyxy


def test_area_by_hand():
    # Continuous coordinates: [0, 4) x [0, 3) covers 12 pixels, no "+1".
    assert anchorlib.box_area([[0, 0, 4, 3], [1, 1, 1, 5]]).tolist() == [12.0, 0.0]


def test_iou_by_hand():
    # Two 2x2 squares overlapping in a 1x1 corner: 1 / (4 + 4 - 1) = 1/7.
    # A 4x4 square containing a 2x2 one: 4 / 16.  Disjoint boxes: 0.  Touching edges: 0.
    a = [[0, 0, 2, 2], [0, 0, 4, 4]]
    b = [[1, 1, 3, 3], [0, 0, 2, 2], [10, 10, 12, 12], [2, 0, 4, 2]]
    expected = [[1 / 7, 1.0, 0.0, 0.0], [4 / 16, 4 / 16, 0.0, 4 / 16]]
    np.testing.assert_allclose(anchorlib.box_iou(a, b), expected, rtol=0, atol=1e-15)


def test_iou_inclusive_pixels_by_hand():
    # py-faster-rcnn's bbox.pyx: [0, 0, 0, 0] is one pixel, so its IoU with itself is 1 (not 0);
    # [0, 0, 3, 3] is 4 x 4 = 16 px and [2, 2, 5, 5] shares 2 x 2 = 4 of them: 4 / (16 + 16 - 4).
    iou = anchorlib.box_iou([[0, 0, 0, 0], [0, 0, 3, 3]], [[0, 0, 0, 0], [2, 2, 5, 5]],
                            inclusive=True)
    np.testing.assert_allclose(iou, [[1.0, 0.0], [1 / 16, 4 / 28]], rtol=0, atol=1e-15)


def test_iou_degenerate_boxes_are_zero_not_nan():
    iou = anchorlib.box_iou([[1, 1, 1, 1]], [[1, 1, 1, 1], [0, 0, 2, 2]])
    assert iou.tolist() == [[0.0, 0.0]]


def test_iou_empty_inputs_give_empty_matrix():
    assert anchorlib.box_iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)


# --- properties ---------------------------------------------------------------------------------

@given(xyxy_boxes(), st.sampled_from(anchorlib.BOX_FORMATS), st.sampled_from(anchorlib.BOX_FORMATS))
def test_convert_round_trip(boxes, fmt_a, fmt_b):
    there = anchorlib.box_convert(boxes, "xyxy", fmt_a)
    other = anchorlib.box_convert(there, fmt_a, fmt_b)
    back = anchorlib.box_convert(other, fmt_b, "xyxy")
    np.testing.assert_allclose(back, boxes, rtol=1e-9, atol=1e-9)


@given(xyxy_boxes(), xyxy_boxes())
def test_iou_symmetric_and_bounded(a, b):
    ab = anchorlib.box_iou(a, b)
    assert ab.shape == (len(a), len(b))
    np.testing.assert_allclose(ab, anchorlib.box_iou(b, a).T, rtol=1e-12, atol=1e-15)
    assert np.all(ab >= 0) and np.all(ab <= 1)


@given(xyxy_boxes())
def test_iou_with_itself_is_one(boxes):
    np.testing.assert_allclose(np.diag(anchorlib.box_iou(boxes, boxes)), 1.0, rtol=1e-12)


@given(
    xyxy_boxes(max_size=4), xyxy_boxes(max_size=4),
    st.floats(-500, 500), st.floats(-500, 500), st.floats(0.25, 4),
)
def test_iou_invariant_to_translating_and_scaling_both(a, b, dx, dy, factor):
    def move(boxes):
        return (boxes + [dx, dy, dx, dy]) * factor

    np.testing.assert_allclose(
        anchorlib.box_iou(move(a), move(b)), anchorlib.box_iou(a, b), rtol=1e-6, atol=1e-9
    )


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: anchorlib.box_convert([[0, 0, 1, 1]], "xyxy", "yolo"), ValueError, "out_fmt"),
        (lambda: anchorlib.box_convert([[0, 0, 1, 1]], "ltrb", "xyxy"), ValueError, "in_fmt"),
        (lambda: anchorlib.box_convert([[0, 0, -1, 1]], "xywh", "xyxy"), ValueError, "width"),
        (lambda: anchorlib.box_area([[0, 0, 1]]), ValueError, "shape (N, 4)"),
        (lambda: anchorlib.box_area([[2, 0, 1, 1]]), ValueError, "x2 >= x1"),
        (lambda: anchorlib.box_area([[0, 0, np.nan, 1]]), ValueError, "finite"),
        (lambda: anchorlib.box_area([[0, 0, np.inf, 1]]), ValueError, "finite"),
        (lambda: anchorlib.box_area("0 0 1 1"), TypeError, "boxes"),
        (lambda: anchorlib.box_area([["a", "b", "c", "d"]]), TypeError, "boxes"),
        (lambda: anchorlib.box_iou([[0, 0, 1, 1]], [[0, 5, 1, 1]]), ValueError, "boxes2"),
        (lambda: anchorlib.box_iou([[0, 0, 1, 1, 5]], [[0, 0, 1, 1]]), ValueError, "boxes1"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


# --- best_iou: the pruned, blocked reduction equals the full matrix's row maxima ----------------
# Expected values are box_iou's full matrix (an independent, unpruned computation); best_iou must
# equal it exactly, so any anchor the pruning wrongly skips (in x or in y) makes these fail.


@settings(max_examples=40, deadline=None)
@given(xyxy_boxes(1, 6), xyxy_boxes(1, 9), st.integers(1, 12))
def test_best_iou_equals_full_matrix(gt, anchors, max_pairs):
    # small max_pairs forces blocks of a single row and/or column
    expected = anchorlib.box_iou(gt, anchors).max(axis=1)
    np.testing.assert_array_equal(anchorlib.best_iou(gt, anchors, max_pairs=max_pairs), expected)


def test_best_iou_many_anchors_in_blocks():
    rng = np.random.default_rng(5)
    corners = rng.uniform(0, 500, (3000, 2))
    anchors = np.concatenate([corners, corners + rng.uniform(4, 80, (3000, 2))], axis=1)
    gt = anchors[rng.choice(3000, 40)] + rng.normal(0, 3, (40, 4)) * [1, 1, 0, 0]
    expected = anchorlib.box_iou(gt, anchors).max(axis=1)
    np.testing.assert_array_equal(anchorlib.best_iou(gt, anchors, max_pairs=1000), expected)


def test_best_iou_empty():
    assert anchorlib.best_iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0,)
    assert anchorlib.best_iou([[0, 0, 1, 1]], np.zeros((0, 4))).tolist() == [0.0]


@pytest.mark.parametrize("axis", ["x", "y"])
@pytest.mark.parametrize("max_pairs", [1, 7, 300, 2**14])
def test_best_iou_pruning_is_exact_at_touching_edges_and_across_sizes(max_pairs, axis):
    # The pruning skips anchors that cannot overlap a block of boxes in x or in y. Boxes that start
    # exactly where an anchor ends (x2 == x1', IoU 0), that end where one starts, that overlap one by
    # a single ulp, and anchors of sides from 1 to 1000 px along the axis (many width groups) must all
    # give exactly the full matrix's answer, by definition of best IoU. Built along x; for y the
    # coordinates are swapped.
    rng = np.random.default_rng(11)
    sides = 2.0 ** rng.uniform(0, 10, 400)
    x1 = rng.uniform(-500, 1500, 400)
    y1 = rng.uniform(0, 50, 400)
    anchors = np.stack([x1, y1, x1 + sides, y1 + rng.uniform(1, 60, 400)], axis=1)
    touching = anchors[:50].copy()
    touching[:, 0], touching[:, 2] = anchors[:50, 2], anchors[:50, 2] + 5  # starts where an anchor ends
    hair = anchors[50:100].copy()
    hair[:, 0] = np.nextafter(anchors[50:100, 2], -np.inf)  # overlaps by one ulp
    hair[:, 2] = hair[:, 0] + 3
    moved = anchors[100:150] + rng.normal(0, 20, (50, 4)) * [1, 1, 0, 0]
    before = anchors[150:200].copy()
    before[:, 2], before[:, 0] = anchors[150:200, 0], anchors[150:200, 0] - 7  # ends where one starts
    gt = np.concatenate([touching, hair, moved, before])
    gt[:, 2:] = np.maximum(gt[:, 2:], gt[:, :2])
    if axis == "y":
        gt, anchors = gt[:, [1, 0, 3, 2]], anchors[:, [1, 0, 3, 2]]
    own = anchorlib.box_iou(gt[:100], anchors[:100]).diagonal()  # each edge box with its own anchor
    assert (own[:50] == 0).all() and (own[50:] > 0).all()
    expected = anchorlib.box_iou(gt, anchors).max(axis=1)
    np.testing.assert_array_equal(anchorlib.best_iou(gt, anchors, max_pairs=max_pairs), expected)


def test_best_iou_on_a_detector_lattice_equals_full_matrix():
    # Many boxes (several strips and blocks) against a real preset's anchors, boxes partly outside
    # the image: exercises the sorting of boxes into strips by x and blocks by y.
    anchors = anchorlib.PRESETS["keras-retinanet"].anchors((128, 192))
    rng = np.random.default_rng(3)
    corners = rng.uniform(-40, 200, (300, 2))
    gt = np.concatenate([corners, corners + rng.uniform(1, 120, (300, 2))], axis=1)
    expected = anchorlib.box_iou(gt, anchors).max(axis=1)
    np.testing.assert_array_equal(anchorlib.best_iou(gt, anchors), expected)


def test_best_iou_degenerate_boxes_and_anchors_give_zero():
    # Zero-area boxes and anchors: their union can be 0 (0 / 0), and box_iou calls that IoU 0.
    gt = [[5, 5, 5, 5], [0, 0, 10, 0], [0, 0, 10, 10]]
    anchors = [[5, 5, 5, 5], [0, 0, 10, 0], [2, 2, 4, 4]]
    assert anchorlib.best_iou(gt, anchors).tolist() == [0.0, 0.0, 0.04]  # 4 / 100 by hand


@given(xyxy_boxes(1, 12, min_side=0.0), xyxy_boxes(1, 12, min_side=0.0), st.integers(1, 40))
def test_best_iou_equals_full_matrix_with_degenerate_boxes(gt, anchors, max_pairs):
    expected = anchorlib.box_iou(gt, anchors).max(axis=1)
    np.testing.assert_array_equal(anchorlib.best_iou(gt, anchors, max_pairs=max_pairs), expected)


def test_float32_iou_is_computed_in_float32():
    # [0, 0, 10, 3.9999999] inside [0, 0, 10, 10]: IoU 0.39999999 in float64; the float32 box is
    # [0, 0, 10, 4.0] (3.9999999 rounds to 4 in float32), so the float32 IoU is float32(0.4),
    # which is above 0.4 - as in torchvision, detectron2 and mmdet (tests/conformance goldens).
    box, anchor = [[0, 0, 10, 3.9999999]], [[0, 0, 10, 10]]
    assert anchorlib.box_iou(anchor, box)[0, 0] < 0.4
    iou32 = anchorlib.box_iou(anchor, box, dtype="float32")[0, 0]  # float64 holding a float32
    assert iou32 == float(np.float32(0.4)) and iou32 > 0.4
    with pytest.raises(ValueError, match="dtype must be"):
        anchorlib.box_iou(anchor, box, dtype="float16")
