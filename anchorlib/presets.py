"""Each library's exact anchor convention.

The unrounded arithmetic of :mod:`anchorlib.shapes` is what keras-retinanet, mmdetection (v2+) and
detectron2 compute. Two libraries round, and their anchors are not the same boxes:

* torchvision (``AnchorGenerator.generate_anchors``, ``torchvision/models/detection/anchor_utils.py``)
  computes the corners ``(-w/2, -h/2, w/2, h/2)`` in float32 and then rounds them half-to-even, so
  a 32-pixel anchor at ratio 0.5 becomes 46 x 22 instead of 45.25 x 22.63.
* py-faster-rcnn (``lib/rpn/generate_anchors.py``) works with inclusive pixel indices
  (``w = x2 - x1 + 1``), rounds the width and height at the base size 16 and only then multiplies
  by the scale: ratio 0.5 at scale 8 is 184 x 96 (area 17,664, not 128**2 = 16,384).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import positive_int, positive_scalar, positive_vector, real_scalar
from .grid import shift
from .shapes import octave_scales

__all__ = [
    "PRESETS",
    "AnchorLevel",
    "Preset",
    "anchor_levels",
    "anchors_for_image",
    "detectron2_base_anchors",
    "keras_retinanet_base_anchors",
    "mmdet_base_anchors",
    "py_faster_rcnn_base_anchors",
    "torchvision_base_anchors",
]


def torchvision_base_anchors(sizes: ArrayLike, ratios: ArrayLike) -> np.ndarray:
    """One cell's anchors exactly as torchvision's ``AnchorGenerator`` makes them.

    Parameters
    ----------
    sizes : array_like of float
        Anchor sides at ratio 1 (torchvision's ``sizes`` of one level).
    ratios : array_like of float
        Aspect ratios ``h / w``.

    Returns
    -------
    numpy.ndarray, shape (len(ratios) * len(sizes), 4)
        ``xyxy`` boxes centred on 0, ratio-major with sizes fastest, computed in float32 and
        rounded half-to-even like ``torch.round``; returned as float64.

    Notes
    -----
    Bit-exact against torchvision 0.29.1 for every preset at 13 image sizes and for 300 random
    ``(sizes, ratios)`` cells (``tests/conformance/torchvision``). Where it ends: torch's float32
    ``sqrt`` is not correctly rounded (it differs from numpy's, which is, in about 17 % of random
    float32 ratios), and when a corner lands within that last bit of a half-pixel the rounding goes
    the other way: ``generate_anchors([916], [0.08559035394174473])`` gives ``x1 = -1565`` in
    torchvision, ``-1566`` here. No such case was found in 20,000 random (size, ratio) pairs; the
    default ratios 0.5, 1, 2 are unaffected.

    Examples
    --------
    >>> torchvision_base_anchors([32], [0.5, 1, 2]).tolist()
    [[-23.0, -11.0, 23.0, 11.0], [-16.0, -16.0, 16.0, 16.0], [-11.0, -23.0, 11.0, 23.0]]
    """
    size = positive_vector(sizes, "sizes").astype(np.float32)
    ratio = positive_vector(ratios, "ratios").astype(np.float32)
    h_ratios = np.sqrt(ratio)
    w_ratios = np.float32(1) / h_ratios
    ws = (w_ratios[:, None] * size[None, :]).reshape(-1)
    hs = (h_ratios[:, None] * size[None, :]).reshape(-1)
    corners = np.stack([-ws, -hs, ws, hs], axis=1) / np.float32(2)
    return np.round(corners).astype(np.float64)  # np.round is half-to-even, like torch.round


def py_faster_rcnn_base_anchors(
    base_size: float = 16, ratios: ArrayLike = (0.5, 1, 2), scales: ArrayLike = (8, 16, 32)
) -> np.ndarray:
    """One cell's anchors exactly as py-faster-rcnn's ``generate_anchors`` returns them.

    The boxes are **inclusive** pixel indices: a box ``[x1, y1, x2, y2]`` covers
    ``x2 - x1 + 1`` pixels, and its continuous extent is ``[x1, x2 + 1)``. The reference window is
    ``[0, 0, base_size - 1, base_size - 1]``, centred at ``(base_size - 1) / 2 = 7.5``.

    Returns
    -------
    numpy.ndarray, shape (len(ratios) * len(scales), 4)
        Ratio-major, scales fastest, exactly the numbers the code returns (the array printed in
        its docstring is 1-based and 1 pixel higher everywhere).

    Examples
    --------
    >>> py_faster_rcnn_base_anchors(ratios=[0.5], scales=[8]).tolist()
    [[-84.0, -40.0, 99.0, 55.0]]
    """
    size = positive_scalar(base_size, "base_size")
    ratio = positive_vector(ratios, "ratios")
    scale = positive_vector(scales, "scales")
    center = (size - 1) / 2
    widths = np.round(np.sqrt(size * size / ratio))  # rounded at base size, half-to-even
    heights = np.round(widths * ratio)
    ws = (widths[:, None] * scale[None, :]).reshape(-1)
    hs = (heights[:, None] * scale[None, :]).reshape(-1)
    return np.stack(
        [center - (ws - 1) / 2, center - (hs - 1) / 2, center + (ws - 1) / 2, center + (hs - 1) / 2],
        axis=1,
    )


def keras_retinanet_base_anchors(base_size: float, ratios: ArrayLike, scales: ArrayLike) -> np.ndarray:
    """One cell's anchors exactly as keras-retinanet's ``generate_anchors`` makes them.

    keras-retinanet (``keras_retinanet/utils/anchors.py``) stores ``ratios`` and ``scales`` as
    float32 (Keras' ``floatx``), multiplies the base size by the scales in float32, and then works in
    float64: ``w = sqrt(side**2 / ratio)``, ``h = w * ratio``. The boxes are centred on ``(0, 0)``.

    Returns
    -------
    numpy.ndarray, shape (len(ratios) * len(scales), 4)
        Ratio-major, scales fastest.

    Examples
    --------
    >>> keras_retinanet_base_anchors(32, [0.5, 1], [1]).round(3).tolist()
    [[-22.627, -11.314, 22.627, 11.314], [-16.0, -16.0, 16.0, 16.0]]
    """
    size = positive_scalar(base_size, "base_size")
    ratio = positive_vector(ratios, "ratios").astype(np.float32)
    scale = positive_vector(scales, "scales").astype(np.float32)
    side = np.tile(scale * np.float32(size), len(ratio)).astype(np.float64)  # float32 product
    ratio_each = np.repeat(ratio, len(scale)).astype(np.float64)
    ws = np.sqrt(side * side / ratio_each)
    hs = ws * ratio_each
    return np.stack([-ws / 2, -hs / 2, ws / 2, hs / 2], axis=1)


def mmdet_base_anchors(
    base_size: float,
    ratios: ArrayLike,
    scales: ArrayLike,
    center_offset: float = 0.0,
    *,
    legacy: bool = False,
) -> np.ndarray:
    """One cell's anchors exactly as mmdetection's ``AnchorGenerator`` (or the v1 ``Legacy`` one) makes them.

    mmdetection (``mmdet/models/task_modules/prior_generators/anchor_generator.py``) computes in
    float32. The cell's anchors are centred at ``center_offset * base_size``, which is a multiple of
    the *base size*, not of the stride. ``LegacyAnchorGenerator`` (mmdetection v1) centres them at
    ``center_offset * (base_size - 1)``, uses inclusive widths (``w - 1``) and rounds the corners.

    Returns
    -------
    numpy.ndarray, shape (len(ratios) * len(scales), 4)
        Ratio-major, scales fastest (``scale_major=True``, mmdetection's default).

    Notes
    -----
    Bit-exact against mmdetection 3.3.0 for every mmdet preset at 13 image sizes and for every
    legacy cell (``tests/conformance/mmdet``). With other ratios, torch's float32 ``sqrt`` (not
    correctly rounded; it differs from numpy's in about 17 % of random float32 ratios) can move a
    corner by a float32 ulp or two: 68 of 200 random cells differ, by at most 0.001 px.

    Examples
    --------
    >>> mmdet_base_anchors(8, [1.0], [4.0]).tolist()
    [[-16.0, -16.0, 16.0, 16.0]]
    >>> mmdet_base_anchors(8, [1.0], [4.0], 0.5, legacy=True).tolist()
    [[-12.0, -12.0, 19.0, 19.0]]
    """
    size = positive_scalar(base_size, "base_size")
    ratio = positive_vector(ratios, "ratios").astype(np.float32)
    scale = positive_vector(scales, "scales").astype(np.float32)
    offset = real_scalar(center_offset, "center_offset")
    if not 0 <= offset <= 1:
        raise ValueError(f"center_offset must be in [0, 1], got {offset}")
    h_ratios = np.sqrt(ratio)
    w_ratios = np.float32(1) / h_ratios
    ws = (np.float32(size) * w_ratios[:, None] * scale[None, :]).reshape(-1)
    hs = (np.float32(size) * h_ratios[:, None] * scale[None, :]).reshape(-1)
    if legacy:
        center = np.float32(offset * (size - 1))
        ws, hs = ws - np.float32(1), hs - np.float32(1)
    else:
        center = np.float32(offset * size)
    half = np.float32(0.5)
    boxes = np.stack([center - half * ws, center - half * hs, center + half * ws, center + half * hs], axis=1)
    return (np.round(boxes) if legacy else boxes).astype(np.float64)


def detectron2_base_anchors(sizes: ArrayLike, aspect_ratios: ArrayLike) -> np.ndarray:
    """One cell's anchors exactly as detectron2's ``DefaultAnchorGenerator`` makes them.

    detectron2 (``detectron2/modeling/anchor_generator.py``, ``generate_cell_anchors``) loops over
    the sizes and, inside, over the ratios (**size-major**, the only library here to do so), computes
    ``w = sqrt(size**2 / ratio)``, ``h = ratio * w`` in Python floats and stores the boxes as float32.

    Returns
    -------
    numpy.ndarray, shape (len(sizes) * len(aspect_ratios), 4)
        Centred on ``(0, 0)``; sizes major, ratios fastest.

    Examples
    --------
    >>> detectron2_base_anchors([32, 64], [0.25, 1, 4]).tolist()[:4]
    [[-32.0, -8.0, 32.0, 8.0], [-16.0, -16.0, 16.0, 16.0], [-8.0, -32.0, 8.0, 32.0], [-64.0, -16.0, 64.0, 16.0]]
    """
    size = positive_vector(sizes, "sizes")
    ratio = positive_vector(aspect_ratios, "aspect_ratios")
    ws = np.sqrt(size[:, None] ** 2 / ratio[None, :]).reshape(-1)
    hs = (ratio[None, :] * ws.reshape(len(size), len(ratio))).reshape(-1)
    boxes = np.stack([-ws / 2, -hs / 2, ws / 2, hs / 2], axis=1)
    return boxes.astype(np.float32).astype(np.float64)


# --------------------------------------------------------------------------------------------------
# Whole-image anchors: one preset per library's default detector.


@dataclass(frozen=True, eq=False)
class AnchorLevel:
    """How one pyramid level's anchors are laid out (a result record of :func:`anchor_levels`).

    Cell ``(i, j)`` gets ``cell_anchors + ((j + offset[1]) * stride[1], (i + offset[0]) * stride[0])``
    (x, y, x, y), summed in ``dtype`` as the library does, cells row-major.

    Attributes
    ----------
    level : int
        Pyramid level ``l`` (nominal stride ``2**l``).
    feature_shape : (int, int)
        ``(height, width)`` of the feature map, in cells.
    stride : (float, float)
        ``(stride_y, stride_x)`` in input pixels, as the library uses it.
    offset : (float, float)
        ``(offset_y, offset_x)`` of the shift, in strides (keras-retinanet 0.5, detectron2 its
        ``offset``, the others 0: their cell anchors already carry any offset).
    cell_anchors : numpy.ndarray, shape (A, 4)
        The library's cell anchors (before shifting), in its own order.
    dtype : str
        ``"float32"`` or ``"float64"``: the precision the library adds them in.

    Examples
    --------
    >>> p3 = anchor_levels((800, 800), "keras-retinanet")[0]
    >>> p3.level, p3.feature_shape, p3.stride, p3.offset, p3.cell_anchors.shape
    (3, (100, 100), (8, 8), (0.5, 0.5), (9, 4))
    """

    level: int
    feature_shape: tuple[int, int]
    stride: tuple[float, float]
    offset: tuple[float, float]
    cell_anchors: np.ndarray
    dtype: str


@dataclass(frozen=True)
class Preset:
    """A library's default anchor configuration (the values of :data:`PRESETS`).

    Attributes
    ----------
    name, description : str
        The preset's name and a one-line description.
    repository, file, commit : str
        Where the convention is defined upstream.
    parameters : Mapping[str, object]
        The defaults, by the library's own names (read-only); any of them can be overridden by
        keyword in :func:`anchors_for_image`. Libraries that pad their input batch to a multiple
        of 32 have that divisor here too, under their own name (torchvision ``size_divisible``,
        mmdetection ``pad_size_divisor``, detectron2 ``size_divisibility``).

    Examples
    --------
    >>> preset = PRESETS["detectron2-rpn"]
    >>> preset.source
    'facebookresearch/detectron2/detectron2/modeling/anchor_generator.py@02b5c4e'
    >>> preset.parameters["strides"], preset.parameters["offset"]
    ((4, 8, 16, 32, 64), 0.0)
    """

    name: str
    description: str
    repository: str
    file: str
    commit: str
    parameters: Mapping[str, Any]

    @property
    def source(self) -> str:
        """``repository/file@commit``."""
        return f"{self.repository}/{self.file}@{self.commit[:7]}"


def _ceil_div(n: int, d: int) -> int:
    return -(-n // d)


def _level(stride: float) -> int:
    return int(round(np.log2(stride)))


def _nominal_shapes(padded: tuple[int, int], strides: Sequence[int], given) -> list[tuple[int, int]]:
    """The given feature shapes (one per level), or those of a backbone whose stride-2 layers all
    round up: ``ceil(n / stride)``."""
    if given is not None:
        if len(given) != len(strides):
            raise ValueError(
                f"feature_shapes must have one (height, width) per level ({len(strides)}), got {len(given)}"
            )
        return given
    return [(_ceil_div(padded[0], int(s)), _ceil_div(padded[1], int(s))) for s in strides]


def _per_level(values: Any, count: int, name: str) -> list[Any]:
    """detectron2's ``_broadcast_params``: one list for all levels, or one list per level."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)) or not len(values):
        raise TypeError(f"{name} must be a non-empty list, got {values!r}")
    if not isinstance(values[0], (Sequence, np.ndarray)):
        return [values] * count
    if len(values) == 1:
        return list(values) * count
    if len(values) != count:
        raise ValueError(f"{name} must have 1 or {count} entries (one per level), got {len(values)}")
    return list(values)


def _int_strides(strides: Any, name: str = "strides") -> list[int]:
    values = positive_vector(strides, name)
    if np.any(values != np.round(values)):
        raise ValueError(f"{name} must be whole numbers of pixels, got {strides!r}")
    return [int(v) for v in values]


def _same_length(name: str, values: Sequence[Any], count: int) -> None:
    if len(values) != count:
        raise ValueError(f"{name} must have one entry per level ({count}), got {len(values)}")


def _keras_retinanet(p: Mapping[str, Any], padded, shapes) -> list[AnchorLevel]:
    # inference=True: the model's Keras Anchors layer (layers/_misc.py, backend/common.py shift)
    # casts the cell anchors to float32 and adds float32 shifts; the training generator
    # (utils/anchors.py anchors_for_shape) stays in float64. Both bit-exact against keras-retinanet
    # 1.0.0 (tests/conformance/keras_retinanet; the layer run in TensorFlow 2.21).
    dtype = "float32" if p["inference"] else "float64"
    levels = [positive_int(level, "pyramid_levels") for level in p["pyramid_levels"]]
    strides = _int_strides(p["strides"])
    sizes = positive_vector(p["sizes"], "sizes")
    _same_length("strides", strides, len(levels))
    _same_length("sizes", sizes, len(levels))
    shapes = _nominal_shapes(padded, [2**l for l in levels], shapes)  # guess_shapes
    return [
        AnchorLevel(l, shape, (s, s), (0.5, 0.5),
                    keras_retinanet_base_anchors(size, p["ratios"], p["scales"]), dtype)
        for l, shape, s, size in zip(levels, shapes, strides, sizes)
    ]


def _torchvision(p: Mapping[str, Any], padded, shapes, *, first_level: int) -> list[AnchorLevel]:
    sizes = p["sizes"]
    if isinstance(sizes, (Sequence, np.ndarray)) and len(sizes) and not isinstance(sizes[0], (Sequence, np.ndarray)):
        sizes = [(size,) for size in sizes]  # AnchorGenerator: a flat list is one size per level
    count = len(sizes) if shapes is None else len(shapes)
    levels = list(range(first_level, first_level + count))  # one level per entry of sizes
    sizes = _per_level(sizes, count, "sizes")
    ratios = _per_level(p["aspect_ratios"], count, "aspect_ratios")
    shapes = _nominal_shapes(padded, [2**l for l in levels], shapes)
    # AnchorGenerator.forward: stride = image_size // grid_size, per axis, in integers.
    return [
        AnchorLevel(l, shape, (padded[0] // shape[0], padded[1] // shape[1]), (0.0, 0.0),
                    torchvision_base_anchors(size, ratio), "float32")
        for l, shape, size, ratio in zip(levels, shapes, sizes, ratios)
    ]


def _mmdet_scales(p: Mapping[str, Any]) -> np.ndarray:
    octave = p["octave_base_scale"] is not None and p["scales_per_octave"] is not None
    if octave == (p["scales"] is not None):
        raise ValueError(
            "set either scales or octave_base_scale with scales_per_octave (the other to None), "
            f"got scales={p['scales']!r}, octave_base_scale={p['octave_base_scale']!r}, "
            f"scales_per_octave={p['scales_per_octave']!r}"
        )
    if octave:
        base = positive_scalar(p["octave_base_scale"], "octave_base_scale")
        return octave_scales(p["scales_per_octave"]) * base
    return positive_vector(p["scales"], "scales")


def _mmdet(p: Mapping[str, Any], padded, shapes, *, legacy: bool) -> list[AnchorLevel]:
    strides = _int_strides(p["strides"])
    bases = strides if p["base_sizes"] is None else list(positive_vector(p["base_sizes"], "base_sizes"))
    _same_length("base_sizes", bases, len(strides))
    scales = _mmdet_scales(p)
    shapes = _nominal_shapes(padded, strides, shapes)
    return [
        AnchorLevel(_level(s), shape, (s, s), (0.0, 0.0),
                    mmdet_base_anchors(base, p["ratios"], scales, p["center_offset"], legacy=legacy),
                    "float32")
        for shape, s, base in zip(shapes, strides, bases)
    ]


def _detectron2(p: Mapping[str, Any], padded, shapes) -> list[AnchorLevel]:
    strides = _int_strides(p["strides"])
    sizes = _per_level(p["sizes"], len(strides), "sizes")
    ratios = _per_level(p["aspect_ratios"], len(strides), "aspect_ratios")
    offset = real_scalar(p["offset"], "offset")
    if not 0 <= offset < 1:
        raise ValueError(f"offset must be in [0, 1), got {offset}")
    shapes = _nominal_shapes(padded, strides, shapes)
    return [
        AnchorLevel(_level(s), shape, (s, s), (offset, offset),
                    detectron2_base_anchors(size, ratio), "float32")
        for shape, s, size, ratio in zip(shapes, strides, sizes, ratios)
    ]


def _py_faster_rcnn(p: Mapping[str, Any], padded, shapes) -> list[AnchorLevel]:
    stride = _int_strides([p["feat_stride"]], "feat_stride")[0]
    shapes = _nominal_shapes(padded, [stride], shapes)  # VGG16 conv5_3: four ceil-mode 2x2 pools
    cell = py_faster_rcnn_base_anchors(p["base_size"], p["ratios"], p["scales"])
    return [AnchorLevel(_level(stride), shapes[0], (stride, stride), (0.0, 0.0), cell, "float64")]


_RETINANET_RATIOS = (0.5, 1.0, 2.0)
_TV = ("pytorch/vision", "6922d2162dbf781a9d5eb730b07b64658f75441b")
_MM = ("open-mmlab/mmdetection", "c176bc882ab0bdf26e56c88a2bf2bdb041ff6256")
_D2 = ("facebookresearch/detectron2", "02b5c4e295e990042a714712c21dc79b731e8833")

_MMDET_RETINANET = {
    "strides": (8, 16, 32, 64, 128), "ratios": _RETINANET_RATIOS, "scales": None,
    "octave_base_scale": 4, "scales_per_octave": 3, "base_sizes": None, "center_offset": 0.0,
}

# name -> (Preset, rule, name of the padding divisor or None). Each rule turns (parameters, padded
# image shape, feature shapes or None) into AnchorLevel records; only the rules know a library's
# arithmetic.
_PRESETS: dict[str, tuple[Preset, Any, str | None]] = {}


def _register(name, description, where, file, parameters, pad_key, rule) -> None:
    repository, commit = where
    if pad_key is not None:
        parameters = {**parameters, pad_key: 32}
    preset = Preset(name, description, repository, file, commit, MappingProxyType(dict(parameters)))
    _PRESETS[name] = (preset, rule, pad_key)


_register(
    "py-faster-rcnn",
    "Faster R-CNN (VGG16): one level, stride 16, base 16, scales 8/16/32, inclusive +1 corners centred at 7.5",
    ("rbgirshick/py-faster-rcnn", "781a917b378dbfdedb45b6a56189a31982da1b43"),
    "lib/rpn/generate_anchors.py",
    {"base_size": 16, "ratios": _RETINANET_RATIOS, "scales": (8, 16, 32), "feat_stride": 16},
    None, _py_faster_rcnn,
)
_register(
    "keras-retinanet",
    "RetinaNet P3-P7, sizes 32-512, 3 octave scales, centres at (i + 0.5) * stride",
    ("fizyr/keras-retinanet", "7ac91dfbbacce77d6d9633fc09e16cd0ee71fd5e"),
    "keras_retinanet/utils/anchors.py",
    {"sizes": (32, 64, 128, 256, 512), "strides": (8, 16, 32, 64, 128), "ratios": _RETINANET_RATIOS,
     "scales": (2**0, 2 ** (1 / 3), 2 ** (2 / 3)), "pyramid_levels": (3, 4, 5, 6, 7),
     "inference": False},
    None, _keras_retinanet,
)
_register(
    "torchvision-retinanet",
    "retinanet_resnet50_fpn: P3-P7, int-truncated octave sizes, rounded corners, stride = image // grid",
    _TV, "torchvision/models/detection/anchor_utils.py",
    {"sizes": tuple((x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3))) for x in (32, 64, 128, 256, 512)),
     "aspect_ratios": (_RETINANET_RATIOS,)},
    "size_divisible", lambda p, padded, shapes: _torchvision(p, padded, shapes, first_level=3),
)
_register(
    "torchvision-fasterrcnn",
    "fasterrcnn_resnet50_fpn RPN: P2-P6 ('pool'), one size per level, stride = image // grid",
    _TV, "torchvision/models/detection/anchor_utils.py",
    {"sizes": ((32,), (64,), (128,), (256,), (512,)), "aspect_ratios": (_RETINANET_RATIOS,)},
    "size_divisible", lambda p, padded, shapes: _torchvision(p, padded, shapes, first_level=2),
)
_register(
    "mmdet-retinanet",
    "configs/_base_/models/retinanet_r50_fpn.py: AnchorGenerator, octave base scale 4, centre_offset 0",
    _MM, "mmdet/models/task_modules/prior_generators/anchor_generator.py",
    _MMDET_RETINANET, "pad_size_divisor", lambda p, padded, shapes: _mmdet(p, padded, shapes, legacy=False),
)
_register(
    "mmdet-fasterrcnn",
    "configs/_base_/models/faster-rcnn_r50_fpn.py RPN: P2-P6, scale 8, strides 4-64",
    _MM, "mmdet/models/task_modules/prior_generators/anchor_generator.py",
    {**_MMDET_RETINANET, "strides": (4, 8, 16, 32, 64), "scales": (8,), "octave_base_scale": None,
     "scales_per_octave": None},
    "pad_size_divisor", lambda p, padded, shapes: _mmdet(p, padded, shapes, legacy=False),
)
_register(
    "mmdet-legacy-retinanet",
    "configs/legacy_1.x RetinaNet: LegacyAnchorGenerator, centre 0.5 * (base - 1), rounded +1 corners",
    _MM, "mmdet/models/task_modules/prior_generators/anchor_generator.py",
    {**_MMDET_RETINANET, "center_offset": 0.5},
    "pad_size_divisor", lambda p, padded, shapes: _mmdet(p, padded, shapes, legacy=True),
)
_register(
    "detectron2-retinanet",
    "configs/Base-RetinaNet.yaml: P3-P7, float octave sizes, size-major order, OFFSET 0.0",
    _D2, "detectron2/modeling/anchor_generator.py",
    {"sizes": tuple((x, x * 2 ** (1 / 3), x * 2 ** (2 / 3)) for x in (32, 64, 128, 256, 512)),
     "aspect_ratios": (_RETINANET_RATIOS,), "strides": (8, 16, 32, 64, 128), "offset": 0.0},
    "size_divisibility", _detectron2,
)
_register(
    "detectron2-rpn",
    "configs/Base-RCNN-FPN.yaml RPN: P2-P6, sizes 32-512 one per level, OFFSET 0.0",
    _D2, "detectron2/modeling/anchor_generator.py",
    {"sizes": ((32,), (64,), (128,), (256,), (512,)), "aspect_ratios": (_RETINANET_RATIOS,),
     "strides": (4, 8, 16, 32, 64), "offset": 0.0},
    "size_divisibility", _detectron2,
)

PRESETS: Mapping[str, Preset] = MappingProxyType({name: entry[0] for name, entry in _PRESETS.items()})
"""The presets by name: each a :class:`Preset` with a description, its upstream source and its
parameters (by the library's own names)."""


def _preset(preset: Any) -> tuple[Preset, Any, str | None]:
    if not isinstance(preset, str):
        raise TypeError(f"preset must be a preset name (str), got {type(preset).__name__} {preset!r}")
    if preset not in _PRESETS:
        raise ValueError(f"preset must be one of {', '.join(_PRESETS)}; got {preset!r}")
    return _PRESETS[preset]


def _image_shape(image_shape: Any) -> tuple[int, int]:
    if isinstance(image_shape, (str, bytes)) or not hasattr(image_shape, "__len__"):
        raise TypeError(f"image_shape must be a (height, width) pair, got {image_shape!r}")
    if len(image_shape) != 2:
        raise ValueError(f"image_shape must be a (height, width) pair, got {image_shape!r}")
    return (positive_int(image_shape[0], "image_shape[0]"), positive_int(image_shape[1], "image_shape[1]"))


def _feature_shapes(feature_shapes: Any) -> list[tuple[int, int]] | None:
    if feature_shapes is None:
        return None
    if isinstance(feature_shapes, (str, bytes)) or not isinstance(feature_shapes, Sequence):
        raise TypeError(f"feature_shapes must be a list of (height, width) pairs, got {feature_shapes!r}")
    result = []
    for k, shape in enumerate(feature_shapes):
        if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
            raise ValueError(f"feature_shapes[{k}] must be a (height, width) pair, got {shape!r}")
        result.append((positive_int(shape[0], f"feature_shapes[{k}][0]"),
                       positive_int(shape[1], f"feature_shapes[{k}][1]")))
    return result


def anchor_levels(
    image_shape: Sequence[int],
    preset: str,
    *,
    feature_shapes: Sequence[Sequence[int]] | None = None,
    **overrides: Any,
) -> list[AnchorLevel]:
    """Per pyramid level: feature shape, stride, offset and cell anchors of a preset.

    The parameters behind :func:`anchors_for_image`, for code that needs a level's stride or anchor
    shapes rather than every box. Arguments as in :func:`anchors_for_image`.

    Examples
    --------
    >>> [(lv.level, lv.feature_shape, lv.stride) for lv in anchor_levels((800, 800), "torchvision-retinanet")][3:]
    [(6, (13, 13), (61, 61)), (7, (7, 7), (114, 114))]
    """
    entry, rule, pad_key = _preset(preset)
    unknown = sorted(set(overrides) - set(entry.parameters))
    if unknown:
        raise TypeError(
            f"unknown parameter(s) {', '.join(unknown)} for preset {preset!r}; "
            f"accepted: {', '.join(entry.parameters)}"
        )
    height, width = _image_shape(image_shape)
    parameters = {**entry.parameters, **overrides}
    divisor = 1 if pad_key is None else positive_int(parameters[pad_key], pad_key)
    padded = (_ceil_div(height, divisor) * divisor, _ceil_div(width, divisor) * divisor)
    shapes = _feature_shapes(feature_shapes)
    return rule(parameters, padded, shapes)


def anchors_for_image(
    image_shape: Sequence[int],
    preset: str,
    *,
    feature_shapes: Sequence[Sequence[int]] | None = None,
    **overrides: Any,
) -> list[np.ndarray]:
    """Every anchor of an image, exactly as a library's default detector generates them.

    Parameters
    ----------
    image_shape : (int, int)
        ``(height, width)`` of the network input. Presets whose library pads its input batch to a
        multiple (32 for torchvision, mmdetection and detectron2; see :attr:`Preset.parameters`) pad
        it first at the bottom and right, as the library does; a multiple of 32 is unchanged.
    preset : str
        A name in :data:`PRESETS`.
    feature_shapes : list of (int, int), optional
        ``(height, width)`` of each level's feature map. When omitted, the preset's rule derives them
        from the (padded) image: ``ceil(n / 2**level)``, the size that stride-2 layers which round
        up produce (keras-retinanet's ``guess_shapes``, ResNet-FPN, VGG16's ceil-mode pools).
    **overrides
        Any of the preset's :attr:`Preset.parameters`, by the library's own names (``sizes``,
        ``strides``, ``ratios``, ``scales``, ``offset`` for detectron2, ``center_offset`` for
        mmdetection, ...). Unknown names raise :class:`TypeError` listing the accepted ones.

    Returns
    -------
    list of numpy.ndarray
        One float64 array per level, shape ``(h_l * w_l * A, 4)``, ``xyxy`` in input pixels (for
        py-faster-rcnn its inclusive corners), cells row-major and each cell's ``A`` anchors in the
        library's own order, with the library's own float32 or float64 arithmetic.

    Examples
    --------
    >>> anchors_for_image((16, 16), "keras-retinanet", sizes=[12], strides=[8], ratios=[1],
    ...                   scales=[1], pyramid_levels=[3])[0].tolist()
    [[-2.0, -2.0, 10.0, 10.0], [6.0, -2.0, 18.0, 10.0], [-2.0, 6.0, 10.0, 18.0], [6.0, 6.0, 18.0, 18.0]]
    >>> [len(a) for a in anchors_for_image((800, 1333), "torchvision-retinanet")]
    [151200, 37800, 9450, 2457, 693]
    """
    return [_place(level) for level in anchor_levels(image_shape, preset, feature_shapes=feature_shapes, **overrides)]


def _place(level: AnchorLevel) -> np.ndarray:
    # The libraries add integer shifts to their cell anchors in their own precision (float32 for
    # torchvision, mmdetection, detectron2); the sums are returned as float64 for every preset.
    return shift(level.cell_anchors, level.feature_shape, level.stride, level.offset, precision=level.dtype)
