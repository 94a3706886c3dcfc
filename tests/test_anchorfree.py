"""Tests of anchorlib.anchorfree: FCOS's points and positives, YOLOX's centre prior.

Expected values are worked out by hand from the upstream lines each test cites (tianzhi0549/FCOS
``fcos_core/modeling/rpn/fcos/loss.py`` and ``fcos.py`` @a773f12; Megvii-BaseDetection/YOLOX
``yolox/models/yolo_head.py`` @6ddff48), with coordinates chosen so that every comparison is exact.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from anchorlib.anchorfree import FCOS_SIZE_RANGES, fcos_assign, fcos_points, yolox_candidates

# --- points -----------------------------------------------------------------------------------


def test_fcos_points_sit_at_j_stride_plus_half_stride_rounded_down():
    # fcos.py compute_locations_per_level: arange(0, w * stride, stride) + stride // 2.
    assert fcos_points([(1, 3)], strides=[8]).tolist() == [[4, 4], [12, 4], [20, 4]]
    # An odd stride shows the floor: 7 // 2 = 3, not 3.5.
    assert fcos_points([(2, 1)], strides=[7]).tolist() == [[3, 3], [3, 10]]


def test_fcos_points_are_row_major_and_level_by_level():
    points = fcos_points([(2, 2), (1, 1)], strides=[8, 16])
    assert points.tolist() == [[4, 4], [12, 4], [4, 12], [12, 12], [8, 8]]


def test_fcos_points_refuse_mismatched_levels():
    with pytest.raises(ValueError, match="same length"):
        fcos_points([(2, 2)], strides=[8, 16])


# --- FCOS: inside the box, and the level's size range ----------------------------------------

P3 = fcos_points([(5, 5)], strides=[8])  # x, y in {4, 12, 20, 28, 36}


def test_every_point_strictly_inside_is_positive_on_the_right_level():
    # compute_targets_for_locations: is_in_boxes = reg_targets.min(dim=2) > 0; the largest side
    # distance of [0, 0, 40, 40] from a point in {4, ..., 36} is at most 36, within P3's [-1, 64].
    labels, matched = fcos_assign(P3, [[0, 0, 40, 40]], [25], strides=[8])
    assert labels.sum() == 25 and set(matched.tolist()) == {0}


def test_a_point_on_the_border_is_not_inside():
    # [0, 0, 36, 40]: the points at x = 36 have r = 0, not > 0, so the last column (5 points) drops.
    labels, _ = fcos_assign(P3, [[0, 0, 36, 40]], [25], strides=[8])
    assert labels.sum() == 20
    assert labels.reshape(5, 5)[:, 4].tolist() == [0] * 5


def test_a_box_too_small_for_the_level_gets_nothing_there():
    # The same 40-px box seen by P4's points (8, 24): max(l, t, r, b) = 32 at (8, 8), below P4's
    # lower bound 64, so no positive on P4.
    points = fcos_points([(2, 2)], strides=[16])
    labels, _ = fcos_assign(points, [[0, 0, 40, 40]], [4], strides=[16], size_ranges=[FCOS_SIZE_RANGES[1]])
    assert labels.sum() == 0


@pytest.mark.parametrize("right, on_p3, on_p4", [(68.0, 1, 1), (68.5, 0, 1), (67.5, 1, 0)])
def test_size_ranges_are_closed_at_both_ends(right, on_p3, on_p4):
    # is_cared_in_the_level = (max >= low) & (max <= high): a largest distance of exactly 64 is
    # cared for by P3 [-1, 64] and by P4 [64, 128]. The point (4, 4) in [0, 0, right, right] has
    # r = b = right - 4: 64, 64.5 or 63.5.
    points = [[4.0, 4.0], [4.0, 4.0]]  # the same location, once as a P3 and once as a P4 point
    labels, _ = fcos_assign(points, [[0, 0, right, right]], [1, 1], strides=[8, 16],
                            size_ranges=FCOS_SIZE_RANGES[:2])
    assert labels.tolist() == [on_p3, on_p4]


def test_an_ambiguous_point_goes_to_the_smaller_box_whatever_the_order():
    # "if there are still more than one objects for a location, we choose the one with minimal area"
    big, small = [0, 0, 40, 40], [8, 8, 24, 24]  # areas 1600 and 256; both contain (12, 12)
    for boxes, small_index in (([big, small], 1), ([small, big], 0)):
        labels, matched = fcos_assign(P3, boxes, [25], strides=[8])
        assert matched[6] == small_index  # point 6 is (12, 12)
        assert labels[0] == 1 and matched[0] == 1 - small_index  # (4, 4) is only in the big box


def test_equal_areas_go_to_the_lower_index():
    # torch.min over the area row returns the first minimum on CPU; numpy.argmin does the same.
    labels, matched = fcos_assign(P3, [[0, 0, 20, 20], [4, 4, 24, 24]], [25], strides=[8])
    assert matched[6] == 0  # (12, 12) lies in both 400-px^2 boxes


def test_centre_sampling_keeps_points_within_radius_strides_of_the_centre():
    # get_sample_region: [cx - 1.5 s, cx + 1.5 s] = [8, 32] for the centre 20 on stride 8; strictly
    # inside are 12, 20, 28 along each axis: 3 x 3 = 9 positives.
    labels, _ = fcos_assign(P3, [[0, 0, 40, 40]], [25], strides=[8], center_radius=1.5)
    assert labels.reshape(5, 5)[1:4, 1:4].all() and labels.sum() == 9


def test_centre_region_is_clipped_to_the_box():
    # A narrow box [0, 0, 10, 100] on stride 8: x-region [5 - 12, 5 + 12] clipped to [0, 10] keeps
    # x = 4 only; y-region [38, 62] keeps y = 44, 52, 60: three positives.
    points = fcos_points([(13, 2)], strides=[8])
    labels, _ = fcos_assign(points, [[0, 0, 10, 100]], [26], strides=[8], size_ranges=[(-1, 1e8)],
                            center_radius=1.5)
    assert points[labels == 1].tolist() == [[4, 44], [4, 52], [4, 60]]


def test_no_box_means_no_positive():
    labels, matched = fcos_assign(P3, np.zeros((0, 4)), [25], strides=[8])
    assert labels.sum() == 0 and (matched == -1).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(1, 40), st.integers(1, 40)),
                min_size=1, max_size=4))
def test_centre_sampling_only_removes_positives(raw):
    # The centre region is clipped to the box, so it is a subset of the box: every positive with
    # centre sampling is a positive without it.
    boxes = [[x, y, x + w, y + h] for x, y, w, h in raw]
    plain, _ = fcos_assign(P3, boxes, [25], strides=[8])
    sampled, _ = fcos_assign(P3, boxes, [25], strides=[8], center_radius=1.5)
    assert np.all(plain >= sampled)


@pytest.mark.parametrize("kwargs, message", [
    (dict(points_per_level=[24]), "add up"),
    (dict(points_per_level=[20, 5]), "levels"),
    (dict(center_radius=-1), "center_radius"),
    (dict(size_ranges=[(0, 64, 128)]), "size_ranges"),
])
def test_fcos_assign_names_the_bad_argument(kwargs, message):
    arguments = dict(points=P3, gt_boxes=[[0, 0, 40, 40]], points_per_level=[25], strides=[8])
    with pytest.raises(ValueError, match=message):
        fcos_assign(**{**arguments, **kwargs})


def test_fcos_assign_refuses_points_of_the_wrong_shape():
    with pytest.raises(ValueError, match="points must have shape"):
        fcos_assign([[1, 2, 3]], [[0, 0, 4, 4]], [1], strides=[8])


# --- YOLOX ------------------------------------------------------------------------------------


def test_yolox_candidates_are_strictly_within_one_and_a_half_strides_of_the_centre():
    # get_geometry_constraint: centres (x_shifts + 0.5) * stride; c_l = x - (cx - 1.5 s) > 0 and
    # c_r = (cx + 1.5 s) - x > 0, likewise in y. Box centre (20, 20), stride 8: |x - 20| < 12 keeps
    # 12, 20, 28; on stride 16 (points 8, 24, 40) |x - 20| < 24 keeps 8, 24, 40 along each axis.
    p3 = fcos_points([(5, 5)], strides=[8])
    p4 = np.array([[x, y] for y in (8, 24, 40) for x in (8, 24, 40)], dtype=float)
    points = np.concatenate([p3, p4])
    strides = [8] * 25 + [16] * 9
    candidate = yolox_candidates(points, [[10, 10, 30, 30]], strides)[:, 0]
    assert candidate[:25].reshape(5, 5)[1:4, 1:4].all() and candidate[:25].sum() == 9
    assert candidate[25:].all()


def test_yolox_candidates_ignore_the_box_size():
    # The prior is a square around the centre: a huge box and a tiny box with the same centre have
    # the same candidates.
    points = fcos_points([(5, 5)], strides=[8])
    candidates = yolox_candidates(points, [[19, 19, 21, 21], [-500, -500, 540, 540]], [8] * 25)
    assert (candidates[:, 0] == candidates[:, 1]).all()


def test_yolox_candidates_check_their_arguments():
    with pytest.raises(ValueError, match="point_strides"):
        yolox_candidates([[4, 4]], [[0, 0, 8, 8]], [8, 8])
    with pytest.raises(ValueError, match="radius"):
        yolox_candidates([[4, 4]], [[0, 0, 8, 8]], [8], radius=0)
