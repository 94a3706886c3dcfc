"""Tests of anchorlib.design: shape IoU, k-means (1 - IoU), YOLOv5's metrics and evolution, and the
differential-evolution search over ratios and scales."""

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import anchorlib

# YOLOv5's published default anchors (ultralytics/yolov5 models/yolov5s.yaml @5081342), in pixels.
YOLOV5_ANCHORS = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198], [373, 326]]

side = st.floats(min_value=1.0, max_value=500.0, allow_nan=False)
wh_arrays = hnp.arrays(np.float64, st.tuples(st.integers(3, 25), st.just(2)), elements=side)


def test_shape_iou_by_hand():
    # By hand: 2x3 and 3x2 on a common centre overlap in 2x2 = 4; union 6 + 6 - 4 = 8.
    assert anchorlib.shape_iou([[2, 3]], [[3, 2]]).tolist() == [[0.5]]
    # A box inside another: IoU is the area ratio, 25 / 100.
    assert anchorlib.shape_iou([[5, 5]], [[10, 10]]).tolist() == [[0.25]]
    # With anchor-optimization's "+1" (utils/compute_overlap.pyx @446db67): 11 * 11 / (21 * 21).
    assert anchorlib.shape_iou([[10, 10]], [[20, 20]], inclusive=True)[0, 0] == pytest.approx(121 / 441, rel=1e-15)


def test_mean_best_iou_by_hand():
    # Boxes 10x10, 20x10, 5x5 against anchors 10x10, 20x20:
    # 10x10 -> 1; 20x10 -> max(100/200, 200/400) = 0.5; 5x5 -> max(25/100, 25/400) = 0.25.
    value = anchorlib.mean_best_iou([[10, 10], [20, 10], [5, 5]], [[10, 10], [20, 20]])
    assert value == pytest.approx((1 + 0.5 + 0.25) / 3, rel=1e-15)


def test_anchor_fit_by_hand():
    # x = min(w/wa, wa/w, h/ha, ha/h) (ultralytics/yolov5 utils/autoanchor.py @5081342, metric()).
    # Box 10x10: x = 1 (anchor 10x10), 0.5 (20x10). Box 40x10: 0.25, 0.5. Box 20x5: 0.5, 0.5.
    # Box 10x30: 1/3, 1/3. With threshold 4 a pair counts when x > 0.25 (strictly: the 40x10 box
    # and the 10x10 anchor differ by exactly 4, and loss.py keeps a pair only when max ratio < 4).
    wh = [[10, 10], [40, 10], [20, 5], [10, 30]]
    anchors = [[10, 10], [20, 10]]
    fit = anchorlib.anchor_fit(wh, anchors)
    assert fit["bpr"] == 1.0
    assert fit["aat"] == (2 + 1 + 2 + 2) / 4
    assert fit["fitness"] == pytest.approx((1 + 0.5 + 0.5 + 1 / 3) / 4, rel=1e-15)
    # Threshold 2: only x > 0.5 counts, i.e. the 10x10 box with the 10x10 anchor.
    assert anchorlib.anchor_fit(wh, anchors, threshold=2.0) == {"bpr": 0.25, "aat": 0.25, "fitness": 0.25}


def test_yolov5_defaults_fit_their_own_anchors_perfectly():
    fit = anchorlib.anchor_fit(YOLOV5_ANCHORS, YOLOV5_ANCHORS)
    assert fit["bpr"] == 1.0 and fit["fitness"] == 1.0
    assert anchorlib.mean_best_iou(YOLOV5_ANCHORS, YOLOV5_ANCHORS) == 1.0


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: anchorlib.anchor_fit([[1, 1]], [[1, 1]], threshold=0.5), ValueError, "threshold must be >= 1"),
        (lambda: anchorlib.anchor_fit([[1, -1]], [[1, 1]]), ValueError, "wh must be positive; row 0"),
        (lambda: anchorlib.anchor_fit([[1, 1, 1]], [[1, 1]]), ValueError, "wh must have shape (N, 2)"),
        (lambda: anchorlib.mean_best_iou([[1, 1]], np.zeros((0, 2))), ValueError, "anchors must have shape"),
        (lambda: anchorlib.shape_iou("ab", [[1, 1]]), TypeError, "wh1 must be numbers"),
        (lambda: anchorlib.kmeans_anchors([[1, 1], [1, 1]], 2), ValueError, "distinct box shapes (1)"),
        (lambda: anchorlib.kmeans_anchors([[1, 1], [2, 2]], 0), ValueError, "k must be positive"),
        (lambda: anchorlib.kmeans_anchors([[1, 1], [2, 2]], 2, init=[[1, 1]]), ValueError,
         "init must have shape (2, 2)"),
        (lambda: anchorlib.kmeans_anchors([[1, 1], [2, 2]], 1, max_iter=0), ValueError, "max_iter must be positive"),
        (lambda: anchorlib.evolve_anchors([[1, 1]], [[1, 1]], seed=0, mutation_prob=0), ValueError, "mutation_prob"),
        (lambda: anchorlib.evolve_anchors([[1, 1]], [[1, 1]], seed=-1), ValueError, "seed must be non-negative"),
        (lambda: anchorlib.optimize_ratios_scales([[1, 1]], seed=0, num_ratios=2), ValueError,
         "num_ratios must be odd"),
        (lambda: anchorlib.optimize_ratios_scales([[1, 1]], seed=0, objective="iou"), ValueError,
         "objective must be one of"),
        (lambda: anchorlib.optimize_ratios_scales([[1, 1]], seed=0, scale_bounds=(2, 1)), ValueError, "low < high"),
        (lambda: anchorlib.optimize_ratios_scales([[1, 1]], seed=0, sizes=[]), ValueError, "sizes must be a non-empty"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_kmeans_mean_update_can_be_worse_so_the_best_round_is_kept():
    # By hand, boxes 10x10, 11x9, 40x20, 42x22 starting from the centroids 10x10 and 42x22:
    # mean best IoU (1 + 90/109 + 800/924 + 1) / 4 = 0.9232. The means 10.5x9.5 and 41x21 give
    # (95/104.75 + 94.5/104.25 + 800/861 + 861/924) / 4 = 0.9183, lower: the start is returned.
    wh = [[10, 10], [11, 9], [40, 20], [42, 22]]
    start = [[42, 22], [10, 10]]
    assert anchorlib.kmeans_anchors(wh, 2, init=start).tolist() == [[10, 10], [42, 22]]
    # From a poor start the first update helps and then nothing changes: the means.
    assert anchorlib.kmeans_anchors(wh, 2, init=[[8, 8], [50, 25]]).tolist() == [[10.5, 9.5], [41, 21]]


def test_kmeans_with_k_equal_to_the_distinct_shapes_returns_them_sorted_by_area():
    wh = [[30, 10], [5, 5], [30, 10], [8, 40], [5, 5]]
    assert anchorlib.kmeans_anchors(wh, 3, seed=4).tolist() == [[5, 5], [30, 10], [8, 40]]


def test_kmeans_finds_well_separated_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[10, 30], [40, 20], [120, 120]])
    wh = np.concatenate([c * np.exp(0.05 * rng.standard_normal((50, 2))) for c in centres])
    anchors = anchorlib.kmeans_anchors(wh, 3, seed=0)
    np.testing.assert_allclose(anchors, centres, rtol=0.05)


@settings(max_examples=40, deadline=None)
@given(wh=wh_arrays, k=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_kmeans_properties(wh, k, seed):
    assume(len(np.unique(wh, axis=0)) >= k)  # k distinct boxes to start from
    anchors = anchorlib.kmeans_anchors(wh, k, seed=seed)
    area = anchors.prod(axis=1)
    assert anchors.shape == (k, 2) and np.all(np.diff(area) >= 0)
    np.testing.assert_array_equal(anchors, anchorlib.kmeans_anchors(wh, k, seed=seed))
    init = wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)]
    fitted = anchorlib.kmeans_anchors(wh, k, init=init)
    assert anchorlib.mean_best_iou(wh, fitted) >= anchorlib.mean_best_iou(wh, init) - 1e-12


def test_kmeans_progress_bar_does_not_change_the_result(capsys):
    wh = anchorlib.synthetic_boxes(200, seed=0).wh
    quiet = anchorlib.kmeans_anchors(wh, 4, seed=1)
    np.testing.assert_array_equal(anchorlib.kmeans_anchors(wh, 4, seed=1, progress=True), quiet)
    assert "k-means" in capsys.readouterr().err


def test_evolution_improves_fitness_on_a_fixed_seed():
    wh = anchorlib.synthetic_boxes(500, seed=3).wh
    start = anchorlib.kmeans_anchors(wh, 3, seed=0)
    evolved = anchorlib.evolve_anchors(wh, start, generations=300, seed=0)
    before = anchorlib.anchor_fit(wh, start)["fitness"]
    after = anchorlib.anchor_fit(wh, evolved)["fitness"]
    assert after > before
    assert np.all(np.diff(evolved.prod(axis=1)) >= 0) and np.all(evolved >= 2)
    np.testing.assert_array_equal(evolved, anchorlib.evolve_anchors(wh, start, generations=300, seed=0))
    # No generations: the start, sorted by area.
    assert anchorlib.evolve_anchors(wh, start[::-1], generations=0, seed=0).tolist() == start.tolist()


@settings(max_examples=20, deadline=None)
@given(wh=wh_arrays, seed=st.integers(0, 2**16))
def test_evolution_never_lowers_fitness(wh, seed):
    start = wh[:2]
    evolved = anchorlib.evolve_anchors(wh, start, generations=20, seed=seed)
    assert anchorlib.anchor_fit(wh, evolved)["fitness"] >= anchorlib.anchor_fit(wh, start)["fitness"]


def _objective(wh, anchors, objective):
    # anchor-optimization optimize_anchors.py @ea21e60, average_overlap(): m = best IoU per box;
    # focal mean(-(1-m)^2 log m), avg 1 - mean(m), ce mean(-log m).
    m = anchorlib.shape_iou(wh, anchors).max(axis=1)
    return {"focal": np.mean(-((1 - m) ** 2) * np.log(m)), "avg": 1 - np.mean(m), "ce": np.mean(-np.log(m))}[objective]


@pytest.mark.parametrize("objective", ["focal", "avg", "ce"])
def test_differential_evolution_improves_its_objective(objective):
    wh = anchorlib.synthetic_boxes(300, seed=5).wh
    fit = anchorlib.optimize_ratios_scales(wh, seed=0, objective=objective, popsize=8, maxiter=25)
    assert fit.value < fit.initial_value
    # RetinaNet's defaults are where the search starts (ratios 1, 2, 1/2, octave scales).
    defaults = np.concatenate([anchorlib.anchor_shapes(s, [0.5, 1, 2], anchorlib.octave_scales(3))
                               for s in (32, 64, 128, 256, 512)])
    assert fit.initial_value == pytest.approx(_objective(wh, defaults, objective), rel=1e-12)
    assert fit.value == pytest.approx(_objective(wh, fit.anchors, objective), rel=1e-12)
    assert fit.mean_best_iou == pytest.approx(anchorlib.mean_best_iou(wh, fit.anchors), rel=1e-12)
    assert fit.unmatched == int(np.sum(anchorlib.shape_iou(wh, fit.anchors).max(axis=1) < 0.5))
    # Ratios are 1 and a pair v, 1/v with v in [1, 4]; scales in [0.4, 2].
    assert fit.ratios[1] == 1 and fit.ratios[0] == pytest.approx(1 / fit.ratios[2]) and 1 <= fit.ratios[2] <= 4
    assert np.all((0.4 <= fit.scales) & (fit.scales <= 2)) and fit.anchors.shape == (45, 2)
    again = anchorlib.optimize_ratios_scales(wh, seed=0, objective=objective, popsize=8, maxiter=25)
    np.testing.assert_array_equal(again.anchors, fit.anchors)


def test_differential_evolution_recovers_planted_ratios():
    # Boxes of exactly ratio 3 and 1/3 and 1 at sizes 32 and 64 (scale 1): the optimum is v = 3, scale 1.
    wh = np.concatenate([anchorlib.anchor_shapes(s, [1 / 3, 1, 3], [1]) for s in (32, 64)])
    fit = anchorlib.optimize_ratios_scales(wh, seed=0, num_scales=1, sizes=[32, 64], objective="avg")
    np.testing.assert_allclose(fit.ratios, [1 / 3, 1, 3], rtol=1e-4)
    np.testing.assert_allclose(fit.scales, [1], rtol=1e-4)
    assert fit.unmatched == 0 and fit.value < 1e-4


def test_evolution_and_search_show_progress_when_asked(capsys):
    wh = anchorlib.synthetic_boxes(50, seed=0).wh
    quiet = anchorlib.evolve_anchors(wh, wh[:3], generations=5, seed=0)
    np.testing.assert_array_equal(anchorlib.evolve_anchors(wh, wh[:3], generations=5, seed=0, progress=True), quiet)
    anchorlib.optimize_ratios_scales(wh, seed=0, maxiter=2, popsize=4, progress=True)
    err = capsys.readouterr().err
    assert "evolving anchors" in err and "differential evolution" in err


def test_kmeans_patience_stops_early_but_never_below_the_start():
    # patience=1 stops after the first round that does not improve: the result is still the best
    # centroids seen, so it can never fit worse than the initial ones (by construction).
    rng = np.random.default_rng(3)
    wh = rng.uniform(4, 300, size=(500, 2))
    start = np.array([[10.0, 10.0], [50.0, 80.0], [200.0, 120.0]])
    quick = anchorlib.kmeans_anchors(wh, 3, init=start, patience=1)
    assert anchorlib.mean_best_iou(wh, quick) >= anchorlib.mean_best_iou(wh, start)
    with pytest.raises(ValueError, match="patience must be positive"):
        anchorlib.kmeans_anchors(wh, 3, patience=0)


def test_ratio_metric_equals_yolov5s_formula_bit_for_bit():
    # YOLOv5 (utils/autoanchor.py, metric): r = wh[:, None] / k[None]; x = min(r, 1 / r).min(2).
    # The two sides computed apart must give the very same floats, not merely close ones.
    from anchorlib.design import _ratio_metric

    rng = np.random.default_rng(5)
    wh = rng.uniform(1, 600, (500, 2))
    anchors = rng.uniform(2, 400, (9, 2))
    r = wh[:, None] / anchors[None]
    expected = np.minimum(r, 1 / r).min(2)
    assert np.array_equal(_ratio_metric(wh, anchors), expected)


def test_yolov5_box_filter_by_hand():
    # YOLOv5 keeps (wh >= 2).any(1) and warns about (wh < 3).any(1): by hand for these four boxes,
    # kept: all but 1.9x1.9; warned: 1.9x1.9, 2x50, 50x2.5.
    kept, dropped, small = anchorlib.yolov5_box_filter([[1.9, 1.9], [2, 50], [50, 2.5], [3, 3]])
    assert kept.tolist() == [[2, 50], [50, 2.5], [3, 3]] and dropped == 1 and small == 3


def test_kmeans_restarts_never_worse_and_seeded():
    wh = anchorlib.synthetic_boxes(400, seed=1).wh
    one = anchorlib.kmeans_anchors(wh, 5, seed=3)
    many = anchorlib.kmeans_anchors(wh, 5, seed=3, restarts=8)
    assert anchorlib.mean_best_iou(wh, many) >= anchorlib.mean_best_iou(wh, one)
    assert np.array_equal(many, anchorlib.kmeans_anchors(wh, 5, seed=3, restarts=8))
    with pytest.raises(ValueError, match="restarts must be 1 when init is given"):
        anchorlib.kmeans_anchors(wh, 2, init=[[1, 1], [2, 2]], restarts=2)
    with pytest.raises(ValueError, match="restarts must be positive"):
        anchorlib.kmeans_anchors(wh, 2, restarts=0)
