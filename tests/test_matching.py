"""Tests of anchorlib.matching: each library's label assignment at its boundaries, and ATSS.

Expected labels are read off the upstream code (file and lines cited in each test), with IoUs chosen
so that the division is exact: an intersection of 40 over a union of 100 is the float 0.4.
"""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import anchorlib
from anchorlib.matching import ASSIGNMENT_RULES

from strategies import xyxy_boxes

RULES = tuple(ASSIGNMENT_RULES)
LOW_QUALITY_RULES = ("torchvision", "detectron2", "mmdet", "py-faster-rcnn")

# A box and two anchors: anchor 0 is the box itself (IoU 1, so the box's best anchor is always
# anchor 0 and the low-quality step leaves anchor 1 alone); anchor 1 is a 10 x 10 square.
SQUARE = [0, 0, 10, 10]


def boundary_case(height, rule="torchvision"):
    """Anchors [box, square] and boxes [box] with IoU(square, box) = height / 10 exactly.

    Continuous pixels: SQUARE and [0, 0, 10, height] overlap in 10 * height of 100 px.
    py-faster-rcnn counts pixels inclusively, so there the square is [0, 0, 9, 9] (10 x 10 px) and
    the box [0, 0, 9, height - 1] (10 x height px).
    """
    if rule == "py-faster-rcnn":
        box, square = [0, 0, 9, height - 1], [0, 0, 9, 9]
    else:
        box, square = [0, 0, 10, height], SQUARE
    return [box, square], [box]


# --- exactly at the thresholds (RetinaNet thresholds 0.5 / 0.4 for every rule) -------------------

# keras-retinanet compute_gt_annotations L144-145 @7ac91df: ignore = (max > 0.4) & ~positive, so
# 0.4 is negative.  torchvision Matcher.__call__ @0d7913d: between = (>= low) & (< high), so 0.4 is
# BETWEEN_THRESHOLDS (ignored).  detectron2 matcher.py L97-99 @02b5c4e: [0.4, 0.5) -> label -1.
# mmdet assign_wrt_overlaps @d4ccf31: negative only if 0 <= max < 0.4, default -1 stays.
# py-faster-rcnn anchor_target_layer.py L144 @781a917: negative only if max < neg.
AT_0_4 = {"keras-retinanet": 0, "torchvision": -1, "detectron2": -1, "mmdet": -1,
          "py-faster-rcnn": -1}


@pytest.mark.parametrize("rule", RULES)
def test_iou_exactly_0_4(rule):
    anchors, boxes = boundary_case(4, rule)
    iou = anchorlib.box_iou(anchors, boxes, inclusive=rule == "py-faster-rcnn")
    assert iou[1, 0] == 0.4
    thresholds = {"positive_iou": 0.5, "negative_iou": 0.4}
    labels, matched = anchorlib.assign(anchors, boxes, rule=rule, **thresholds)
    assert labels.tolist() == [1, AT_0_4[rule]]
    assert matched.tolist() == [0, -1]


@pytest.mark.parametrize("rule", RULES)
def test_iou_exactly_0_5_is_positive_everywhere(rule):
    # All five compare with >= (keras-retinanet L144, torchvision `>= high`, detectron2 [0.5, inf),
    # mmdet `max_overlaps >= pos_iou_thr`, py-faster-rcnn L150).
    anchors, boxes = boundary_case(5, rule)
    labels, matched = anchorlib.assign(anchors, boxes, rule=rule, positive_iou=0.5,
                                       negative_iou=0.4)
    assert labels.tolist() == [1, 1]
    assert matched.tolist() == [0, 0]


@pytest.mark.parametrize("rule", RULES)
def test_just_inside_the_ignore_band(rule):
    # IoU 0.45 is ignored by every rule.
    anchors, boxes = boundary_case(4.5, rule)
    labels, _ = anchorlib.assign(anchors, boxes, rule=rule, positive_iou=0.5, negative_iou=0.4)
    assert labels.tolist() == [1, -1]


def test_py_faster_rcnn_defaults_with_inclusive_iou():
    # RPN_POSITIVE_OVERLAP 0.7, RPN_NEGATIVE_OVERLAP 0.3 (config.py L102-104).  In py-faster-rcnn's
    # inclusive pixels [0, 0, 9, 9] is 10 x 10 = 100 px; [0, 0, 9, 2] is 10 x 3 = 30 px: IoU 0.3,
    # which is not < 0.3, so ignored (L144).  [0, 0, 9, 6] is 70 px: IoU 0.7, positive (L150).
    anchor = [0, 0, 9, 9]
    low, high = [0, 0, 9, 2], [0, 0, 9, 6]
    assert anchorlib.box_iou([anchor], [low], inclusive=True)[0, 0] == 0.3
    labels, _ = anchorlib.assign([low, anchor], [low], rule="py-faster-rcnn")
    assert labels.tolist() == [1, -1]
    labels, _ = anchorlib.assign([high, anchor], [high], rule="py-faster-rcnn")
    assert labels.tolist() == [1, 1]
    # With continuous pixels the same boxes have IoU 18 / 81 = 2/9 and 54 / 81 = 2/3 instead: the
    # first would be negative and the second ignored.
    np.testing.assert_allclose(anchorlib.box_iou([anchor], [low, high]), [[2 / 9, 2 / 3]])


# --- a box no anchor reaches at the positive threshold --------------------------------------------

@pytest.mark.parametrize("rule", RULES)
def test_box_whose_best_iou_is_below_the_positive_threshold(rule):
    # Best IoU 0.45 (anchor 0), anchor 1 disjoint.  keras-retinanet adds no best-anchor match
    # (compute_gt_annotations L139-147 has none), so the box gets no positive anchor at all; the four
    # others make anchor 0 positive (torchvision set_low_quality_matches_, detectron2 L121-127,
    # mmdet min_pos_iou=0 step 4, py-faster-rcnn L137-147).
    anchors = [SQUARE, [20, 0, 30, 10]]
    boxes = [[0, 0, 10, 4.5]]
    if rule == "py-faster-rcnn":  # the same pixels, counted inclusively: IoU 45 / 100
        anchors, boxes = [[0, 0, 9, 9], [20, 0, 29, 9]], [[0, 0, 9, 3.5]]
    labels, matched = anchorlib.assign(anchors, boxes, rule=rule, positive_iou=0.5,
                                       negative_iou=0.4)
    if rule == "keras-retinanet":
        assert labels.tolist() == [-1, 0] and matched.tolist() == [-1, -1]
    else:
        assert labels.tolist() == [1, 0] and matched.tolist() == [0, -1]


@pytest.mark.parametrize("rule", LOW_QUALITY_RULES)
def test_low_quality_matches_include_ties(rule):
    # The box [5, 0, 15, 10] overlaps both squares by 50 px: IoU 50 / 150 = 1/3 each, a tie.
    # torchvision/detectron2 use `quality == highest[:, None]` (all ties), mmdet
    # gt_max_assign_all=True, py-faster-rcnn `np.where(overlaps == gt_max_overlaps)` (L140).
    anchors = [SQUARE, [10, 0, 20, 10], [30, 0, 40, 10]]
    labels, matched = anchorlib.assign(anchors, [[5, 0, 15, 10]], rule=rule)
    assert labels.tolist() == [1, 1, 0]
    assert matched.tolist() == [0, 0, -1]


@pytest.mark.parametrize("rule", LOW_QUALITY_RULES)
def test_box_overlapping_no_anchor_makes_every_zero_iou_anchor_positive(rule):
    # The highest IoU of a far-away box is 0, and every anchor "ties" at 0: all become positive,
    # matched to their own best box (index 0 on a tie of zeros) - or, in mmdet, to the box.
    anchors = [SQUARE, [20, 0, 30, 10]]
    labels, matched = anchorlib.assign(anchors, [[100, 100, 110, 110]], rule=rule)
    assert labels.tolist() == [1, 1]
    assert matched.tolist() == [0, 0]
    labels, _ = anchorlib.assign(anchors, [[100, 100, 110, 110]], rule="keras-retinanet")
    assert labels.tolist() == [0, 0]


def test_mmdet_rematches_a_shared_best_anchor_to_the_later_box():
    # The example in mmdet's own comment (assign_wrt_overlaps, step 4): one anchor, IoU 0.9 with
    # box 0 and 0.8 with box 1; it is the best anchor of both, and the loop over boxes leaves it
    # matched to box 1.  torchvision and detectron2 keep its own best box, 0.
    anchors = [SQUARE]
    boxes = [[0, 0, 10, 9], [0, 0, 10, 8]]
    assert anchorlib.assign(anchors, boxes, rule="mmdet")[1].tolist() == [1]
    assert anchorlib.assign(anchors, boxes, rule="torchvision")[1].tolist() == [0]
    assert anchorlib.assign(anchors, boxes, rule="detectron2")[1].tolist() == [0]
    assert anchorlib.assign(anchors, boxes, rule="py-faster-rcnn")[1].tolist() == [0]


def test_mmdet_min_pos_iou():
    # Best IoU 0.2: added with min_pos_iou 0 (RetinaNet config), not with 0.3 (RPN config).
    anchors, boxes = [SQUARE], [[0, 0, 10, 2]]
    assert anchorlib.assign(anchors, boxes, rule="mmdet")[0].tolist() == [1]
    assert anchorlib.assign(anchors, boxes, rule="mmdet", min_pos_iou=0.3)[0].tolist() == [0]


def test_py_faster_rcnn_best_anchor_overrides_negative():
    # RPN_CLOBBER_POSITIVES = False: negatives are written first (L144), then each box's best
    # anchor (L147), so a best anchor with IoU 20 / 100 = 0.2 < 0.3 ends up positive.
    labels, _ = anchorlib.assign([[0, 0, 9, 9]], [[0, 0, 9, 1]], rule="py-faster-rcnn")
    assert labels.tolist() == [1]
    labels, _ = anchorlib.assign([[0, 0, 9, 9]], [[0, 0, 9, 1]], rule="py-faster-rcnn",
                                 allow_low_quality=False)
    assert labels.tolist() == [0]


def test_no_boxes_means_all_negative():
    for rule in RULES:
        labels, matched = anchorlib.assign([SQUARE], np.zeros((0, 4)), rule=rule)
        assert labels.tolist() == [0] and matched.tolist() == [-1]


def test_defaults_are_the_libraries_retinanet_and_rpn_thresholds():
    assert ASSIGNMENT_RULES["keras-retinanet"] == (0.5, 0.4, False)
    assert ASSIGNMENT_RULES["torchvision"] == (0.5, 0.4, True)
    assert ASSIGNMENT_RULES["py-faster-rcnn"] == (0.7, 0.3, True)


# --- properties ---------------------------------------------------------------------------------

@given(xyxy_boxes(max_size=12, min_side=1), xyxy_boxes(max_size=4, min_side=1),
       st.sampled_from(RULES))
def test_labels_and_matches_are_consistent(anchors, boxes, rule):
    labels, matched = anchorlib.assign(anchors, boxes, rule=rule)
    assert set(labels.tolist()) <= {-1, 0, 1}
    assert np.array_equal(matched >= 0, labels == 1)
    assert np.all(matched < len(boxes))
    iou = anchorlib.box_iou(anchors, boxes, inclusive=rule == "py-faster-rcnn")
    if rule in LOW_QUALITY_RULES:  # every box's best anchors are positive
        for column in iou.T:
            assert np.all(labels[column == column.max()] == 1)
    else:  # keras-retinanet: positive exactly when the best IoU reaches 0.5
        assert np.array_equal(labels == 1, iou.max(axis=1) >= 0.5)


# --- ATSS -----------------------------------------------------------------------------------------

def test_atss_two_levels_by_hand():
    # Level A: four 10-px squares centred at x = 5, 15, 25, 35; level B: two 20-px squares centred
    # at (10, 10) and (30, 10).  Box = the first square, centre (5, 5); k = 2.
    # Candidates: A0 (distance 0, IoU 1), A1 (10, IoU 0), B0 (7.07, IoU 100/400), B1 (25.5, IoU 0).
    # Mean 0.3125, sample std sqrt(0.671875 / 3) = 0.4732, threshold 0.7857: only A0 passes, and its
    # centre is 5 px inside the box.
    level_a = [[0, 0, 10, 10], [10, 0, 20, 10], [20, 0, 30, 10], [30, 0, 40, 10]]
    level_b = [[0, 0, 20, 20], [20, 0, 40, 20]]
    labels, matched = anchorlib.atss_assign(level_a + level_b, [[0, 0, 10, 10]], [4, 2], k=2)
    assert labels.tolist() == [1, 0, 0, 0, 0, 0]
    assert matched.tolist() == [0, -1, -1, -1, -1, -1]


def test_atss_centre_must_be_inside_the_box():
    # Candidate IoUs 1/3, 0, 0: mean 1/9, sample std sqrt(3)/9 = 0.192, threshold 0.304 <= 1/3,
    # but the first anchor's centre (0, 5) lies on the box's left edge (margin 0, not > 0.01).
    anchors = [[-5, 0, 5, 10], [20, 0, 30, 10], [40, 0, 50, 10]]
    labels, _ = anchorlib.atss_assign(anchors, [[0, 0, 10, 10]], [3], k=3)
    assert labels.tolist() == [0, 0, 0]
    # Moved 1 px right, its centre is inside and its IoU 4/11 is above the new threshold.
    anchors[0] = [-4, 0, 6, 10]
    labels, _ = anchorlib.atss_assign(anchors, [[0, 0, 10, 10]], [3], k=3)
    assert labels.tolist() == [1, 0, 0]


def test_atss_anchor_shared_by_two_boxes_goes_to_the_larger_iou():
    # One 10-px anchor inside two boxes; IoU 100/120 with box 0 and 100/110 with box 1.
    anchors = [[0, 0, 10, 10], [50, 0, 60, 10], [100, 0, 110, 10]]
    boxes = [[-1, -1, 11, 9], [0, 0, 11, 10]]
    labels, matched = anchorlib.atss_assign(anchors, boxes, [3], k=3)
    assert labels.tolist() == [1, 0, 0]
    assert matched.tolist() == [1, -1, -1]


def test_atss_no_boxes():
    labels, matched = anchorlib.atss_assign([SQUARE, SQUARE], np.zeros((0, 4)), [2])
    assert labels.tolist() == [0, 0] and matched.tolist() == [-1, -1]


# --- bad input ----------------------------------------------------------------------------------

def test_unknown_rule():
    with pytest.raises(ValueError, match="rule must be one of .* got 'yolo'"):
        anchorlib.assign([SQUARE], [SQUARE], rule="yolo")


def test_bad_thresholds():
    with pytest.raises(ValueError, match="negative_iou must be <= positive_iou, got 0.6 > 0.5"):
        anchorlib.assign([SQUARE], [SQUARE], negative_iou=0.6)
    with pytest.raises(ValueError, match="positive_iou must be in"):
        anchorlib.assign([SQUARE], [SQUARE], positive_iou=1.5)
    with pytest.raises(ValueError, match="negative_iou must be > 0 for detectron2, got 0.0"):
        anchorlib.assign([SQUARE], [SQUARE], rule="detectron2", negative_iou=0)
    with pytest.raises(TypeError, match="negative_iou must be a real number"):
        anchorlib.assign([SQUARE], [SQUARE], negative_iou="0.4")


def test_options_that_a_library_does_not_have():
    with pytest.raises(ValueError, match="not a keras-retinanet behaviour"):
        anchorlib.assign([SQUARE], [SQUARE], rule="keras-retinanet", allow_low_quality=True)
    with pytest.raises(ValueError, match="min_pos_iou is an mmdet option"):
        anchorlib.assign([SQUARE], [SQUARE], rule="torchvision", min_pos_iou=0.3)
    with pytest.raises(TypeError, match="allow_low_quality must be True, False or None"):
        anchorlib.assign([SQUARE], [SQUARE], allow_low_quality=1)


def test_bad_boxes():
    with pytest.raises(ValueError, match="boxes2 must have shape"):
        anchorlib.assign([SQUARE], [0, 0, 1, 1])


def test_atss_bad_levels():
    with pytest.raises(ValueError, match=r"anchors_per_level must add up to the number of anchors \(2\)"):
        anchorlib.atss_assign([SQUARE, SQUARE], [SQUARE], [1])
    with pytest.raises(ValueError, match=r"anchors_per_level\[0\] must be positive"):
        anchorlib.atss_assign([SQUARE, SQUARE], [SQUARE], [0, 2])
    with pytest.raises(TypeError, match="anchors_per_level must be a sequence"):
        anchorlib.atss_assign([SQUARE, SQUARE], [SQUARE], 2)
    with pytest.raises(ValueError, match="at least two candidates"):
        anchorlib.atss_assign([SQUARE], [SQUARE], [1])
    with pytest.raises(ValueError, match="k must be positive"):
        anchorlib.atss_assign([SQUARE, SQUARE], [SQUARE], [2], k=0)


def test_iou_bad_inclusive_flag():
    with pytest.raises(TypeError, match="inclusive must be True or False"):
        anchorlib.box_iou([SQUARE], [SQUARE], inclusive="yes")


# --- the FPN level rule (FPN paper eq. 1, k = floor(4 + log2(sqrt(wh) / 224))) --------------------

# Expected levels by hand: sqrt(224 * 224) = 224 -> log2(1) = 0 -> P4; 112 -> -1 -> P3; 448 -> P5;
# 56 -> P2; anything below 56 clips to P2 and anything from 448 up to P5.
@pytest.mark.parametrize("library", ["detectron2", "torchvision"])
def test_fpn_level_by_hand(library):
    boxes = [[0, 0, 224, 224], [0, 0, 112, 112], [0, 0, 448, 448], [0, 0, 56, 56], [0, 0, 4, 4],
             [0, 0, 4000, 4000], [10, 10, 10, 10], [0, 0, 448, 112]]  # last: sqrt(448 * 112) = 224
    assert anchorlib.fpn_level(boxes, library=library).tolist() == [4, 3, 5, 2, 2, 5, 2, 4]


def test_fpn_level_epsilon_is_where_the_libraries_differ():
    # Both libraries compute in float32 (worked by hand; the goldens tests/conformance/fpn_level run
    # the libraries themselves). side = 112 (1 - d), so log2(side / 224) = -1 - 1.4427 d:
    # * d = 1e-9: 112 (1 - 1e-9) rounds to 112 in float32 (an ulp of 112 is 7.6e-6): P3 for both.
    # * d = 3e-7: the side rounds to 112 - 4 ulps, log2 to -1 - 4 ulps (-1 - 4.8e-7), 4 + log2 to 3 - 2 ulps
    #   (an ulp of 3 is 2.4e-7): detectron2 floors to P2 (its + 1e-8 inside the log is below half
    #   an ulp of 0.5 and is lost); torchvision adds 1e-6 after the log, 3 + 2 ulps: P3.
    # * d = 1e-5: 1.4e-5 short of the boundary, more than torchvision's 1e-6: P2 for both.
    def box(d):
        side = 112 * (1 - d)
        return [[0, 0, side, side]]

    for library in ("detectron2", "torchvision"):
        assert anchorlib.fpn_level(box(1e-9), library=library).tolist() == [3]
        assert anchorlib.fpn_level(box(1e-5), library=library).tolist() == [2]
    assert anchorlib.fpn_level(box(3e-7), library="detectron2").tolist() == [2]
    assert anchorlib.fpn_level(box(3e-7), library="torchvision").tolist() == [3]


def test_fpn_level_options():
    # canonical 800 px at level 5 (as a different detector might set it): 400 px -> 4, 3200 -> 7
    boxes = [[0, 0, 400, 400], [0, 0, 3200, 3200]]
    assert anchorlib.fpn_level(boxes, canonical_size=800, canonical_level=5, min_level=3,
                               max_level=7).tolist() == [4, 7]


@pytest.mark.parametrize("kwargs, error, words", [
    ({"library": "mmdet"}, ValueError, "library must be one of"),
    ({"canonical_size": 0}, ValueError, "canonical_size must be positive"),
    ({"min_level": 6}, ValueError, "min_level must be <= max_level"),
    ({"max_level": 2.5}, TypeError, "max_level must be an integer"),
])
def test_fpn_level_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        anchorlib.fpn_level([[0, 0, 10, 10]], **kwargs)


@pytest.mark.parametrize("library", ["torchvision", "detectron2"])
def test_fpn_level_equals_the_libraries_run(library):
    # Goldens made by running torchvision 0.29.1's LevelMapper and detectron2 @02b5c4e's
    # assign_boxes_to_levels (tools/conformance/fpn_level.py): random boxes and boxes within 8
    # float32 ulps of every level boundary.
    import json
    from pathlib import Path

    folder = Path(__file__).parent / "conformance" / "fpn_level"
    groups = [g for g in json.loads((folder / "meta.json").read_text())["groups"] if g["library"] == library]
    assert {g["group"].rsplit("/", 1)[1] for g in groups} == {"random", "boundary"}
    with np.load(folder / "goldens.npz") as arrays:
        for group in groups:
            boxes, expected = arrays[group["group"] + "/boxes"], arrays[group["group"] + "/levels"]
            assert len(boxes) == group["cases"] == 4000
            np.testing.assert_array_equal(anchorlib.fpn_level(boxes, library=library), expected)
            if group["group"].endswith("boundary"):  # the cases are near boundaries on both sides
                assert len(np.unique(expected)) >= 3
