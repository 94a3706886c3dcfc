"""Tests of anchorlib.yolo: YOLOv5's defaults, grid, decode and target assignment.

Expected values are derived by hand from the formulas of ultralytics/yolov5 (models/yolo.py
``Detect``, utils/loss.py ``ComputeLoss.build_targets``, commit 5081342), or by an independent
re-implementation in exact rational arithmetic (``_reference_assign``). Bit-exactness against the
real YOLOv5 is tested separately, on golden vectors: tests/conformance/test_yolov5.py.
"""

from fractions import Fraction
from math import floor

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import anchorlib
from anchorlib import YOLOV5_ANCHORS, YOLOV5_STRIDES, yolov5_assign, yolov5_decode, yolov5_grid


def test_defaults_are_yolov5s_yaml():
    # models/yolov5s.yaml: anchors [10,13, 16,30, 33,23], [30,61, 62,45, 59,119], [116,90, 156,198, 373,326]
    assert YOLOV5_ANCHORS.reshape(3, 6).tolist() == [
        [10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]
    ]
    assert YOLOV5_ANCHORS.dtype == np.float32 and YOLOV5_STRIDES == (8, 16, 32)
    with pytest.raises(ValueError):
        YOLOV5_ANCHORS[0, 0, 0] = 1  # read-only: the defaults cannot be changed by accident


# --- grid ----------------------------------------------------------------------------------------

def test_grid_holds_the_half_cell_offset_and_the_anchor_sizes():
    grid, anchor_grid = yolov5_grid((3, 4), 16, YOLOV5_ANCHORS[1])
    assert grid.shape == anchor_grid.shape == (3, 3, 4, 2)
    rows, cols = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
    np.testing.assert_array_equal(grid[2, ..., 0], cols - 0.5)
    np.testing.assert_array_equal(grid[2, ..., 1], rows - 0.5)
    assert anchor_grid[1, 2, 3].tolist() == [62.0, 45.0]


def test_grid_anchor_round_trip_through_the_stride_is_float32():
    # YOLOv5 stores anchors / stride and multiplies back: for stride 3 and anchor 10, float32(10/3)*3
    # is 10.000000 exactly? float32(10/3) = 3.3333333 (rounded down) times 3 rounds back to 10.
    _, anchor_grid = yolov5_grid((1, 1), 3, [[10, 7]])
    expected = (np.float32(10) / np.float32(3)) * np.float32(3), (np.float32(7) / np.float32(3)) * np.float32(3)
    assert anchor_grid[0, 0, 0].tolist() == [float(v) for v in expected]


# --- decode --------------------------------------------------------------------------------------

def test_decode_range_of_centres_and_sizes():
    # sigmoid -> 1: centre (col + 1.5) * stride, size 4 * anchor; sigmoid -> 0: centre (col - 0.5) * stride.
    raw = np.zeros((3, 1, 2, 4))
    raw[0, 0, 1] = [40, 40, 40, 40]
    raw[1, 0, 1] = [-40, -40, -40, -40]
    boxes = yolov5_decode(raw, 32, YOLOV5_ANCHORS[2])
    assert boxes[0, 0, 1].tolist() == [(1 + 1.5) * 32, 1.5 * 32, 4 * 116, 4 * 90]
    assert boxes[1, 0, 1, :2].tolist() == [(1 - 0.5) * 32, -0.5 * 32]
    assert 0 < boxes[1, 0, 1, 2] < 1e-30  # (2 * sigmoid(-40))**2 * 156
    assert boxes[2, 0, 0].tolist() == [16.0, 16.0, 373.0, 326.0]  # zero outputs: centred, anchor-sized


def test_decode_equals_the_v6_1_form_in_real_arithmetic():
    # Up to v6.1 (models/yolo.py): xy = (2 * s - 0.5 + grid) * stride with grid = (col, row).
    rng = np.random.default_rng(0)
    raw = rng.normal(0, 2, size=(3, 5, 7, 4))
    s = 1 / (1 + np.exp(-raw))
    cols, rows = np.meshgrid(np.arange(7), np.arange(5))
    old_x = (2 * s[..., 0] - 0.5 + cols) * 8
    old_y = (2 * s[..., 1] - 0.5 + rows) * 8
    boxes = yolov5_decode(raw, 8, YOLOV5_ANCHORS[0]).astype(np.float64)
    np.testing.assert_allclose(boxes[..., 0], old_x, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(boxes[..., 1], old_y, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(boxes[..., 2], (2 * s[..., 2]) ** 2 * YOLOV5_ANCHORS[0, :, None, None, 0], rtol=1e-6)


# --- assignment, by hand -------------------------------------------------------------------------

def _box(cx, cy, w, h, size=640):
    return [[cx / size, cy / size, w / size, h / size]]


def test_side_ratio_of_exactly_anchor_t_is_not_a_match():
    # P3 anchor 10 x 13 (stride 8): a 40-px-wide box has r = 4 (not < 4); 39 px has r = 3.9.
    for width, matched in ((40, False), (39, True)):
        targets = yolov5_assign(_box(100, 100, width, 13), (640, 640))
        p3_anchor0 = (targets.level == 0) & (targets.anchor == 0)
        assert p3_anchor0.any() == matched, width
    # and from below: 2.5 px is a quarter of 10 (1/r = 4, no match), 2.6 px matches
    for width, matched in ((2.5, False), (2.6, True)):
        targets = yolov5_assign(_box(100, 100, width, 13), (640, 640))
        assert ((targets.level == 0) & (targets.anchor == 0)).any() == matched, width


def test_anchor_t_is_configurable():
    box = _box(100, 100, 30, 13)  # width ratio 3 against 10 x 13
    assert ((yolov5_assign(box, (640, 640)).level == 0) & (yolov5_assign(box, (640, 640)).anchor == 0)).any()
    strict = yolov5_assign(box, (640, 640), anchor_t=3.0)
    assert not ((strict.level == 0) & (strict.anchor == 0)).any()


@pytest.mark.parametrize(
    ("cx", "cy", "neighbours", "cells"),
    [
        # P5 of a 640 input (stride 32): centre (100, 300) is cell (9, 3) at fractions (0.125, 0.375):
        # left half and upper half -> own, left, above.
        (100, 300, [0, 1, 2], [(9, 3), (9, 2), (8, 3)]),
        # (120, 310): fractions (0.75, 0.6875): right and lower half -> own, right, below.
        (120, 310, [0, 3, 4], [(9, 3), (9, 4), (10, 3)]),
        # (40, 20): x is 1.25 cells, left half and more than one cell in -> left neighbour; y is 0.625
        # cells: lower half -> below (no neighbour above the first row anyway).
        (40, 20, [0, 1, 4], [(0, 1), (0, 0), (1, 1)]),
        # (20, 12): x 0.625, y 0.375 cells: left/upper halves, but within one cell of the border -> none
        # there; right: 20 - 0.625 = 19.375 (fraction 0.375 < 0.5) -> right neighbour.
        (20, 12, [0, 3], [(0, 0), (0, 1)]),
    ],
)
def test_neighbouring_cells_follow_the_half_cell_rule(cx, cy, neighbours, cells):
    targets = yolov5_assign(_box(cx, cy, 150, 150), (640, 640))
    p5 = (targets.level == 2) & (targets.anchor == 0)  # 116 x 90 matches a 150-px square on P5
    assert targets.neighbour[p5].tolist() == neighbours
    assert list(zip(targets.row[p5].tolist(), targets.col[p5].tolist())) == cells
    own = targets.xy[p5][0]
    assert own.tolist() == [cx / 32 - cells[0][1], cy / 32 - cells[0][0]]


def test_a_centre_on_a_cell_corner_gets_its_own_cell_three_times():
    # x = y = 320 px is 10.0 cells on P5: fraction 0 < 0.5 passes "left" and "above", and the distance
    # to the far border (10.0, fraction 0) passes "right" and "below", whose cells are 10 + 0.5 -> 10.
    targets = yolov5_assign(_box(320, 320, 150, 150), (640, 640))
    p5 = (targets.level == 2) & (targets.anchor == 0)
    cells = list(zip(targets.row[p5].tolist(), targets.col[p5].tolist()))
    assert cells == [(10, 10), (10, 9), (9, 10), (10, 10), (10, 10)]


def test_a_centre_on_the_image_border_is_clipped_into_the_last_cell():
    targets = yolov5_assign([[1.0, 0.5, 0.2, 0.2]], (320, 320))
    own = (targets.level == 2) & (targets.neighbour == 0)
    assert targets.col[own].tolist() == [9] * own.sum()  # 10 cells wide: col 10 clipped to 9
    assert targets.xy[own, 0].tolist() == [1.0] * own.sum()  # the offset from the clipped cell


def test_no_boxes_no_targets():
    targets = yolov5_assign(np.zeros((0, 4)), (64, 64))
    assert len(targets) == 0 and targets.xy.shape == (0, 2)


def test_non_square_images_give_non_square_grids():
    # 320 x 640 (height x width): P3 has 40 rows and 80 columns. A centre at (630, 10) px is cell
    # (1.25, 78.75): upper half, more than a cell from the top -> above; right half with 1.25 cells
    # to the right border -> right.
    targets = yolov5_assign([[630 / 640, 10 / 320, 40 / 640, 40 / 320]], (320, 640))
    p3 = targets.level == 0
    assert set(zip(targets.row[p3].tolist(), targets.col[p3].tolist())) == {(1, 78), (0, 78), (1, 79)}


# --- assignment, against an independent exact re-implementation -------------------------------

def _reference_assign(boxes_px, height, width, anchors, strides, anchor_t=4):
    """YOLOv5's rule written from its description, in exact rationals: a multiset of positives."""
    found = []
    for level, (level_anchors, stride) in enumerate(zip(anchors, strides)):
        rows, cols = height // stride, width // stride
        for a, (aw, ah) in enumerate(level_anchors):
            for b, (cx, cy, w, h) in enumerate(boxes_px):
                ratios = [Fraction(w) / Fraction(int(aw)), Fraction(h) / Fraction(int(ah))]
                if max(max(r, 1 / r) for r in ratios) >= anchor_t:
                    continue
                gx, gy = Fraction(cx) / stride, Fraction(cy) / stride
                cells = [(gy, gx)]
                if gx % 1 < Fraction(1, 2) and gx > 1:
                    cells.append((gy, gx - Fraction(1, 2)))
                if gy % 1 < Fraction(1, 2) and gy > 1:
                    cells.append((gy - Fraction(1, 2), gx))
                if (cols - gx) % 1 < Fraction(1, 2) and cols - gx > 1:
                    cells.append((gy, gx + Fraction(1, 2)))
                if (rows - gy) % 1 < Fraction(1, 2) and rows - gy > 1:
                    cells.append((gy + Fraction(1, 2), gx))
                for y, x in cells:
                    found.append((level, a, b, min(floor(y), rows - 1), min(floor(x), cols - 1)))
    return sorted(found)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 512), st.integers(0, 256), st.integers(1, 512), st.integers(1, 256)),
                min_size=1, max_size=6))
def test_assignment_matches_an_exact_reference(boxes_px):
    # A 256 x 512 input: every pixel coordinate divided by the size, and times the grid size, is exact
    # in float32, so float32 and rational arithmetic must agree on every comparison.
    height, width = 256, 512
    normalized = np.array(boxes_px, dtype=float) / [width, height, width, height]
    targets = yolov5_assign(normalized, (height, width))
    mine = sorted(zip(targets.level.tolist(), targets.anchor.tolist(), targets.box.tolist(),
                      targets.row.tolist(), targets.col.tolist()))
    assert mine == _reference_assign(boxes_px, height, width, YOLOV5_ANCHORS.tolist(), YOLOV5_STRIDES)


# --- input validation ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        (lambda: yolov5_assign([[0.5, 1.2, 0.1, 0.1]], (640, 640)), ValueError, "boxes"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.0, 0.1]], (640, 640)), ValueError, "boxes"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.1]], (640, 640)), ValueError, "boxes"),
        (lambda: yolov5_assign("boxes", (640, 640)), TypeError, "boxes"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.1, 0.1]], (640, 100)), ValueError, "image_shape"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.1, 0.1]], (640, 0)), ValueError, "image_shape"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.1, 0.1]], (640, 640), anchor_t=1.0), ValueError, "anchor_t"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.1, 0.1]], (640, 640), strides=(8, 16)), ValueError, "strides"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.1, 0.1]], (640, 640), strides=8), TypeError, "strides"),
        (lambda: yolov5_assign([[0.5, 0.5, 0.1, 0.1]], (640, 640), anchors=[[10, 13]]), ValueError, "anchors"),
        (lambda: yolov5_decode(np.zeros((2, 2, 2, 4)), 8, YOLOV5_ANCHORS[0]), ValueError, "raw"),
        (lambda: yolov5_decode(np.zeros((3, 2, 2, 4)), -8, YOLOV5_ANCHORS[0]), ValueError, "stride"),
        (lambda: yolov5_grid((2, 0), 8, YOLOV5_ANCHORS[0]), ValueError, "feature_shape"),
        (lambda: yolov5_grid(4, 8, YOLOV5_ANCHORS[0]), TypeError, "feature_shape"),
        (lambda: yolov5_grid((2, 2), 8, [[10, -1]]), ValueError, "anchors"),
    ],
)
def test_bad_input_names_the_argument(call, error, argument):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert argument in message and "\n" not in message


def test_public_surface():
    for name in ("YOLOV5_ANCHORS", "YOLOV5_STRIDES", "Yolov5Targets", "yolov5_assign", "yolov5_decode", "yolov5_grid"):
        assert name in anchorlib.__all__
