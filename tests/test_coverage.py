"""Tests of anchorlib.coverage: worst case over positions, covered sizes, position coverage
(best_iou: tests/test_boxes.py).

The brute-force references lay real anchors with ``AnchorConfig.anchors`` and real boxes on a grid of
positions and take ``anchorlib.best_iou`` (itself checked against ``anchorlib.box_iou``); they share
no code with the closed forms and the exact search under test.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import anchorlib
from anchorlib import AnchorConfig

RETINANET_LEVELS = dict(sizes=[32, 64, 128, 256, 512], strides=[8, 16, 32, 64, 128])
RETINANET = AnchorConfig(**RETINANET_LEVELS)
OCTAVE = (1, 2 ** (1 / 3), 2 ** (2 / 3))
CONFIGS = {
    "default": RETINANET,
    "halved": AnchorConfig(**RETINANET_LEVELS, scales=[s / 2 for s in OCTAVE]),
    "p2-p6": AnchorConfig(sizes=[16, 32, 64, 128, 256], strides=[4, 8, 16, 32, 64]),
}
SMALL = dict(sizes=[32, 64], strides=[8, 16], ratios=(0.5, 1, 2), scales=(1, 2**0.5))


def one_anchor(size, stride):
    return AnchorConfig(sizes=[size], strides=[stride], ratios=[1], scales=[1])


def period_of(config):
    return math.lcm(*config.parameters["strides"])


def plane_anchors(config):
    """The anchors of an image three periods (lcm of the strides) wide, and the period ``P``.

    For a box centred in the middle square ``[P, 2P)^2`` the nearest centres of every anchor shape lie
    within half a stride, inside the image, so it meets the anchors exactly as on the infinite plane
    the analysis assumes; a position ``x`` modulo ``P`` is tested at ``x + P``.
    """
    period = period_of(config)
    return config.anchors((3 * period, 3 * period)), period


def boxes_at(xs, ys, side, aspect=1.0):
    gw, gh = side / math.sqrt(aspect), side * math.sqrt(aspect)
    return np.stack([xs - gw / 2, ys - gh / 2, xs + gw / 2, ys + gh / 2], axis=1)


def brute_force(config, side, step, aspect=1.0):
    """(best IoU over the anchors) for a box at every point of a step-spaced grid over one period."""
    anchors, period = plane_anchors(config)
    grid = np.arange(0, period, step)
    xs, ys = (a.ravel() for a in np.meshgrid(grid, grid))
    return xs, ys, anchorlib.best_iou(boxes_at(xs + period, ys + period, side, aspect), anchors)


# ------------------------------------------------------------------------------ worst case, by hand


def test_single_anchor_closed_form():
    # Square anchor a on stride t, box of side a at the cell corner (|dx| = |dy| = t/2):
    # overlap a - t/2 per axis, IoU = (a - t/2)^2 / (2 a^2 - (a - t/2)^2).
    for a, t in [(32, 8), (16, 8), (64, 16), (24, 20)]:
        overlap = a - t / 2
        expected = overlap**2 / (2 * a**2 - overlap**2)
        got = anchorlib.worst_case_iou(one_anchor(a, t), a)
        assert got == pytest.approx(expected, rel=1e-12)


def test_box_inside_smallest_anchor():
    # A box of side g <= a - t stays inside the anchor even at the cell corner: IoU = g^2 / a^2.
    for g in (4, 10, 20, 24):
        got = anchorlib.worst_case_iou(one_anchor(32, 8), g)
        assert got == pytest.approx(g**2 / 32**2, rel=1e-12)
    # The same limit for the whole RetinaNet configuration: the 32-px P3 anchor is the best one.
    assert anchorlib.worst_case_iou(RETINANET, 12) == pytest.approx(144 / 1024, rel=1e-12)


def test_offset_half_worst_position_is_common_corner():
    # keras-retinanet lattice (k + 0.5) t: x = y = 0 is a cell corner of every level at once.
    value, x, y = anchorlib.worst_case_iou(RETINANET, 23, return_position=True)
    assert (x, y) == (0.0, 0.0)
    anchors, period = plane_anchors(RETINANET)
    box = boxes_at(np.array([period]), np.array([period]), 23)
    assert anchorlib.best_iou(box, anchors)[0] == pytest.approx(value, rel=1e-12)


# ------------------------------------------------------------------------------ worst case, brute force


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("side", [12, 16, 23, 31])
def test_worst_case_matches_sweep_for_the_three_configurations(name, side):
    # offset 0.5: the worst position x = y = 0 lies on the sweep grid (32 x 32 points over one period),
    # so the sweep's minimum must equal the closed form exactly (and no grid point may be worse).
    config = CONFIGS[name]
    _, _, ious = brute_force(config, side, period_of(config) / 32)
    assert anchorlib.worst_case_iou(config, side) == pytest.approx(ious.min(), rel=1e-12)


@pytest.mark.parametrize(
    "offset, side, aspect",
    [(0.0, 45, 1.0), (0.0, 52, 1.0), (0.3, 50, 1.0), (0.0, 50, 2.0), (0.25, 38, 0.5)],
)
def test_worst_case_exact_against_fine_sweep(offset, side, aspect):
    config = AnchorConfig(**SMALL, offset=offset)
    value, x, y = anchorlib.worst_case_iou(config, side, aspect=aspect, return_position=True)
    # 1. the value is attained: a real box at the returned position has exactly that best IoU
    anchors, period = plane_anchors(config)
    box = boxes_at(np.array([x + period]), np.array([y + period]), side, aspect)
    assert anchorlib.best_iou(box, anchors)[0] == pytest.approx(value, abs=1e-12)
    # 2. no position of a 1/8-px sweep is worse, and 3. the sweep comes within the Lipschitz bound:
    # |d IoU / dx| <= 4 / gw and |d IoU / dy| <= 4 / gh (IoU = I/(S-I) with I <= S/2, dI/dx <= gh),
    # so the nearest grid point (at most step/2 away per axis) is at most 2 step (1/gw + 1/gh) worse.
    step = 1 / 8
    _, _, ious = brute_force(config, side, step, aspect)
    gw, gh = side / math.sqrt(aspect), side * math.sqrt(aspect)
    assert ious.min() >= value - 1e-12
    assert ious.min() <= value + 2 * step * (1 / gw + 1 / gh)


def test_offset_zero_worst_position_is_not_a_cell_corner():
    # torchvision's lattice k t: at side 56 the RetinaNet worst position is not on the integer grid,
    # and strictly worse than every integer point around it (and than P3's cell corner (4, 4)).
    config = AnchorConfig(**RETINANET_LEVELS, offset=0)
    value, x, y = anchorlib.worst_case_iou(config, 56, return_position=True)
    assert not (float(x).is_integer() and float(y).is_integer())
    anchors, period = plane_anchors(config)
    box = boxes_at(np.array([x + period]), np.array([y + period]), 56)
    assert anchorlib.best_iou(box, anchors)[0] == pytest.approx(value, abs=1e-12)
    near = np.arange(-8, 9)
    xs, ys = (a.ravel() for a in np.meshgrid(np.round(x) + near + period, np.round(y) + near + period))
    ious = anchorlib.best_iou(boxes_at(xs, ys, 56), anchors)
    assert value < ious.min() - 1e-3
    corner = anchorlib.best_iou(boxes_at(np.array([4.0 + period]), np.array([4.0 + period]), 56), anchors)[0]
    assert value < corner - 1e-3


# ------------------------------------------------------------------------------ covered sizes


def test_covered_sizes_single_anchor_by_hand():
    # One 32-px anchor every 8 px, threshold 0.5, worst position (4, 4) off the box centre.
    # g <= 24: the box stays inside the anchor, IoU = g^2 / 1024 >= 0.5 from g = 16 sqrt 2;
    # g >= 40: the anchor stays inside the box, IoU = 1024 / g^2 >= 0.5 up to g = 32 sqrt 2;
    # in between the IoU is at least 0.5625 (checked by the function itself at the ends).
    (low, high), = anchorlib.covered_sizes(one_anchor(32, 8), 0.5)
    assert low == pytest.approx(16 * math.sqrt(2), abs=2e-6)
    assert high == pytest.approx(32 * math.sqrt(2), abs=2e-6)
    (low, high), = anchorlib.covered_sizes(one_anchor(32, 8), 0.5, max_size=40)
    assert high == 40


def test_covered_sizes_gaps_are_uncovered():
    halved = CONFIGS["halved"]
    intervals = anchorlib.covered_sizes(halved, 0.5, max_size=300)
    assert len(intervals) >= 2
    for (_, end), (start, _) in zip(intervals, intervals[1:]):
        middle = (end + start) / 2
        assert anchorlib.worst_case_iou(halved, middle) < 0.5
        assert anchorlib.worst_case_iou(halved, end) >= 0.5
    for low, high in intervals:
        for g in np.linspace(low, high, 7):
            assert anchorlib.worst_case_iou(halved, g) >= 0.5 - 1e-9


def test_covered_sizes_search_path():
    # offset 0 has no common cell corner: the intervals come from the exact search
    config = AnchorConfig(**SMALL, offset=0)
    intervals = anchorlib.covered_sizes(config, 0.5, resolution=0.02)
    for low, high in intervals:
        assert anchorlib.worst_case_iou(config, low) >= 0.5 - 1e-9
        assert anchorlib.worst_case_iou(config, high) >= 0.5 - 1e-9


# ------------------------------------------------------------------------------ position coverage


def test_position_coverage_by_integration():
    # Anchor 32 on stride 32, box 32: IoU >= 1/2 <=> I >= S/3 = 2048/3 with I = u v, u = 32 - |dx|,
    # v = 32 - |dy| uniform on [16, 32]. With c = 2048/3, v >= c/u needs u >= c/32 and c/u >= 16
    # always, so the fraction is (1/256) * integral_{c/32}^{32} (32 - c/u) du
    # = (1024 - c - c ln(1024 / c)) / 256.
    c = 2048 / 3
    expected = (1024 - c - c * math.log(1024 / c)) / 256
    got = anchorlib.position_coverage(one_anchor(32, 32), 32, 0.5)
    assert got == pytest.approx(expected, abs=2e-3)


def test_position_coverage_equals_sweep():
    # the same cell-centred grid as position_coverage, evaluated with real boxes and box_iou
    config = AnchorConfig(**SMALL, offset=0.0)
    anchors, period = plane_anchors(config)
    samples = 32
    grid = (np.arange(samples) + 0.5) * (period / samples) + period
    xs, ys = (a.ravel() for a in np.meshgrid(grid, grid))
    for side, threshold in [(30, 0.5), (45, 0.6), (50, 0.7)]:
        ious = anchorlib.best_iou(boxes_at(xs, ys, side), anchors)
        got = anchorlib.position_coverage(config, side, threshold, samples=samples)
        assert got == np.mean(ious >= threshold)


def test_position_coverage_limits():
    assert anchorlib.position_coverage(CONFIGS["default"], 12, 0.5) == 0.0  # 144/1024 < 0.5 everywhere
    assert anchorlib.position_coverage(CONFIGS["p2-p6"], 16, 0.5) == 1.0


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: AnchorConfig(sizes=[32, 64], strides=[8]), ValueError, "one entry per level"),
        (lambda: AnchorConfig(sizes=[32], strides=[8.5]), ValueError, "strides must be whole numbers"),
        (lambda: AnchorConfig(sizes=[-32], strides=[8]), ValueError, "sizes must all be positive"),
        (lambda: AnchorConfig(sizes=[32], strides=[8], ratios=[]), ValueError, "ratios must be a non-empty"),
        (lambda: AnchorConfig(sizes=[32], strides=[8], offset="half"), TypeError, "offset must be a real number"),
        (lambda: AnchorConfig(sizes=[32], strides=[8], offset=1), ValueError, r"offset must be in \[0, 1\)"),
        (lambda: AnchorConfig(sizes=["a"], strides=[8]), TypeError, "sizes"),
    ],
)
def test_bad_configuration_is_refused_when_made(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_bad_scalars():
    config = AnchorConfig(sizes=[32], strides=[8])
    with pytest.raises(ValueError, match="box_size must be positive"):
        anchorlib.worst_case_iou(config, 0)
    with pytest.raises(ValueError, match="aspect must be positive"):
        anchorlib.worst_case_iou(config, 20, aspect=0)
    with pytest.raises(ValueError, match="iou_threshold must be in"):
        anchorlib.covered_sizes(config, 1.5)
    with pytest.raises(ValueError, match="iou_threshold must be positive"):
        anchorlib.position_coverage(config, 20, 0)
    with pytest.raises(ValueError, match="samples must be positive"):
        anchorlib.position_coverage(config, 20, 0.5, samples=0)
    with pytest.raises(ValueError, match="use at least 8 samples"):
        anchorlib.position_coverage(one_anchor(64, 64), 60, 0.5, samples=4)
    with pytest.raises(ValueError, match="max_size must be positive"):
        anchorlib.covered_sizes(config, 0.5, max_size=-1)
    with pytest.raises(ValueError, match="max_pairs must be positive"):
        anchorlib.best_iou([[0, 0, 1, 1]], [[0, 0, 1, 1]], max_pairs=0)
    with pytest.raises(ValueError, match="anchors must have shape"):
        anchorlib.best_iou([[0, 0, 1, 1]], [0, 0, 1, 1])


def test_search_too_large_is_refused():
    # strides 61 and 114 (torchvision's P6/P7 at 800 px) repeat only every lcm = 6954 px: a 120-px box,
    # which only those two levels can match, would need a search over that whole period.
    with pytest.raises(ValueError, match="lcm\\(strides\\) = 6954"):
        anchorlib.worst_case_iou(AnchorConfig(sizes=[32, 64, 128], strides=[8, 61, 114], offset=0), 120)


def test_levels_that_never_win_are_left_out():
    # A 20-px box: at its worst position a 32-px anchor on stride 8 still contains it (IoU
    # 400/1024), more than any 64- or 128-px anchor can ever reach (at most 400/4096), so the
    # irregular strides 61 and 114 do not matter and the answer is the P3-only one.
    config = AnchorConfig(sizes=[32, 64, 128], strides=[8, 61, 114], ratios=[1], scales=[1], offset=0)
    assert anchorlib.worst_case_iou(config, 20) == pytest.approx(400 / 1024, rel=1e-12)


# ------------------------------------------------------------------------------ properties


@st.composite
def small_configs(draw):
    """One or two levels (stride 4-16, the second 1, 2 or 3 times the first), 1-2 ratios and scales."""
    stride = draw(st.sampled_from([4, 6, 8, 16]))
    strides = [stride] + draw(st.lists(st.sampled_from([stride, 2 * stride, 3 * stride]), max_size=1))
    sizes = [draw(st.floats(1.0, 6.0)) * t for t in strides]
    ratios = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=1, max_size=2, unique=True))
    scales = draw(st.lists(st.floats(0.6, 1.6), min_size=1, max_size=2))
    offset = draw(st.sampled_from([0.0, 0.5, 0.25, 0.3]))
    return AnchorConfig(sizes=sizes, strides=strides, ratios=ratios, scales=scales, offset=offset)


@settings(max_examples=30, deadline=None)
@given(small_configs(), st.floats(4, 120), st.sampled_from([1.0, 0.5, 2.0]), st.integers(0, 2**32 - 1))
def test_worst_case_is_attained_and_never_beaten(config, side, aspect, seed):
    value, x, y = anchorlib.worst_case_iou(config, side, aspect=aspect, return_position=True)
    anchors, period = plane_anchors(config)
    # attained at the returned position (reduced modulo the period into the middle square)
    at = boxes_at(np.array([x % period + period]), np.array([y % period + period]), side, aspect)
    assert anchorlib.best_iou(at, anchors)[0] == pytest.approx(value, abs=1e-9)
    # never beaten at random positions
    xs, ys = np.random.default_rng(seed).uniform(period, 2 * period, (2, 400))
    assert anchorlib.best_iou(boxes_at(xs, ys, side, aspect), anchors).min() >= value - 1e-9


@settings(max_examples=20, deadline=None)
@given(small_configs(), st.floats(4, 120), st.floats(0.05, 0.9), st.floats(0.05, 0.9))
def test_position_coverage_monotone_in_threshold(config, side, low, high):
    low, high = sorted((low, high))
    assert anchorlib.position_coverage(config, side, low, samples=64) >= anchorlib.position_coverage(
        config, side, high, samples=64
    )


# ------------------------------------------------------------------------------ presets


def window_sweep(side, anchors, lo, period, step):
    """Best IoU of a box at every point of a step grid over [lo, lo + period)^2, against the given
    anchors restricted to those whose centre lies within period / 2 of the window (the nearest
    anchor of every shape along each axis is at most stride / 2 <= period / 2 away)."""
    centres = (anchors[:, :2] + anchors[:, 2:]) / 2
    near = np.all((centres >= lo - period / 2) & (centres <= lo + 1.5 * period), axis=1)
    grid = np.arange(lo, lo + period, step)
    xs, ys = (a.ravel() for a in np.meshgrid(grid, grid))
    return xs, ys, anchorlib.best_iou(boxes_at(xs, ys, side), anchors[near])


@pytest.mark.parametrize("side", [12, 23, 56, 90])
def test_keras_retinanet_preset_equals_the_exact_configuration(side):
    by_preset = anchorlib.worst_case_iou(anchorlib.PRESETS["keras-retinanet"], side)
    # keras-retinanet computes its cell anchors in float32 (keras floatx), hence the tolerance
    assert by_preset == pytest.approx(anchorlib.worst_case_iou(RETINANET, side), rel=1e-6)


@pytest.mark.parametrize("preset, side", [("torchvision-retinanet", 56), ("mmdet-retinanet", 40),
                                          ("detectron2-retinanet", 30)])
def test_offset_zero_presets_against_their_real_anchors(preset, side):
    # At 1024 x 1024 every stride is exactly 8..128 (torchvision's image // grid included); the
    # anchors are the preset's own, so rounding and float32 are the library's.
    config = anchorlib.PRESETS[preset]
    value, x, y = anchorlib.worst_case_iou(config, side, image_shape=(1024, 1024), return_position=True)
    anchors = config.anchors((1024, 1024))
    _, _, ious = window_sweep(side, anchors, 384, 128, 2.0)
    assert ious.min() >= value - 1e-9
    assert ious.min() <= value + 2 * 2.0 * (2 / side)  # Lipschitz bound, see above
    at = boxes_at(np.array([x + 384.0]), np.array([y + 384.0]), side)
    assert anchorlib.best_iou(at, anchors)[0] == pytest.approx(value, abs=1e-6)  # float32 anchors


def test_py_faster_rcnn_preset_inclusive_corners():
    # py-faster-rcnn's corners are inclusive: [x1, x2] spans [x1, x2 + 1) in continuous pixels.
    config = anchorlib.PRESETS["py-faster-rcnn"]
    assert config.inclusive
    value, x, y = anchorlib.worst_case_iou(config, 100, return_position=True)
    anchors = config.anchors((600, 600)).copy()
    anchors[:, 2:] += 1
    _, _, ious = window_sweep(100, anchors, 256, 16, 0.5)
    assert ious.min() == pytest.approx(value, abs=1e-12)  # common corner on the half-pixel grid
    # centres at 8 + 16 k (7.5 inclusive), so the common corner of the single level is 0 mod 16
    assert (x, y) == (0.0, 0.0)


def test_configuration_errors():
    with pytest.raises(ValueError, match="torchvision-retinanet needs image_shape"):
        anchorlib.covered_sizes(anchorlib.PRESETS["torchvision-retinanet"], 0.5)
    with pytest.raises(TypeError, match="config must be an AnchorConfig"):
        anchorlib.worst_case_iou("keras-retinanet", 20)
    with pytest.raises(TypeError, match=r"image_shape must be a \(height, width\) pair"):
        anchorlib.position_coverage(RETINANET, 20, 0.5, image_shape=800)


def test_worst_case_for_many_boxes_is_each_box_alone():
    # one 32-px anchor every 8 px: side 32 gives 28**2 / (2 * 32**2 - 28**2) (by hand, as in the
    # docstring), side 64 contains the anchor everywhere: 32**2 / 64**2 = 0.25
    one = AnchorConfig(sizes=[32], strides=[8], ratios=[1], scales=[1])
    np.testing.assert_allclose(anchorlib.worst_case_iou(one, [32, 64, 32]), [28**2 / (2 * 32**2 - 28**2), 0.25,
                                                                               28**2 / (2 * 32**2 - 28**2)])
    config = anchorlib.PRESETS["torchvision-retinanet"]  # the search path (offset 0)
    sides, aspects = np.array([[20.0, 45.5], [90.0, 20.0]]), np.array([[1.0, 2.0], [0.5, 1.0]])
    many = anchorlib.worst_case_iou(config, sides, aspect=aspects, image_shape=(800, 1344))
    alone = [anchorlib.worst_case_iou(config, s, aspect=a, image_shape=(800, 1344))
             for s, a in zip(sides.ravel(), aspects.ravel())]
    assert many.tolist() == alone  # flattened, in order, the same numbers


@pytest.mark.parametrize("kwargs, error, words", [
    ({"box_size": [32, 0]}, ValueError, "box_size must all be positive"),
    ({"box_size": [32, 40], "aspect": [1, 2, 3]}, ValueError, "must broadcast"),
    ({"box_size": [32, 40], "return_position": True}, ValueError, "return_position needs one box"),
    ({"box_size": ["a"]}, TypeError, "box_size must hold real numbers"),
])
def test_worst_case_arrays_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        anchorlib.worst_case_iou(AnchorConfig(sizes=[32], strides=[8]), **kwargs)
