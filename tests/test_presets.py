"""Tests of the library-specific rounding in anchorlib.presets."""

import numpy as np
import pytest

import anchorlib


def test_py_faster_rcnn_matches_its_documented_array():
    # rbgirshick/py-faster-rcnn lib/rpn/generate_anchors.py @781a917 prints, in its header comment, the
    # anchors for base 16, ratios (0.5, 1, 2), scales (8, 16, 32) as a 1-based MATLAB array. The Python
    # code returns 0-based indices: exactly that array minus 1.
    documented_one_based = np.array([
        [-83, -39, 100, 56], [-175, -87, 192, 104], [-359, -183, 376, 200],
        [-55, -55, 72, 72], [-119, -119, 136, 136], [-247, -247, 264, 264],
        [-35, -79, 52, 96], [-79, -167, 96, 184], [-167, -343, 184, 360],
    ])
    np.testing.assert_array_equal(anchorlib.py_faster_rcnn_base_anchors(), documented_one_based - 1)


def test_py_faster_rcnn_184_by_96():
    # By hand: round(sqrt(256 / 0.5)) = round(22.63) = 23, round(23 * 0.5) = round(11.5) = 12 (half to
    # even), times scale 8: 184 x 96 inclusive pixels.
    x1, y1, x2, y2 = anchorlib.py_faster_rcnn_base_anchors(16, [0.5], [8])[0]
    assert (x2 - x1 + 1, y2 - y1 + 1) == (184, 96)
    assert (x1 + x2) / 2 == 7.5  # centre of the reference window [0, 15]


def test_torchvision_rounds_corners():
    # Verified by running torchvision 0.29.1 (AnchorGenerator(((32, 40, 50),), ((0.5, 1.0, 2.0),))):
    # P3 cell anchors have (w, h) (46,22) (56,28) (70,36) (32,32) (40,40) (50,50) (22,46) (28,56) (36,70).
    boxes = anchorlib.torchvision_base_anchors([32, 40, 50], [0.5, 1, 2])
    wh = boxes[:, 2:] - boxes[:, :2]
    expected = [[46, 22], [56, 28], [70, 36], [32, 32], [40, 40], [50, 50], [22, 46], [28, 56], [36, 70]]
    np.testing.assert_array_equal(wh, expected)


def test_torchvision_half_to_even():
    # Corners of a 101-pixel square are +-50.5; torch.round rounds half to even: +-50, so width 100.
    assert anchorlib.torchvision_base_anchors([101], [1]).tolist() == [[-50, -50, 50, 50]]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: anchorlib.torchvision_base_anchors([0], [1]), ValueError, "sizes must all be positive"),
        (lambda: anchorlib.torchvision_base_anchors([32], [-1]), ValueError, "ratios must all be positive"),
        (lambda: anchorlib.py_faster_rcnn_base_anchors(0), ValueError, "base_size must be positive"),
        (lambda: anchorlib.py_faster_rcnn_base_anchors(16, [1], [np.nan]), ValueError, "scales must be finite"),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()
