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


# --- Ratio orientation: libraries whose aspect ratio is width / height -------------------------------


def test_tf_object_detection_api_unit_test_values():
    # tensorflow/models@b002a40 research/object_detection/anchor_generators/grid_anchor_generator_test.py,
    # test_construct_single_anchor: base_anchor_size [256, 256] (the default), scales [0.5, 1, 2],
    # aspect_ratios [0.25, 1, 4], anchor_offset [7, -3] (y, x); expected corners [ymin, xmin, ymax, xmax].
    # tile_anchors (grid_anchor_generator.py@3617973) uses widths = scale * sqrt(ratio) * base: ratio = w / h.
    expected_yxyx = np.array([[-121, -35, 135, 29], [-249, -67, 263, 61], [-505, -131, 519, 125],
                              [-57, -67, 71, 61], [-121, -131, 135, 125], [-249, -259, 263, 253],
                              [-25, -131, 39, 125], [-57, -259, 71, 253], [-121, -515, 135, 509]], dtype=float)
    expected_xyxy = expected_yxyx[:, [1, 0, 3, 2]]
    boxes = anchorlib.base_anchors(256, [0.25, 1, 4], [0.5, 1, 2], ratio_is="w/h") + [-3, 7, -3, 7]
    np.testing.assert_allclose(boxes, expected_xyxy, atol=1e-9)
    # the same numbers read as h / w would be the transposed boxes: 0.25 tall in TF, wide here
    assert anchorlib.anchor_shapes(256, [0.25], [0.5])[0].tolist() == [256.0, 64.0]


def test_torchvision_ssd_default_box_generator_run():
    # Run with torchvision 0.29.1: DefaultBoxGenerator([[2, 3]], scales=[0.25, 0.5], clip=False) on a
    # 400 x 400 image and a 1 x 1 feature map gives, after the two squares, the (w, h) pairs
    # (141.4214, 70.7107), (70.7107, 141.4214), (173.2051, 57.7350), (57.7350, 173.2051): the first of
    # each pair has w / h equal to the aspect ratio asked for (anchor_utils.py@6922d21, _generate_wh_pairs).
    shapes = anchorlib.anchor_shapes(0.25 * 400, [2, 3], [1], ratio_is="w/h")
    np.testing.assert_allclose(shapes, [[141.4214, 70.7107], [173.2051, 57.7350]], atol=5e-5)


def test_d2l_multibox_prior_run():
    # Run d2l-ai/d2l-en@23d7a5a chapter_computer-vision/anchor.md multibox_prior (PyTorch tab) on a
    # 100 x 100 input, sizes [0.5, 0.25], ratios [2, 0.5]: the anchors of pixel (50, 50), times 100, have
    # (w, h) = (70.7107, 35.3553) for (s=0.5, r=2) and (35.3553, 70.7107) for (s=0.5, r=0.5).
    # D2L: "aspect ratio (ratio of width to height)"; its size is a fraction of the image side.
    shapes = anchorlib.anchor_shapes(0.5 * 100, [2, 0.5], [1], ratio_is="w/h")
    np.testing.assert_allclose(shapes, [[70.7107, 35.3553], [35.3553, 70.7107]], atol=5e-5)


def test_ssd_paper_formula_by_hand():
    # Liu et al. 2016, section 2.2: w = s_k sqrt(a_r), h = s_k / sqrt(a_r). With s_k = 60 px and a_r = 2:
    # w = 60 * 1.41421356 = 84.8528, h = 60 / 1.41421356 = 42.4264 (a wide box).
    np.testing.assert_allclose(anchorlib.anchor_shapes(60, [2], [1], ratio_is="w/h"), [[84.8528, 42.4264]], atol=5e-5)


@given(positive, st.lists(ratio, min_size=1, max_size=5), st.lists(positive, min_size=1, max_size=4))
def test_w_over_h_is_the_reciprocal_ratio(base_size, ratios, scales):
    np.testing.assert_allclose(
        anchorlib.anchor_shapes(base_size, ratios, scales, ratio_is="w/h"),
        anchorlib.anchor_shapes(base_size, 1 / np.asarray(ratios), scales),
        rtol=1e-12,
    )


def test_ratio_orientation_table_names_a_source_for_each_library():
    table = anchorlib.RATIO_ORIENTATION
    width_over_height = {lib for lib, (way, _) in table.items() if way == "w/h"}
    assert width_over_height == {"tf-object-detection", "ssd", "torchvision-ssd", "d2l"}
    assert all(way in ("h/w", "w/h") and source for way, source in table.values())


def test_bad_ratio_orientation_raises_naming_the_argument():
    with pytest.raises(ValueError, match="ratio_is must be one of"):
        anchorlib.anchor_shapes(16, [1], [1], ratio_is="wh")
    with pytest.raises(ValueError, match="ratio_is"):
        anchorlib.base_anchors(16, [1], [1], ratio_is="H/W")


def test_sides_outside_floating_point_are_refused():
    # 1e308 / sqrt(1e-300) overflows float64 (issue 17, item 7): an error, never an inf anchor
    with pytest.raises(ValueError, match="beyond float64"):
        anchorlib.anchor_shapes(1e308, [1e-300], [1])
