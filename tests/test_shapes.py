"""Tests of anchorlib.shapes: base size x scale, ratio = h / w, octave scales."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import anchorlib
from strategies import positive, ratio


def test_seed_example_16_at_ratio_half():
    # By hand: w * h = 16**2 and h / w = 0.5  =>  w = 16 * sqrt(2), h = 16 / sqrt(2).
    np.testing.assert_allclose(
        anchorlib.anchor_shapes(16, [0.5], [1]), [[16 * np.sqrt(2), 16 / np.sqrt(2)]], rtol=1e-15
    )
    w, h = anchorlib.anchor_shapes(16, [0.5], [1])[0]
    assert (round(w, 3), round(h, 3)) == (22.627, 11.314)


def test_size_times_scale():
    # martinzlocha: "size 32x32 and scale of 0.5 then the anchor will be 16x16".
    assert anchorlib.anchor_shapes(32, [1], [0.5]).tolist() == [[16.0, 16.0]]


def test_keras_retinanet_documented_output():
    # keras-retinanet generate_anchors(32, ratios=[0.5, 1, 2], scales=[0.5]) returns (w, h)
    # [[22.6274 11.3137] [16 16] [11.3137 22.6274]] (run at fizyr/keras-retinanet@7ac91df,
    # utils/anchors.py: w = sqrt(area / ratio), h = w * ratio).
    np.testing.assert_allclose(
        anchorlib.anchor_shapes(32, [0.5, 1, 2], [0.5]),
        [[22.6274, 11.3137], [16, 16], [11.3137, 22.6274]],
        atol=5e-5,
    )


def test_order_is_ratio_major_scales_fastest():
    # keras-retinanet tests/utils/test_anchors.py::test_anchors_for_shape_values: with ratios [1, 2]
    # and scales [1, 2], anchor 1 is (ratio 1, scale 2) and anchor 2 is (ratio 2, scale 1).
    shapes = anchorlib.anchor_shapes(12, [1, 2], [1, 2])
    expected = [[12, 12], [24, 24], [12 / np.sqrt(2), 12 * np.sqrt(2)], [24 / np.sqrt(2), 24 * np.sqrt(2)]]
    np.testing.assert_allclose(shapes, expected, rtol=1e-15)


def test_largest_retinanet_anchor_is_813():
    # Lin et al. 2017, section 4: the anchors "cover the scale range 32 - 813 pixels".
    assert round(512 * anchorlib.octave_scales(3)[-1]) == 813


def test_octave_scales_by_hand():
    np.testing.assert_allclose(anchorlib.octave_scales(3), [1, 2 ** (1 / 3), 2 ** (2 / 3)], rtol=1e-15)
    assert anchorlib.octave_scales(1).tolist() == [1.0]


@given(positive, st.lists(ratio, min_size=1, max_size=5), st.lists(positive, min_size=1, max_size=4))
def test_area_kept_and_ratio_exact(base_size, ratios, scales):
    shapes = anchorlib.anchor_shapes(base_size, ratios, scales)
    assert shapes.shape == (len(ratios) * len(scales), 2)
    areas = shapes[:, 0] * shapes[:, 1]
    expected_areas = np.tile((base_size * np.asarray(scales)) ** 2, len(ratios))
    np.testing.assert_allclose(areas, expected_areas, rtol=1e-12)
    np.testing.assert_allclose(shapes[:, 1] / shapes[:, 0], np.repeat(ratios, len(scales)), rtol=1e-12)


@given(positive, st.lists(ratio, min_size=1, max_size=5), st.lists(positive, min_size=1, max_size=4))
def test_base_anchors_centred_on_zero(base_size, ratios, scales):
    boxes = anchorlib.base_anchors(base_size, ratios, scales)
    np.testing.assert_allclose(boxes[:, 0] + boxes[:, 2], 0, atol=1e-9)
    np.testing.assert_allclose(boxes[:, 1] + boxes[:, 3], 0, atol=1e-9)
    np.testing.assert_allclose(boxes[:, 2:] - boxes[:, :2], anchorlib.anchor_shapes(base_size, ratios, scales))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(base_size=0, ratios=[1], scales=[1]), ValueError, "base_size must be positive"),
        (dict(base_size=-16, ratios=[1], scales=[1]), ValueError, "base_size must be positive"),
        (dict(base_size=np.nan, ratios=[1], scales=[1]), ValueError, "base_size must be finite"),
        (dict(base_size=np.inf, ratios=[1], scales=[1]), ValueError, "base_size must be finite"),
        (dict(base_size="16", ratios=[1], scales=[1]), TypeError, "base_size must be a real number"),
        (dict(base_size=True, ratios=[1], scales=[1]), TypeError, "base_size"),
        (dict(base_size=16, ratios=[0.5, 0], scales=[1]), ValueError, "ratios must all be positive"),
        (dict(base_size=16, ratios=[-1], scales=[1]), ValueError, "ratios must all be positive"),
        (dict(base_size=16, ratios=[np.nan], scales=[1]), ValueError, "ratios must be finite"),
        (dict(base_size=16, ratios=[], scales=[1]), ValueError, "ratios must be a non-empty"),
        (dict(base_size=16, ratios=[[1, 2]], scales=[1]), ValueError, "ratios must be a non-empty 1-D"),
        (dict(base_size=16, ratios=[1], scales=[0]), ValueError, "scales must all be positive"),
        (dict(base_size=16, ratios=[1], scales="1"), TypeError, "scales"),
    ],
)
def test_bad_input_raises_naming_the_argument(kwargs, error, words):
    with pytest.raises(error, match=words):
        anchorlib.anchor_shapes(**kwargs)
    with pytest.raises(error, match=words):
        anchorlib.base_anchors(**kwargs)


def test_octave_scales_rejects_bad_count():
    with pytest.raises(ValueError, match="scales_per_octave"):
        anchorlib.octave_scales(0)
    with pytest.raises(TypeError, match="scales_per_octave"):
        anchorlib.octave_scales(2.5)
