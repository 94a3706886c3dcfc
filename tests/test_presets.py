"""Tests of the library-specific rounding in anchorlib.presets."""

import numpy as np
import pytest

import anchorlib
from anchorlib import AnchorConfig
from anchorlib.presets import py_faster_rcnn_base_anchors, torchvision_base_anchors


def anchors_per_level(image_shape, preset, feature_shapes=None, **overrides):
    """Each level's anchors of a preset (with overrides) on an image, through the public API."""
    config = AnchorConfig.from_preset(preset, **overrides)
    return [level.anchors for level in config.levels(image_shape, feature_shapes=feature_shapes)]


def test_py_faster_rcnn_matches_its_documented_array():
    # rbgirshick/py-faster-rcnn lib/rpn/generate_anchors.py @781a917 prints, in its header comment, the
    # anchors for base 16, ratios (0.5, 1, 2), scales (8, 16, 32) as a 1-based MATLAB array. The Python
    # code returns 0-based indices: exactly that array minus 1.
    documented_one_based = np.array([
        [-83, -39, 100, 56], [-175, -87, 192, 104], [-359, -183, 376, 200],
        [-55, -55, 72, 72], [-119, -119, 136, 136], [-247, -247, 264, 264],
        [-35, -79, 52, 96], [-79, -167, 96, 184], [-167, -343, 184, 360],
    ])
    np.testing.assert_array_equal(py_faster_rcnn_base_anchors(), documented_one_based - 1)


def test_py_faster_rcnn_184_by_96():
    # By hand: round(sqrt(256 / 0.5)) = round(22.63) = 23, round(23 * 0.5) = round(11.5) = 12 (half to
    # even), times scale 8: 184 x 96 inclusive pixels.
    x1, y1, x2, y2 = py_faster_rcnn_base_anchors(16, [0.5], [8])[0]
    assert (x2 - x1 + 1, y2 - y1 + 1) == (184, 96)
    assert (x1 + x2) / 2 == 7.5  # centre of the reference window [0, 15]


def test_torchvision_rounds_corners():
    # Verified by running torchvision 0.29.1 (AnchorGenerator(((32, 40, 50),), ((0.5, 1.0, 2.0),))):
    # P3 cell anchors have (w, h) (46,22) (56,28) (70,36) (32,32) (40,40) (50,50) (22,46) (28,56) (36,70).
    boxes = torchvision_base_anchors([32, 40, 50], [0.5, 1, 2])
    wh = boxes[:, 2:] - boxes[:, :2]
    expected = [[46, 22], [56, 28], [70, 36], [32, 32], [40, 40], [50, 50], [22, 46], [28, 56], [36, 70]]
    np.testing.assert_array_equal(wh, expected)


def test_torchvision_half_to_even():
    # Corners of a 101-pixel square are +-50.5; torch.round rounds half to even: +-50, so width 100.
    assert torchvision_base_anchors([101], [1]).tolist() == [[-50, -50, 50, 50]]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: torchvision_base_anchors([0], [1]), ValueError, "sizes must all be positive"),
        (lambda: torchvision_base_anchors([32], [-1]), ValueError, "ratios must all be positive"),
        (lambda: py_faster_rcnn_base_anchors(0), ValueError, "base_size must be positive"),
        (lambda: py_faster_rcnn_base_anchors(16, [1], [np.nan]), ValueError, "scales must be finite"),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


# --------------------------------------------------------------------------------------------------
# Whole-image presets, against each library's own unit tests and documented outputs.

from hypothesis import given, settings, strategies as st  # noqa: E402

from strategies import image_shapes  # noqa: E402

# open-mmlab/mmdetection tests/test_models/test_task_modules/test_prior_generators/
# test_anchor_generator.py @19bceba, test_retina_anchor and test_guided_anchor: the RetinaNet base
# anchors of P3 (the other levels are these times 2**k), 4 decimals.
MMDET_P3 = np.array([
    [-22.6274, -11.3137, 22.6274, 11.3137], [-28.5088, -14.2544, 28.5088, 14.2544],
    [-35.9188, -17.9594, 35.9188, 17.9594], [-16.0000, -16.0000, 16.0000, 16.0000],
    [-20.1587, -20.1587, 20.1587, 20.1587], [-25.3984, -25.3984, 25.3984, 25.3984],
    [-11.3137, -22.6274, 11.3137, 22.6274], [-14.2544, -28.5088, 14.2544, 28.5088],
    [-17.9594, -35.9188, 17.9594, 35.9188],
])


@pytest.mark.parametrize(
    "image, featmaps, valid",
    [
        # test_retina_anchor: featmaps of a 640 x 640 input and valid anchor counts.
        ((640, 640), [(80, 80), (40, 40), (20, 20), (10, 10), (5, 5)], [57600, 14400, 3600, 900, 225]),
        # test_guided_anchor: an 800 x 1216 input (1216 is not a multiple of 128).
        ((800, 1216), [(100, 152), (50, 76), (25, 38), (13, 19), (7, 10)], [136800, 34200, 8550, 2223, 630]),
    ],
)
def test_mmdet_retinanet_matches_its_unit_tests(image, featmaps, valid):
    levels = AnchorConfig.from_preset("mmdet-retinanet").levels(image)
    assert [lv.feature_shape for lv in levels] == featmaps
    anchors = anchors_per_level(image, "mmdet-retinanet")
    assert [len(a) for a in anchors] == valid  # every anchor of a padded input is valid
    for k, level in enumerate(anchors):
        np.testing.assert_allclose(level[:9], MMDET_P3 * 2**k, atol=1e-3)  # cell (0, 0), centre 0
        # last cell: shifted by (w - 1, h - 1) strides (mmdet's grid_priors, row-major)
        h, w = featmaps[k]
        shift = 8 * 2**k * np.array([w - 1, h - 1, w - 1, h - 1])
        np.testing.assert_allclose(level[-9:], MMDET_P3 * 2**k + shift, atol=1e-3)


def test_mmdet_strides_and_docstring():
    # test_anchor_generator.py::test_strides: AnchorGenerator([10], [1.], [1.], [10]) on a 2x2 grid.
    single = dict(ratios=[1.0], scales=[1.0], octave_base_scale=None, scales_per_octave=None)
    got = anchors_per_level((20, 20), "mmdet-retinanet", feature_shapes=[(2, 2)],
                                      strides=[10], base_sizes=[10], **single)
    assert got[0].tolist() == [[-5, -5, 5, 5], [5, -5, 15, 5], [-5, 5, 5, 15], [5, 5, 15, 15]]
    # AnchorGenerator docstring (anchor_generator.py @0802aee): AnchorGenerator([16], [1.], [1.], [9]).
    got = anchors_per_level((32, 32), "mmdet-retinanet", feature_shapes=[(2, 2)],
                                      strides=[16], base_sizes=[9], **single)
    assert got[0].tolist() == [[-4.5, -4.5, 4.5, 4.5], [11.5, -4.5, 20.5, 4.5],
                               [-4.5, 11.5, 4.5, 20.5], [11.5, 11.5, 20.5, 20.5]]


def test_mmdet_legacy_docstring_and_default():
    # LegacyAnchorGenerator docstring (anchor_generator.py @0802aee): ([16], [1.], [1.], [9],
    # center_offset=0.5) on a 2x2 grid.
    got = anchors_per_level(
        (32, 32), "mmdet-legacy-retinanet", feature_shapes=[(2, 2)], strides=[16], base_sizes=[9],
        ratios=[1.0], scales=[1.0], octave_base_scale=None, scales_per_octave=None,
    )
    assert got[0].tolist() == [[0, 0, 8, 8], [16, 0, 24, 8], [0, 16, 8, 24], [16, 16, 24, 24]]
    # By hand from LegacyAnchorGenerator.gen_single_level_base_anchors with the legacy_1.x RetinaNet
    # config (center_offset 0.5): P3 square at scale 4 is centred at 0.5 * (8 - 1) = 3.5 with
    # half-width (32 - 1) / 2 = 15.5, so [-12, -12, 19, 19]; it is anchor 3 (ratio 1, scale 4).
    for image in [(800, 800), (600, 1000)]:
        p3 = anchors_per_level(image, "mmdet-legacy-retinanet")[0]
        assert p3[3].tolist() == [-12, -12, 19, 19]
        assert p3[9 + 3].tolist() == [-4, -12, 27, 19]  # cell (0, 1): one stride (8) to the right


def test_mmdet_fasterrcnn_rpn():
    # configs/_base_/models/faster-rcnn_r50_fpn.py: scales [8], strides 4..64, so P2's square is
    # 8 * 4 = 32 centred on 0 and P6's is 8 * 64 = 512; 600 x 1000 pads to 608 x 1024.
    anchors = anchors_per_level((600, 1000), "mmdet-fasterrcnn")
    assert anchors[0][1].tolist() == [-16, -16, 16, 16]
    assert anchors[4][1].tolist() == [-256, -256, 256, 256]
    levels = AnchorConfig.from_preset("mmdet-fasterrcnn").levels((600, 1000))
    assert [lv.feature_shape for lv in levels] == [(152, 256), (76, 128), (38, 64), (19, 32), (10, 16)]


# facebookresearch/detectron2 tests/modeling/test_anchor_generator.py @273e3b9: sizes [[32, 64]],
# aspect ratios [[0.25, 1, 4]], stride 4, a 1 x 2 feature map; size-major order.
D2_OFFSET_0 = [
    [-32.0, -8.0, 32.0, 8.0], [-16.0, -16.0, 16.0, 16.0], [-8.0, -32.0, 8.0, 32.0],
    [-64.0, -16.0, 64.0, 16.0], [-32.0, -32.0, 32.0, 32.0], [-16.0, -64.0, 16.0, 64.0],
    [-28.0, -8.0, 36.0, 8.0], [-12.0, -16.0, 20.0, 16.0], [-4.0, -32.0, 12.0, 32.0],
    [-60.0, -16.0, 68.0, 16.0], [-28.0, -32.0, 36.0, 32.0], [-12.0, -64.0, 20.0, 64.0],
]
D2_OFFSET_HALF = [
    [-30.0, -6.0, 34.0, 10.0], [-14.0, -14.0, 18.0, 18.0], [-6.0, -30.0, 10.0, 34.0],
    [-62.0, -14.0, 66.0, 18.0], [-30.0, -30.0, 34.0, 34.0], [-14.0, -62.0, 18.0, 66.0],
    [-26.0, -6.0, 38.0, 10.0], [-10.0, -14.0, 22.0, 18.0], [-2.0, -30.0, 14.0, 34.0],
    [-58.0, -14.0, 70.0, 18.0], [-26.0, -30.0, 38.0, 34.0], [-10.0, -62.0, 22.0, 66.0],
]


@pytest.mark.parametrize("preset", ["detectron2-rpn", "detectron2-retinanet"])
@pytest.mark.parametrize("offset, expected", [(0.0, D2_OFFSET_0), (0.5, D2_OFFSET_HALF)])
def test_detectron2_matches_its_unit_tests(preset, offset, expected):
    got = anchors_per_level((4, 8), preset, feature_shapes=[(1, 2)], sizes=[[32, 64]],
                                      aspect_ratios=[[0.25, 1, 4]], strides=[4], offset=offset)
    assert got[0].tolist() == expected


def test_detectron2_default_configs_on_a_non_square_image():
    # Base-RetinaNet.yaml sizes x * 2**(k/3) (floats, not truncated), size-major: the first three
    # anchors of a cell are the three ratios of size 32. 600 x 1000 pads to 608 x 1024 (FPN
    # size_divisibility 32), so P7 is ceil(608/128) x ceil(1024/128) = 5 x 8.
    p3 = anchors_per_level((600, 1000), "detectron2-retinanet")[0]
    np.testing.assert_allclose(p3[[0, 1, 2]], MMDET_P3[[0, 3, 6]], atol=1e-3)  # size 32: ratios 0.5, 1, 2
    np.testing.assert_allclose(p3[[3, 4, 5]], MMDET_P3[[1, 4, 7]], atol=1e-3)  # size 32 * 2**(1/3)
    levels = AnchorConfig.from_preset("detectron2-retinanet").levels((600, 1000))
    assert levels[-1].feature_shape == (5, 8)
    rpn = anchors_per_level((600, 1000), "detectron2-rpn")
    assert rpn[0][:3].round(3).tolist() == [[-22.627, -11.314, 22.627, 11.314], [-16, -16, 16, 16],
                                            [-11.314, -22.627, 11.314, 22.627]]


def test_torchvision_matches_its_unit_test():
    # pytorch/vision test/test_models_detection_anchor_utils.py @05a1581, test_anchor_generator:
    # sizes ((10,),), ratios ((1,),), a 15 x 15 image tensor (no padding) with a 3 x 3 feature map.
    expected = [[-5, -5, 5, 5], [0, -5, 10, 5], [5, -5, 15, 5], [-5, 0, 5, 10], [0, 0, 10, 10],
                [5, 0, 15, 10], [-5, 5, 5, 15], [0, 5, 10, 15], [5, 5, 15, 15]]
    for preset in ["torchvision-retinanet", "torchvision-fasterrcnn"]:
        got = anchors_per_level((15, 15), preset, feature_shapes=[(3, 3)], sizes=((10,),),
                                          aspect_ratios=((1.0,),), size_divisible=1)
        assert got[0].tolist() == expected


@pytest.mark.parametrize(
    "image, p6, p7",
    [
        # By hand from AnchorGenerator.forward (torchvision/models/detection/anchor_utils.py @6922d21):
        # stride = image_size // grid_size with the batch padded to a multiple of 32
        # (GeneralizedRCNNTransform): 800 // 13 = 61, 800 // 7 = 114; 1344 // 21 = 64, 1344 // 11 = 122.
        ((800, 800), ((13, 13), (61, 61)), ((7, 7), (114, 114))),
        ((800, 1333), ((13, 21), (61, 64)), ((7, 11), (114, 122))),
    ],
)
def test_torchvision_integer_strides(image, p6, p7):
    levels = AnchorConfig.from_preset("torchvision-retinanet").levels(image)
    assert [(lv.feature_shape, lv.stride) for lv in levels[3:]] == [p6, p7]
    last = anchors_per_level(image, "torchvision-retinanet")[4][-9:]
    (h, w), (sy, sx) = p7
    centre = (last[:, :2] + last[:, 2:]) / 2
    np.testing.assert_array_equal(centre, [[(w - 1) * sx, (h - 1) * sy]] * 9)


def test_torchvision_retinanet_sizes_are_truncated_then_rounded():
    # retinanet.py @01fdb48: sizes int(x * 2**(k/3)) -> 64, 80, 101 at P4; the corners of a 101 square
    # are +-50.5, rounded half to even to +-50, so the square is 100 wide.
    p4 = anchors_per_level((600, 1000), "torchvision-retinanet")[1]
    assert (p4[3:6, 2] - p4[3:6, 0]).tolist() == [64, 80, 100]


def test_torchvision_fasterrcnn_pool_level():
    # faster_rcnn.py: sizes ((32,), (64,), (128,), (256,), (512,)) on '0'..'3' and 'pool'; the pool level
    # is max_pool2d(kernel 1, stride 2) of P5: ceil(25 / 2) = 13 at 800, stride 800 // 13 = 61.
    levels = AnchorConfig.from_preset("torchvision-fasterrcnn").levels((800, 1333))
    assert [(lv.feature_shape, lv.stride) for lv in levels] == [
        ((200, 336), (4, 4)), ((100, 168), (8, 8)), ((50, 84), (16, 16)), ((25, 42), (32, 32)),
        ((13, 21), (61, 64)),
    ]


@pytest.mark.parametrize("image, grid", [((16, 16), (2, 2)), ((40, 24), (5, 3))])
def test_keras_retinanet_matches_its_unit_test(image, grid):
    # fizyr/keras-retinanet tests/utils/test_anchors.py @7da2dea, test_anchors_for_shape_values:
    # size 12, stride 8, ratios [1, 2], scales [1, 2], anchor k of cell (row, col) centred at
    # (stride * (col + 1/2), stride * (row + 1/2)); guess_shapes gives ceil(n / 8) cells per axis.
    got = anchors_per_level(image, "keras-retinanet", sizes=[12], strides=[8],
                                      ratios=[1, 2], scales=[1, 2], pyramid_levels=[3])[0]
    assert got.shape == (grid[0] * grid[1] * 4, 4)
    k = 0
    for row in range(grid[0]):
        for col in range(grid[1]):
            for ratio in (1, 2):
                for scale in (1, 2):
                    cx, cy = 8 * (col + 0.5), 8 * (row + 0.5)
                    w, h = 12 * scale / np.sqrt(ratio), 12 * scale * np.sqrt(ratio)
                    np.testing.assert_almost_equal(got[k], [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 6)
                    k += 1


def test_keras_retinanet_dimensions():
    # test_anchors.py::test_anchors_for_shape_dimensions: 64 x 64, P3-P5, 4 ratios x 3 scales -> 1008.
    got = anchors_per_level((64, 64), "keras-retinanet", sizes=[32, 64, 128], strides=[8, 16, 32],
                                      ratios=[0.5, 1, 2, 3], scales=[1, 1.2, 1.6], pyramid_levels=[3, 4, 5])
    assert sum(len(a) for a in got) == 1008
    # Default configuration on 800 x 1333: guess_shapes ceil(n / 2**l), strides 8..128 fixed, so the
    # last P7 cell is (6, 10), centred at ((10 + 0.5) * 128, (6 + 0.5) * 128) = (1344, 832).
    p7 = anchors_per_level((800, 1333), "keras-retinanet")[4]
    assert len(p7) == 7 * 11 * 9
    np.testing.assert_allclose((p7[-1, :2] + p7[-1, 2:]) / 2, [1344, 832])


@pytest.mark.parametrize("image, grid", [((600, 1000), (38, 63)), ((224, 224), (14, 14))])
def test_py_faster_rcnn_grid(image, grid):
    # lib/rpn/anchor_target_layer.py @781a917: shift_x = arange(width) * feat_stride (16), added to
    # generate_anchors()' 9 anchors (checked above against its documented array); VGG16's conv5_3
    # has ceil(n / 16) cells (four ceil-mode 2x2 pools in Caffe).
    got = anchors_per_level(image, "py-faster-rcnn")[0]
    base = py_faster_rcnn_base_anchors()
    assert got.shape == (grid[0] * grid[1] * 9, 4)
    np.testing.assert_array_equal(got[:9], base)
    np.testing.assert_array_equal(got[-9:], base + 16 * np.array([grid[1] - 1, grid[0] - 1] * 2))


# Properties ---------------------------------------------------------------------------------------

# Where each convention puts the centre of cell (0, 0)'s anchors, by hand from each library's code.
PREDICTED_CENTRE = {
    "py-faster-rcnn": lambda stride: 7.5,  # (base_size - 1) / 2 of the inclusive window [0, 15]
    "keras-retinanet": lambda stride: stride / 2,  # (0 + 0.5) * stride
    "torchvision-retinanet": lambda stride: 0.0,
    "torchvision-fasterrcnn": lambda stride: 0.0,
    "mmdet-retinanet": lambda stride: 0.0,  # center_offset 0 times base size
    "mmdet-fasterrcnn": lambda stride: 0.0,
    "mmdet-legacy-retinanet": lambda stride: 0.5 * (stride - 1),  # before the corners are rounded
    "detectron2-retinanet": lambda stride: 0.0,  # cfg OFFSET 0.0 times stride
    "detectron2-rpn": lambda stride: 0.0,
}


@pytest.mark.parametrize("preset", list(anchorlib.PRESETS))
@settings(max_examples=15, deadline=None)
@given(image=image_shapes)
def test_preset_properties(preset, image):
    levels = AnchorConfig.from_preset(preset).levels(image)
    anchors = anchors_per_level(image, preset)
    for level, boxes in zip(levels, anchors):
        (h, w), (sy, sx), count = level.feature_shape, level.stride, len(level.cell_anchors)
        assert boxes.shape == (h * w * count, 4)  # anchor count = h * w * A
        grid = boxes.reshape(h, w, count, 4)
        # consecutive cells differ by exactly one stride (up to the rounding of the library's float
        # sum: 1 ulp of float64, or of float32 at coordinates below 2048 px, 2.4e-4)
        atol = 1e-9 if level.dtype == "float64" else 3e-4
        along_x = np.broadcast_to([sx, 0, sx, 0], grid[:, 1:].shape)
        np.testing.assert_allclose(grid[:, 1:] - grid[:, :-1], along_x, atol=atol)
        np.testing.assert_allclose(grid[1:] - grid[:-1], np.broadcast_to([0, sy, 0, sy], grid[1:].shape), atol=atol)
        centre = (grid[0, 0, :, :2] + grid[0, 0, :, 2:]) / 2
        predicted = PREDICTED_CENTRE[preset](sx)
        tolerance = 0.5 if preset == "mmdet-legacy-retinanet" else 1e-4  # rounded corners
        np.testing.assert_allclose(centre, predicted, atol=tolerance)


@given(image=image_shapes, offset=st.floats(0, 0.99))
@settings(max_examples=20, deadline=None)
def test_detectron2_offset_moves_every_centre(image, offset):
    base = anchors_per_level(image, "detectron2-rpn")
    moved = anchors_per_level(image, "detectron2-rpn", offset=offset)
    for k, (a, b) in enumerate(zip(base, moved)):
        np.testing.assert_allclose(b - a, offset * 4 * 2**k, atol=1e-3)


def test_presets_describe_their_source():
    for name, preset in anchorlib.PRESETS.items():
        assert preset.name == name and preset.description and "\n" not in preset.description
        repository_and_file, commit = preset.source.split("@")
        assert repository_and_file.count("/") >= 2 and len(commit) == 7
    assert len(anchorlib.PRESETS) == 9


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: anchors_per_level((800, 800), "yolo"), ValueError, "preset must be one of"),
        (lambda: anchors_per_level((800, 800), 3), TypeError, "preset must be a preset name"),
        (lambda: anchors_per_level((800, 800), "keras-retinanet", offset=0.5), TypeError,
         "unknown parameter.*offset.*accepted: sizes, strides, ratios, scales, pyramid_levels"),
        (lambda: anchors_per_level((0, 800), "keras-retinanet"), ValueError, r"image_shape\[0\] must be positive"),
        (lambda: anchors_per_level("800x800", "keras-retinanet"), TypeError, "image_shape must be"),
        (lambda: anchors_per_level((800, 800.5), "keras-retinanet"), TypeError, r"image_shape\[1\] must be an integer"),
        (lambda: anchors_per_level((800, 800), "keras-retinanet", feature_shapes=[(1, 1)]),
         ValueError, "feature_shapes must have one"),
        (lambda: anchors_per_level((800, 800), "mmdet-retinanet", feature_shapes=[(1, 0)] * 5),
         ValueError, r"feature_shapes\[0\]\[1\] must be positive"),
        (lambda: anchors_per_level((800, 800), "mmdet-retinanet", scales=[1]), ValueError,
         "set either scales or octave_base_scale"),
        (lambda: anchors_per_level((800, 800), "mmdet-retinanet", center_offset=2), ValueError,
         r"center_offset must be in \[0, 1\]"),
        (lambda: anchors_per_level((800, 800), "detectron2-rpn", offset=1.0), ValueError,
         r"offset must be in \[0, 1\)"),
        (lambda: anchors_per_level((800, 800), "detectron2-rpn", sizes=[[32]] * 3), ValueError,
         "sizes must have 1 or 5 entries"),
        (lambda: anchors_per_level((800, 800), "keras-retinanet", sizes=[32, 64]), ValueError,
         "sizes must have one entry per level"),
        (lambda: anchors_per_level((800, 800), "keras-retinanet", ratios=[-1]), ValueError,
         "ratios must all be positive"),
        (lambda: anchors_per_level((800, 800), "detectron2-rpn", strides=[4.5] * 5), ValueError,
         "strides must be whole numbers"),
        (lambda: anchors_per_level((800, 800), "torchvision-retinanet", size_divisible=0),
         ValueError, "size_divisible must be positive"),
    ],
)
def test_preset_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_torchvision_flat_sizes_are_one_size_per_level():
    # anchor_utils.py @6922d21, AnchorGenerator.__init__: "if not isinstance(sizes[0], (list, tuple)):
    # sizes = tuple((s,) for s in sizes)", so sizes=(32, 64) means two levels of one size each.
    levels = AnchorConfig.from_preset("torchvision-fasterrcnn", sizes=(32, 64), aspect_ratios=(1.0,)).levels((64, 64))
    assert [lv.cell_anchors.tolist() for lv in levels] == [[[-16, -16, 16, 16]], [[-32, -32, 32, 32]]]
    assert [lv.level for lv in levels] == [2, 3]


def test_numpy_arrays_are_accepted_as_parameters():
    lists = anchors_per_level((64, 96), "detectron2-retinanet", aspect_ratios=[[0.5, 1.0]])
    arrays = anchors_per_level((64, 96), "detectron2-retinanet", aspect_ratios=np.array([[0.5, 1.0]]))
    for a, b in zip(lists, arrays):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------------------------
# The configuration value itself: counts, facts, equality, levels and alignment.

RETINANET_LEVELS = dict(sizes=[32, 64, 128, 256, 512], strides=[8, 16, 32, 64, 128])


def test_count_and_memory_by_hand():
    config = AnchorConfig(**RETINANET_LEVELS)
    # ceil(800 / 2^l) = 100, 50, 25, 13, 7 cells per side for P3-P7, 9 anchors per cell
    assert config.count((800, 800)) == 9 * (100**2 + 50**2 + 25**2 + 13**2 + 7**2)
    # 1333 px: ceil(1333 / 2^l) = 167, 84, 42, 21, 11
    expected = 9 * (100 * 167 + 50 * 84 + 25 * 42 + 13 * 21 + 7 * 11)
    assert config.count((800, 1333)) == expected
    assert config.memory((800, 1333)) == 16 * expected  # float32 xyxy: 4 numbers of 4 bytes


@pytest.mark.parametrize("preset", ["keras-retinanet", "torchvision-retinanet", "detectron2-rpn", "py-faster-rcnn"])
def test_count_is_the_number_of_anchors_generated(preset):
    config = anchorlib.PRESETS[preset]
    assert config.count((800, 1333)) == len(config.anchors((800, 1333)))


def test_padding_is_a_fact_of_the_preset():
    # torchvision's GeneralizedRCNNTransform.batch_images pads to size_divisible = 32: 1333 -> 1344
    # (42 * 32); keras-retinanet and py-faster-rcnn do not pad. An override changes the divisor.
    assert anchorlib.PRESETS["torchvision-retinanet"].padded_shape((800, 1333)) == (800, 1344)
    assert anchorlib.PRESETS["keras-retinanet"].padded_shape((800, 1333)) == (800, 1333)
    assert AnchorConfig.from_preset("mmdet-retinanet", pad_size_divisor=128).padded_shape((800, 1333)) == (896, 1408)


def test_inclusive_and_dtype_facts():
    facts = {name: (config.inclusive, config.dtype) for name, config in anchorlib.PRESETS.items()}
    # inclusive "+1" corners: py-faster-rcnn (generate_anchors' _whctrs) and mmdetection's
    # LegacyAnchorGenerator (w - 1); float64 arithmetic: keras-retinanet's numpy and py-faster-rcnn's.
    assert [name for name, (inclusive, _) in facts.items() if inclusive] == ["py-faster-rcnn", "mmdet-legacy-retinanet"]
    assert [name for name, (_, dtype) in facts.items() if dtype == "float64"] == ["py-faster-rcnn", "keras-retinanet"]
    custom = AnchorConfig(sizes=[32], strides=[8])
    facts = (custom.name, custom.inclusive, custom.dtype, custom.source, custom.pad_divisor)
    assert facts == ("custom", False, "float64", None, 1)
    assert [c.fixed_strides for c in anchorlib.PRESETS.values()].count(False) == 2  # the torchvision presets


def test_configuration_is_a_frozen_comparable_value():
    a = AnchorConfig(sizes=[32, 64], strides=[8, 16], ratios=np.array([1.0]), scales=[1])
    b = AnchorConfig(sizes=(32, 64), strides=(8, 16), ratios=[1.0], scales=(1,))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != AnchorConfig(sizes=[32, 64], strides=[8, 16], ratios=[1.0], scales=[1], offset=0)
    assert AnchorConfig.from_preset("detectron2-rpn") == anchorlib.PRESETS["detectron2-rpn"]
    assert AnchorConfig.from_preset("detectron2-rpn", offset=0.5) != anchorlib.PRESETS["detectron2-rpn"]
    with pytest.raises(AttributeError):
        a.name = "other"
    with pytest.raises(TypeError):
        a.parameters["sizes"] = (1,)
    with pytest.raises(ValueError):
        a.levels((16, 16))[0].anchors[0, 0] = 1.0  # read-only
    moved = AnchorConfig.from_preset("detectron2-rpn", offset=0.5)
    assert repr(moved) == "AnchorConfig.from_preset('detectron2-rpn', offset=0.5)"
    assert eval(repr(a), {"AnchorConfig": AnchorConfig}) == a


def test_custom_configuration_by_hand():
    # One 16-px square every 8 px with offset 0.25: cell (i, j) centred at (8 j + 2, 8 i + 2); a
    # 20 x 12 image has ceil(20 / 8) = 3 rows and ceil(12 / 8) = 2 columns, row-major.
    config = AnchorConfig(sizes=[16], strides=[8], ratios=[1], scales=[1], offset=0.25)
    (level,) = config.levels((20, 12))
    assert (level.level, level.feature_shape, level.stride, level.offset) == (3, (3, 2), (8, 8), (0.25, 0.25))
    centres = [(2 + 8 * j, 2 + 8 * i) for i in range(3) for j in range(2)]
    assert config.anchors((20, 12)).tolist() == [[x - 8, y - 8, x + 8, y + 8] for x, y in centres]


def test_shape_order_and_disagreement():
    # keras-retinanet lists a cell ratio-major (scales fastest), detectron2 size-major (ratios
    # fastest): anchor k = 3 r + s of keras-retinanet is anchor 3 s + r of detectron2.
    image = (64, 64)
    kr = anchorlib.PRESETS["keras-retinanet"].levels(image)
    d2_half = AnchorConfig.from_preset("detectron2-retinanet", offset=0.5).levels(image)
    assert kr[0].shape_order(d2_half[0]).tolist() == [3 * s + r for r in range(3) for s in range(3)]
    # With offset 0.5 the two libraries place the same boxes, up to detectron2's float32 arithmetic.
    assert all(a.disagreement(b) < 1e-4 for a, b in zip(kr, d2_half))
    # One anchor per cell against nine: no pairing, no number.
    assert anchorlib.PRESETS["detectron2-rpn"].levels(image)[1].disagreement(kr[0]) is None
    with pytest.raises(ValueError, match="as many anchors per cell"):
        anchorlib.PRESETS["detectron2-rpn"].levels(image)[1].shape_order(kr[0])
    with pytest.raises(TypeError, match="other must be an AnchorLevel"):
        kr[0].disagreement("P3")


def test_keras_retinanet_resize_by_hand():
    # compute_resize_scale (keras_retinanet/utils/image.py): 375 x 500 -> scale 800 / 375, the long
    # side 500 * 800 / 375 = 1066.67 stays under 1333 and cv2 rounds it to 1067; 400 x 1600 would
    # become 800 x 3200, so the scale is 1333 / 1600 instead: 400 * 0.833125 = 333.25 -> 333.
    keras = anchorlib.PRESETS["keras-retinanet"]
    assert keras.resize((375, 500)) == (800 / 375, (800, 1067))
    assert keras.resize((400, 1600)) == (1333 / 1600, (333, 1333))
    py_faster_rcnn_like = AnchorConfig.from_preset("keras-retinanet", image_min_side=600, image_max_side=1000)
    assert py_faster_rcnn_like.resize((500, 500)) == (1.2, (600, 600))
    with pytest.raises(ValueError, match="image_max_side must be positive"):
        AnchorConfig.from_preset("keras-retinanet", image_max_side=0)
    with pytest.raises(ValueError, match="custom has no modelled resize rule"):
        AnchorConfig(sizes=[32], strides=[8]).resize((600, 800))


def test_resize_and_keep_ratio_wh_share_one_rule():
    # keras_retinanet/utils/image.py compute_resize_scale, by hand: a 480 x 640 image -> 800 / 480;
    # a 500 x 2000 image would be 800 x 3200, so 1333 / 2000. keep_ratio_wh scales a box by the same.
    keras = anchorlib.PRESETS["keras-retinanet"]
    for height, width in ((480, 640), (500, 2000)):
        scale, _ = keras.resize((height, width))
        wh = anchorlib.keep_ratio_wh([[0, 0, 100, 50]], [[width, height]], 800, 1333)
        assert wh.tolist() == [[100 * scale, 50 * scale]]
    assert keras.resize((480, 640))[0] == 800 / 480 and keras.resize((500, 2000))[0] == 1333 / 2000


def _golden_assign_calls() -> set[str]:
    import json
    from pathlib import Path

    calls = set()
    for meta in Path(__file__).parent.glob("conformance/*/meta.json"):
        calls |= {g["anchorlib"] for g in json.loads(meta.read_text())["groups"] if g["kind"] == "assign"}
    return calls


@pytest.mark.parametrize("preset", sorted(anchorlib.PRESETS))
def test_each_preset_assigns_as_a_call_replayed_against_its_library(preset):
    # The thresholds were read from each detector's default config (retinanet.py / faster_rcnn.py,
    # retinanet_r50_fpn.py / faster-rcnn_r50_fpn.py, Base-RetinaNet.yaml / Base-RCNN-FPN.yaml); each
    # preset's keywords must be one of the calls that the goldens replay against the library itself.
    assignment = anchorlib.PRESETS[preset].assignment
    call = "assign(anchors, gts, " + ", ".join(f"{k}={v!r}" for k, v in assignment.items()) + ")"
    assert call in _golden_assign_calls()
    two_stage = any(word in preset for word in ("rpn", "fasterrcnn", "py-faster-rcnn"))
    positive = assignment.get("positive_iou", anchorlib.ASSIGNMENT_RULES[assignment["rule"]][0])
    assert positive == (0.7 if two_stage else 0.5)


def test_custom_configuration_has_no_assignment():
    with pytest.raises(ValueError, match="no library's assignment rule"):
        _ = AnchorConfig(sizes=[32], strides=[8]).assignment


# Which real network each preset's feature-shape rule stands for, and the preset's name for its padding.
_MEASURED_BACKBONES = {
    "torchvision-resnet50": ("torchvision-retinanet", {"size_divisible": 1}),
    "torchvision-fasterrcnn-resnet50": ("torchvision-fasterrcnn", {"size_divisible": 1}),
    "detectron2-resnet50": ("detectron2-retinanet", {"size_divisibility": 1}),
    "detectron2-fasterrcnn-resnet50": ("detectron2-rpn", {"size_divisibility": 1}),
    "keras-retinanet-1.0-resnet50": ("keras-retinanet", {}),
}


@pytest.mark.parametrize("library", ["receptive_torch", "receptive_keras"])
def test_feature_shapes_are_those_of_the_real_backbones(library):
    # The goldens ran the real networks (torchvision 0.29.1, detectron2 @02b5c4e, keras-retinanet 1.0.0
    # on keras-resnet 0.2.0) on inputs 32 x n and counted the cells of each P_l along x. The preset,
    # with its padding switched off so that it sees the same n, must lay out as many columns.
    import json
    from pathlib import Path

    folder = Path(__file__).parent / "conformance" / library
    groups = json.loads((folder / "meta.json").read_text())["groups"]
    checked = 0
    with np.load(folder / "goldens.npz") as arrays:
        for group in groups:
            if group["path"] != "fpn":
                continue
            preset, no_padding = _MEASURED_BACKBONES[group["backbone"]]
            config = AnchorConfig.from_preset(preset, **no_padding)
            columns = group["columns"]
            rows = arrays[group["group"] + "/rows"]
            measured = {(int(r[columns.index("input size")]), int(r[columns.index("level")])):
                        int(r[columns.index("cells")]) for r in rows}
            for (n, level), cells in measured.items():
                shapes = {lv.level: lv.feature_shape for lv in config.levels((32, n))}
                assert shapes[level][1] == cells, (preset, n, level)
                checked += 1
    assert checked >= 50  # 10 widths x 5 levels per backbone
