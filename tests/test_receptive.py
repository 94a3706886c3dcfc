"""Tests of anchorlib.receptive: padding rules, receptive-field arithmetic, brute-force simulation."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import anchorlib
from anchorlib import Layer, level_geometry, receptive_fields, simulate, trace, true_centers

from strategies import layer_chains

SIZES = (256, 257, 333, 512, 800, 1333)


def clipped_fields(geometry, input_size):
    """Boolean (size, input_size) mask of the analytic receptive fields, clipped to the input."""
    start = geometry.start0 + geometry.stride * np.arange(geometry.size)[:, None]
    pixels = np.arange(input_size)[None, :]
    return (pixels >= start) & (pixels < start + geometry.rf)


# --- padding rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "kernel, n, size, before, after",
    [
        # TensorFlow 'same' (tf.nn "Notes on padding": out = ceil(n / s),
        # pad = max((out - 1) * s + k - n, 0), pad_before = pad // 2, pad_after = pad - pad_before),
        # stride 2, worked by hand:
        (3, 25, 13, 1, 1),  # pad = 12*2 + 3 - 25 = 2: symmetric (keras-retinanet P6 at 800)
        (3, 13, 7, 1, 1),  # pad = 6*2 + 3 - 13 = 2 (P7 at 800)
        (3, 50, 25, 0, 1),  # pad = 24*2 + 3 - 50 = 1: the odd pad goes after
        (3, 400, 200, 0, 1),  # keras-resnet's pool1 at 800
        (2, 5, 3, 0, 1),  # pad = 2*2 + 2 - 5 = 1
        (1, 5, 3, 0, 0),  # pad = max(2*2 + 1 - 5, 0) = 0
        (7, 224, 112, 2, 3),  # pad = 111*2 + 7 - 224 = 5
    ],
)
def test_tensorflow_same(kernel, n, size, before, after):
    g = trace([Layer(kernel, 2, "same")], n)[0]
    assert (g.size, g.pad_before, g.pad_after) == (size, before, after)
    assert g.start0 == -before


@pytest.mark.parametrize(
    "layer, n, size, before, after",
    [
        # PyTorch Conv2d / MaxPool2d docs: out = floor((n + 2p - d(k - 1) - 1) / s + 1), by hand:
        (Layer(3, 2, 1), 50, 25, 1, 0),  # last window starts at 24*2 - 1 = 47: pixels 47..49, right pad unused
        (Layer(3, 2, 1), 25, 13, 1, 1),  # last window 23..25: reaches the right pad
        (Layer(7, 2, 3), 800, 400, 3, 2),  # last window starts at 399*2 - 3 = 795: 795..801
        (Layer(1, 2, 0), 25, 13, 0, 0),
        (Layer(3, 1, 2, dilation=2), 10, 10, 2, 2),  # k_eff = 5, "same" size with dilation 2
        # MaxPool2d(ceil_mode=True): "sliding windows that would start in the right padded region are
        # ignored". SSD300's pool3 (2x2/2, ceil_mode) turns 75 into 38 (the 38 x 38 conv4_3 map):
        (Layer(2, 2, 0, ceil_mode=True), 75, 38, 0, 1),
        (Layer(2, 2, 0), 75, 37, 0, 0),
        # k 3, s 2, p 0 on 6: ceil(3 / 2) + 1 = 3 windows, the last starting at pixel 4 inside the input
        (Layer(3, 2, 0, ceil_mode=True), 6, 3, 0, 1),
        # k 2, s 2, p 1 on 5: ceil(5 / 2) + 1 = 4, but window 4 would start at pixel 5 = right pad: 3
        (Layer(2, 2, 1, ceil_mode=True), 5, 3, 1, 0),
        # explicit (before, after), as ZeroPadding2D then 'valid'
        (Layer(3, 2, (1, 0)), 6, 3, 1, 0),  # windows at -1, 1, 3: the last ends on pixel 5
    ],
)
def test_pytorch_and_explicit_padding(layer, n, size, before, after):
    g = trace([layer], n)[0]
    assert (g.size, g.pad_before, g.pad_after) == (size, before, after)
    assert simulate([layer], n).shape == (size, n)


def test_hand_chain():
    # 3x3/1 pad 1, 2x2/2 valid, 3x3/1 pad 1 on 10 pixels, Araujo et al. closed forms by hand:
    # rf 3, 3 + 1*1 = 4, 4 + 2*2 = 8; stride 1, 2, 2; start -1, -1, -1 - 1*2 = -3; centre -3 + 8/2 = 1.
    chain = [Layer(3, 1, 1), Layer(2, 2, "valid"), Layer(3, 1, 1)]
    records = trace(chain, 10)
    assert [(g.size, g.stride, g.rf, g.start0) for g in records] == [(10, 1, 3, -1), (5, 2, 4, -1), (5, 2, 8, -3)]
    assert records[-1].center0 == 1.0
    reach = simulate(chain, 10)
    # cell 0 sees pixels -3..4, clipped to 0..4; cell 4 sees 5..12, clipped to 5..9
    assert np.flatnonzero(reach[0]).tolist() == [0, 1, 2, 3, 4]
    assert np.flatnonzero(reach[4]).tolist() == [5, 6, 7, 8, 9]


# --- backbones ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "backbone, fields",
    [
        # By hand with rf += (k - 1) * S: stem 7/2 -> 7; pool 3/2 -> 11; three 3/1 -> 35; then at S = 8
        # four 3/1 (+64) and the FPN 3/1 (+16) -> 115, ... as in the seed's fact check (§3.3).
        ("keras-retinanet-resnet50", (115, 323, 547, 547, 675)),
        ("keras-applications-resnet50", (115, 323, 547, 547, 675)),
        ("detectron2-resnet50", (115, 323, 547, 547, 675)),
        # 3 + 2 = 5, pool +1 (S 2), +8, pool +2 (S 4), +24, pool +4 (S 8), FPN +16 -> 60
        ("keras-retinanet-vgg16", (60, 132, 276, 276, 404)),
        # stride in the 3x3: 35 + 2*4 (3/2) + 3*2*8 + 16 -> 107; P6 from P5: 491 + 2*32 = 555
        ("torchvision-resnet50", (107, 299, 491, 555, 683)),
    ],
)
def test_receptive_field_sizes(backbone, fields):
    assert tuple(level_geometry(backbone, level, 800).rf for level in range(3, 8)) == fields
    assert tuple(level_geometry(backbone, level, 800).stride for level in range(3, 8)) == (8, 16, 32, 64, 128)


@pytest.mark.parametrize("backbone", ["torchvision-fasterrcnn-resnet50", "detectron2-fasterrcnn-resnet50"])
def test_faster_rcnn_p2_to_p6(backbone):
    # By hand: stem 7/2 -> 7, pool 3/2 -> 11, three 3x3 at S = 4 -> 35, FPN 3x3 output conv +8 -> 43.
    # P3-P5 as the RetinaNet chains; P6 = max_pool2d(P5, 1, 2): a 1 x 1 window adds nothing, stride 64.
    retinanet = backbone.replace("-fasterrcnn", "")
    g = [level_geometry(backbone, level, 800) for level in range(2, 7)]
    assert [x.rf for x in g[:4]] == [43] + [level_geometry(retinanet, level, 800).rf for level in (3, 4, 5)]
    assert g[4].rf == g[3].rf
    assert [x.stride for x in g] == [4, 8, 16, 32, 64]
    assert [x.size for x in g] == [200, 100, 50, 25, 13]


@pytest.mark.parametrize(
    "backbone, c5",
    [
        # C5's field = P5's minus the output conv's (3 - 1) * 32 = 64 (P5 rf from the test above)
        ("torchvision-resnet50", 491 - 64),
        ("torchvision-fasterrcnn-resnet50", 491 - 64),
        ("detectron2-resnet50", 547 - 64),
        ("keras-retinanet-resnet50", 547 - 64),
        ("keras-retinanet-1.0-resnet50", 547 - 64),
        ("keras-retinanet-vgg16", 276 - 64),
    ],
)
def test_fpn_field_sizes_by_hand(backbone, c5):
    # By hand: a P3 or P4 cell j sees C3/C4/C5 cells whose fields all lie inside the C5 cell's
    # (C5's field is the widest and nearest upsampling keeps the cells aligned), then the 3 x 3 output
    # conv takes cells j - 1, j, j + 1. At P3 (C5 cell = j // 4) they map to one C5 cell or to two
    # neighbouring ones (32 px apart): an interior cell sees c5 or c5 + 32 pixels, the 427-459
    # (torchvision), 483-515 (detectron2, Keras ResNets), 212-244 (VGG16). At P4 (j // 2) three
    # neighbours always span two C5 cells: c5 + 32. P5 and above are unchanged.
    for level, widths in ((3, {c5, c5 + 32}), (4, {c5 + 32})):
        fields = receptive_fields(backbone, level, 1024, "fpn", clip=False)
        assert set((fields[1:-1, 1] - fields[1:-1, 0] + 1).tolist()) == widths, level
    for level in (5, 6):
        lateral = receptive_fields(backbone, level, 1024, "lateral", clip=False)
        np.testing.assert_array_equal(receptive_fields(backbone, level, 1024, "fpn", clip=False), lateral)


FPN_SIZES = (1, 31, 64, 97, 100, 256, 257, 333, 640)
DETECTRON2_SIZES = (32, 64, 96, 256, 320, 640)  # its FPN takes only sizes whose maps double exactly


@pytest.mark.parametrize("backbone", sorted(anchorlib.BACKBONES))
def test_fpn_fields_match_simulation_on_every_cell(backbone):
    sizes = DETECTRON2_SIZES if backbone.startswith("detectron2") else FPN_SIZES
    for n in sizes:
        for level in anchorlib.BACKBONES[backbone].levels:
            try:
                trace(anchorlib.BACKBONES[backbone].levels[level], n)
            except ValueError:
                continue  # no cell at this level (n = 1, 31)
            for path in ("lateral", "fpn"):
                try:
                    fields = receptive_fields(backbone, level, n, path)
                except ValueError:  # a coarser level the top-down path needs has no cell
                    with pytest.raises(ValueError, match="too small"):
                        simulate(backbone, n, level=level, path=path)
                    break
                reach = simulate(backbone, n, level=level, path=path)
                pixels = np.arange(n)[None, :]
                mask = (pixels >= fields[:, :1]) & (pixels <= fields[:, 1:])
                np.testing.assert_array_equal(reach, mask, err_msg=f"{backbone} P{level} n={n} {path}")
            else:  # the full field contains the lateral one, padding counted
                lateral = receptive_fields(backbone, level, n, "lateral", clip=False)
                full = receptive_fields(backbone, level, n, "fpn", clip=False)
                assert np.all(full[:, 0] <= lateral[:, 0]) and np.all(full[:, 1] >= lateral[:, 1])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 900))
def test_torchvision_fpn_any_size(n):
    for level in (2, 3, 4):
        reach = simulate("torchvision-fasterrcnn-resnet50", n, level=level, path="fpn")
        fields = receptive_fields("torchvision-fasterrcnn-resnet50", level, n, "fpn")
        np.testing.assert_array_equal(np.flatnonzero(reach[-1])[[0, -1]], fields[-1])
        np.testing.assert_array_equal(reach.argmax(axis=1), fields[:, 0])
        np.testing.assert_array_equal(n - 1 - reach[:, ::-1].argmax(axis=1), fields[:, 1])


def test_nearest_upsampling_rules():
    # By hand. torchvision, P3 on 100 px: C3 13 cells, C4 7; F.interpolate(size=13) copies C4 cell
    # floor(j * 7 / 13) into C3 cell j: 0 0 1 1 2 2 3 3 4 4 5 5 6 (float32 7/13 = 0.53846...).
    # The C4 source of C3 cell 12 is C4 cell 6, whose field ends at the C4 field of the last cell.
    from anchorlib.receptive import _nearest_source

    assert _nearest_source("size", 13, 7, "t", 3, 100).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    # 25 from 13: scale 0.52, cells 22, 23, 24 -> floor(11.44), floor(11.96), floor(12.48)
    assert _nearest_source("size", 25, 13, "t", 3, 200).tolist()[-3:] == [11, 11, 12]
    assert _nearest_source("double", 8, 4, "d", 3, 64).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="input_size=100"):
        receptive_fields("detectron2-resnet50", 3, 100, "fpn")


@pytest.mark.parametrize("backbone", sorted(anchorlib.BACKBONES))
@pytest.mark.parametrize("n", SIZES + (97, 640))
def test_arithmetic_matches_simulation_on_every_cell(backbone, n):
    for level, chain in anchorlib.BACKBONES[backbone].levels.items():
        geometry = trace(chain, n)[-1]
        reach = simulate(chain, n)
        assert reach.shape == (geometry.size, n), (backbone, n, level)
        np.testing.assert_array_equal(reach, clipped_fields(geometry, n), err_msg=f"{backbone} P{level} n={n}")


def test_centres_at_800():
    # By hand. VGG16: 3x3/1 'same' convs pad 1 on both sides (centre fixed), each 2x2/2 pool moves the
    # centre by S/2: 0.5 + 0.5 + 1 + 2 = 4 at C3, 8 at C4, 16 at C5; at 800 C5 = 25 and P6 = 13 are odd,
    # so P6/P7 pad (1, 1) and keep 16 (the source notes' 4, 8, 16, 16, 16).
    # torchvision: every pad is symmetric, centre 0.5 (conv1: -3 + 7/2) at every level and size.
    # keras-resnet: conv1 output 400 is even, pool1 'same' pads (0, 1): -3 + 11/2 = 2.5, then symmetric.
    expected = {
        "keras-retinanet-vgg16": (4, 8, 16, 16, 16),
        "torchvision-resnet50": (0.5,) * 5,
        "keras-retinanet-resnet50": (2.5,) * 5,
    }
    for backbone, centres in expected.items():
        assert tuple(level_geometry(backbone, level, 800).center0 for level in range(3, 8)) == centres


@settings(max_examples=60, deadline=None)
@given(st.integers(64, 2000))
def test_keras_resnet_centre_follows_pool1_parity(n):
    # By hand: conv1 (pad 3, 7/2) gives ceil(n / 2) cells centred 0.5; TF 'same' pool1 pads (0, 1) on an
    # even input (centre + 2) and (1, 1) on an odd one; everything up to C5 is then symmetric.
    conv1 = (n + 1) // 2
    expected = 2.5 if conv1 % 2 == 0 else 0.5
    for level in (3, 4, 5):
        assert level_geometry("keras-retinanet-resnet50", level, n).center0 == expected
    # P6 ('same' 3x3/2 on C5): an even C5 pads (0, 1), moving the centre by one C5 stride (32)
    c5 = level_geometry("keras-retinanet-resnet50", 5, n).size
    assert level_geometry("keras-retinanet-resnet50", 6, n).center0 == expected + (32 if c5 % 2 == 0 else 0)


@settings(max_examples=150, deadline=None)
@given(layer_chains(), st.integers(1, 60))
def test_random_chains_match_simulation(chain, n):
    try:
        records = trace(chain, n)
    except ValueError:
        with pytest.raises(ValueError, match="too small"):
            simulate(chain, n)
        return
    reach = simulate(chain, n)
    geometry = records[-1]
    assert reach.shape == (geometry.size, n)
    field = clipped_fields(geometry, n)
    # Always: every pixel the brute force reaches lies in the analytic field.
    assert not np.any(reach & ~field)
    # Exactly equal when no layer leaves holes (dilation, kernel shorter than the stride), none drops the
    # end of its input (a 'valid' window that stops short: a later pad then stands where those pixels
    # were, and the analytic interval still counts them) and no window lies wholly in the padding.
    sizes = [n] + [g.size for g in records[:-1]]
    covers = all(
        (g.size - 1) * layer.stride + layer.kernel >= g.pad_before + size
        and max(g.pad_before, g.pad_after) < layer.kernel  # no window wholly in the padding either
        for layer, g, size in zip(chain, records, sizes)
    )
    if covers and all(layer.dilation == 1 and layer.kernel >= layer.stride for layer in chain):
        np.testing.assert_array_equal(reach, field)


def test_true_centers_fpn():
    # lateral path: the closed form's centre; fpn path: the midpoint of the unclipped FPN field
    for path in ("lateral", "fpn"):
        fields = receptive_fields("detectron2-resnet50", 3, 320, path, clip=False)
        centres = true_centers("detectron2-resnet50", 3, (64, 320), path=path)
        np.testing.assert_array_equal(centres[:40, 0], (fields[:, 0] + fields[:, 1] + 1) / 2)


def test_true_centers_one_call():
    # 800 x 1333 on keras-retinanet: centre = center0 + i * 64 per axis. Height 800: 2.5 (above);
    # width 1333: conv1 gives 667 (odd) so pool1 pads (1, 1), centre 0.5, and C5 = 42 is even, so P6
    # pads (0, 1) and moves it by 32: 32.5. Cell (row 12, col 12): (32.5 + 768, 2.5 + 768).
    centre = true_centers("keras-retinanet-resnet50", 6, (800, 1333), cells=(12, 12))
    assert centre.tolist() == [[800.5, 770.5]]
    every = true_centers("keras-retinanet-resnet50", 6, (800, 1333))
    assert every.shape == (13 * 21, 2)
    np.testing.assert_array_equal(every[12 * 21 + 12], centre[0])
    # same layout as cell_centers: the difference to it is the per-axis offset of cell 0
    grid = anchorlib.cell_centers((13, 21), 64, offset=0)
    np.testing.assert_array_equal(every - grid, np.broadcast_to([32.5, 2.5], every.shape))


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((0, 1, 0), {}, ValueError, "kernel"),
        ((2.5, 1, 0), {}, TypeError, "kernel"),
        ((3, -2, 0), {}, ValueError, "stride"),
        ((3, True, 0), {}, TypeError, "stride"),
        ((3, 1, "SAME"), {}, ValueError, "padding"),
        ((3, 1, -1), {}, ValueError, "padding"),
        ((3, 1, (1, 2, 3)), {}, ValueError, "padding"),
        ((3, 1, (1, -1)), {}, ValueError, r"padding\[1\]"),
        ((3, 1, 1.5), {}, TypeError, "padding"),
        ((3, 1, "same"), {"ceil_mode": True}, ValueError, "ceil_mode"),
        ((3, 1, 0), {"ceil_mode": 1}, TypeError, "ceil_mode"),
        ((3, 2, 2), {"ceil_mode": True}, ValueError, "at most half"),
        ((3, 1, 0), {"dilation": 0}, ValueError, "dilation"),
    ],
)
def test_bad_layers(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        Layer(*args, **kwargs)


def test_bad_chains_and_sizes():
    with pytest.raises(ValueError, match="empty"):
        trace([], 10)
    with pytest.raises(TypeError, match="single Layer"):
        trace(Layer(3, 1, 1), 10)
    with pytest.raises(TypeError, match=r"layers\[1\]"):
        trace([Layer(3, 1, 1), (3, 1, 1)], 10)
    with pytest.raises(ValueError, match="input_size"):
        trace([Layer(3, 1, 1)], 0)
    with pytest.raises(ValueError, match="too small"):
        trace([Layer(7, 2, "valid")], 5)
    with pytest.raises(ValueError, match="too small"):
        simulate([Layer(7, 2, "valid")], 5)
    with pytest.raises(ValueError, match="backbone"):
        level_geometry("resnet50", 3, 800)
    with pytest.raises(TypeError, match="backbone"):
        level_geometry(None, 3, 800)
    with pytest.raises(ValueError, match="level"):
        level_geometry("torchvision-resnet50", 2, 800)
    with pytest.raises(ValueError, match="outside"):
        true_centers("torchvision-resnet50", 7, 800, cells=(7, 0))
    with pytest.raises(TypeError, match="cells"):
        true_centers("torchvision-resnet50", 7, 800, cells=(0.5, 0))
    with pytest.raises(ValueError, match="image_shape"):
        true_centers("torchvision-resnet50", 7, (800, 1333, 3))
    with pytest.raises(ValueError, match="path"):
        receptive_fields("torchvision-resnet50", 3, 800, "top-down")
    with pytest.raises(TypeError, match="path"):
        receptive_fields("torchvision-resnet50", 3, 800, None)
    with pytest.raises(TypeError, match="clip"):
        receptive_fields("torchvision-resnet50", 3, 800, "fpn", clip=1)
    with pytest.raises(ValueError, match="input_size"):
        receptive_fields("torchvision-resnet50", 3, 0, "fpn")
    with pytest.raises(ValueError, match="too small"):
        receptive_fields("keras-retinanet-vgg16", 3, 31, "fpn")  # P3 has cells, C5 has none
    with pytest.raises(ValueError, match="level"):
        receptive_fields("torchvision-resnet50", 2, 800, "fpn")
    with pytest.raises(ValueError, match="path"):
        true_centers("torchvision-resnet50", 3, 800, path="FPN")
    with pytest.raises(TypeError, match="level and path"):
        simulate([Layer(3, 1, 1)], 10, path="fpn")
    with pytest.raises(TypeError, match="level"):
        simulate("torchvision-resnet50", 10, level=None, path="fpn")


def test_backbones_are_read_only_and_cite_sources():
    with pytest.raises(TypeError):
        anchorlib.BACKBONES["mine"] = None
    for name, backbone in anchorlib.BACKBONES.items():
        assert backbone.name == name
        expected = [2, 3, 4, 5, 6] if "fasterrcnn" in name else [3, 4, 5, 6, 7]
        assert sorted(backbone.levels) == expected and backbone.fpn == tuple(range(expected[0], 6))
        assert "@" in backbone.source or " v0.1.0 = " in backbone.source or "0.29.1 (PyPI)" in backbone.source
