"""Anchor configurations: each library's exact convention, and anchorlib's own.

:class:`AnchorConfig` is the value the rest of the library speaks: a configuration made once, from a
preset (:data:`PRESETS`, one per library's default detector) or from sizes and strides, whose
:meth:`~anchorlib.AnchorConfig.levels` lay its anchors on any image, level by level. The five
``*_base_anchors`` functions below are the libraries' cell-anchor arithmetic the presets use;
they stay in this module (``anchorlib.presets.torchvision_base_anchors``) for readers who want one
library's cell on its own.

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
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import positive_int, positive_scalar, positive_vector, real_scalar, shape_pair
from .grid import _level_terms, _write_levels, feature_shape, shift
from .shapes import base_anchors, octave_scales

__all__ = [
    "PRESETS",
    "AnchorConfig",
    "AnchorLevel",
    "detectron2_base_anchors",
    "keep_ratio_scale",
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
# The anchor configuration: one value per detector, from a preset or from sizes and strides.


@dataclass(frozen=True, eq=False)
class AnchorLevel:
    """One pyramid level of an :class:`AnchorConfig` on one image: its geometry and its anchors.

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
        The library's cell anchors (before shifting), in its own order; read-only.
    dtype : str
        ``"float32"`` or ``"float64"``: the precision the library adds them in.

    Examples
    --------
    >>> p3 = AnchorConfig.from_preset("keras-retinanet").levels((800, 800))[0]
    >>> p3.level, p3.feature_shape, p3.stride, p3.offset, p3.cell_anchors.shape, p3.anchors.shape
    (3, (100, 100), (8, 8), (0.5, 0.5), (9, 4), (90000, 4))
    """

    level: int
    feature_shape: tuple[int, int]
    stride: tuple[float, float]
    offset: tuple[float, float]
    cell_anchors: np.ndarray
    dtype: str

    @cached_property
    def anchors(self) -> np.ndarray:
        """Every anchor of the level, shape ``(h * w * A, 4)``, float64 ``xyxy``, read-only.

        The library adds integer shifts to its cell anchors in its own precision (float32 for
        torchvision, mmdetection, detectron2); the sums are returned as float64 for every preset.
        """
        placed = shift(self.cell_anchors, self.feature_shape, self.stride, self.offset, precision=self.dtype)
        placed.flags.writeable = False
        return placed

    def shape_order(self, other: "AnchorLevel") -> np.ndarray:
        """For each cell anchor of this level, the index of the most similar shape in ``other``'s cell.

        Libraries list a cell's anchors in different orders (ratio-major or size-major); shapes are
        paired greedily, one to one, by the smallest ``|log w - log w'| + |log h - log h'|``.

        Examples
        --------
        >>> image = (64, 64)
        >>> kr = AnchorConfig.from_preset("keras-retinanet").levels(image)[0]
        >>> d2 = AnchorConfig.from_preset("detectron2-retinanet").levels(image)[0]
        >>> d2.shape_order(kr).tolist()  # detectron2 lists sizes first, keras-retinanet ratios first
        [0, 3, 6, 1, 4, 7, 2, 5, 8]
        """
        mine, theirs = self.cell_anchors, _level_record(other, "other").cell_anchors
        if len(mine) != len(theirs):
            raise ValueError(
                f"other must have as many anchors per cell as this level ({len(mine)}), got {len(theirs)}"
            )
        log_a = np.log(np.maximum(mine[:, 2:] - mine[:, :2], np.finfo(float).tiny))
        log_b = np.log(np.maximum(theirs[:, 2:] - theirs[:, :2], np.finfo(float).tiny))
        cost = np.abs(log_a[:, None, :] - log_b[None, :, :]).sum(axis=2)
        order = np.full(len(mine), -1)
        for flat in np.argsort(cost, axis=None, kind="stable"):
            i, j = divmod(int(flat), len(theirs))
            if order[i] < 0 and j not in order:
                order[i] = j
        return order

    def disagreement(self, other: "AnchorLevel") -> float | None:
        """Largest corner difference in pixels between this level's anchors and ``other``'s.

        Compared over the cells both levels have (the top-left ``min(h) x min(w)`` cells), each
        cell's anchors paired by :meth:`shape_order`. ``None`` when the two levels have different
        numbers of anchors per cell.

        Examples
        --------
        >>> image = (800, 1333)
        >>> kr = AnchorConfig.from_preset("keras-retinanet").levels(image)
        >>> tv = AnchorConfig.from_preset("torchvision-retinanet").levels(image)
        >>> round(kr[0].disagreement(tv[0]), 2)  # half a stride (4 px) plus torchvision's rounding
        4.92
        """
        other = _level_record(other, "other")
        count = len(self.cell_anchors)
        if len(other.cell_anchors) != count:
            return None
        h = min(self.feature_shape[0], other.feature_shape[0])
        w = min(self.feature_shape[1], other.feature_shape[1])
        mine = self.anchors.reshape(*self.feature_shape, count, 4)[:h, :w]
        theirs = other.anchors.reshape(*other.feature_shape, count, 4)[:h, :w]
        return float(np.max(np.abs(mine - theirs[:, :, self.shape_order(other)])))


def _level_record(value: Any, name: str) -> AnchorLevel:
    if not isinstance(value, AnchorLevel):
        raise TypeError(f"{name} must be an AnchorLevel, got {type(value).__name__} {value!r}")
    return value


def _cell(anchors: np.ndarray) -> np.ndarray:
    anchors.flags.writeable = False
    return anchors


def _level_number(stride: float) -> int:
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
    return [feature_shape(padded, int(s)) for s in strides]


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


def _one_per_level(name: str, values: Sequence[Any], count: int) -> None:
    if len(values) != count:
        raise ValueError(f"{name} must have one entry per level ({count}), got {len(values)}")


def _offset(value: Any, name: str) -> float:
    offset = real_scalar(value, name)
    if not 0 <= offset < 1:
        raise ValueError(f"{name} must be in [0, 1), got {offset}")
    return offset


def _anchorlib(p: Mapping[str, Any], padded, shapes) -> list[AnchorLevel]:
    strides = _int_strides(p["strides"])
    sizes = positive_vector(p["sizes"], "sizes")
    _one_per_level("sizes", sizes, len(strides))
    offset = _offset(p["offset"], "offset")
    shapes = _nominal_shapes(padded, strides, shapes)
    return [
        AnchorLevel(_level_number(s), shape, (s, s), (offset, offset),
                    _cell(base_anchors(size, p["ratios"], p["scales"])), "float64")
        for shape, s, size in zip(shapes, strides, sizes)
    ]


def _keras_retinanet(p: Mapping[str, Any], padded, shapes) -> list[AnchorLevel]:
    # inference=True: the model's Keras Anchors layer (layers/_misc.py, backend/common.py shift)
    # casts the cell anchors to float32 and adds float32 shifts; the training generator
    # (utils/anchors.py anchors_for_shape) stays in float64. Both bit-exact against keras-retinanet
    # 1.0.0 (tests/conformance/keras_retinanet; the layer run in TensorFlow 2.21).
    dtype = "float32" if p["inference"] else "float64"
    levels = [positive_int(level, "pyramid_levels") for level in p["pyramid_levels"]]
    strides = _int_strides(p["strides"])
    sizes = positive_vector(p["sizes"], "sizes")
    _one_per_level("strides", strides, len(levels))
    _one_per_level("sizes", sizes, len(levels))
    shapes = _nominal_shapes(padded, [2**level for level in levels], shapes)  # guess_shapes
    return [
        AnchorLevel(level, shape, (s, s), (0.5, 0.5),
                    _cell(keras_retinanet_base_anchors(size, p["ratios"], p["scales"])), dtype)
        for level, shape, s, size in zip(levels, shapes, strides, sizes)
    ]


def _torchvision(p: Mapping[str, Any], padded, shapes, *, first_level: int) -> list[AnchorLevel]:
    sizes = p["sizes"]
    if isinstance(sizes, (Sequence, np.ndarray)) and len(sizes) and not isinstance(sizes[0], (Sequence, np.ndarray)):
        sizes = [(size,) for size in sizes]  # AnchorGenerator: a flat list is one size per level
    count = len(sizes) if shapes is None else len(shapes)
    levels = list(range(first_level, first_level + count))  # one level per entry of sizes
    sizes = _per_level(sizes, count, "sizes")
    ratios = _per_level(p["aspect_ratios"], count, "aspect_ratios")
    shapes = _nominal_shapes(padded, [2**level for level in levels], shapes)
    # AnchorGenerator.forward: stride = image_size // grid_size, per axis, in integers.
    return [
        AnchorLevel(level, shape, (padded[0] // shape[0], padded[1] // shape[1]), (0.0, 0.0),
                    _cell(torchvision_base_anchors(size, ratio)), "float32")
        for level, shape, size, ratio in zip(levels, shapes, sizes, ratios)
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
    _one_per_level("base_sizes", bases, len(strides))
    scales = _mmdet_scales(p)
    shapes = _nominal_shapes(padded, strides, shapes)
    return [
        AnchorLevel(_level_number(s), shape, (s, s), (0.0, 0.0),
                    _cell(mmdet_base_anchors(base, p["ratios"], scales, p["center_offset"], legacy=legacy)),
                    "float32")
        for shape, s, base in zip(shapes, strides, bases)
    ]


def _detectron2(p: Mapping[str, Any], padded, shapes) -> list[AnchorLevel]:
    strides = _int_strides(p["strides"])
    sizes = _per_level(p["sizes"], len(strides), "sizes")
    ratios = _per_level(p["aspect_ratios"], len(strides), "aspect_ratios")
    offset = _offset(p["offset"], "offset")
    shapes = _nominal_shapes(padded, strides, shapes)
    return [
        AnchorLevel(_level_number(s), shape, (s, s), (offset, offset),
                    _cell(detectron2_base_anchors(size, ratio)), "float32")
        for shape, s, size, ratio in zip(shapes, strides, sizes, ratios)
    ]


def _py_faster_rcnn(p: Mapping[str, Any], padded, shapes) -> list[AnchorLevel]:
    stride = _int_strides([p["feat_stride"]], "feat_stride")[0]
    shapes = _nominal_shapes(padded, [stride], shapes)  # VGG16 conv5_3: four ceil-mode 2x2 pools
    cell = py_faster_rcnn_base_anchors(p["base_size"], p["ratios"], p["scales"])
    return [AnchorLevel(_level_number(stride), shapes[0], (stride, stride), (0.0, 0.0), _cell(cell), "float64")]


@dataclass(frozen=True)
class _Library:
    """The facts behind one configuration name: where its arithmetic comes from and what it is."""

    description: str
    source: str | None  # repository/file@commit (7 hex digits), None for anchorlib's own
    layout: Callable[..., list[AnchorLevel]]  # (parameters, padded shape, feature shapes or None)
    defaults: Mapping[str, Any]
    pad_key: str | None  # the library's name for the padding divisor, if it pads its input
    inclusive: bool  # cell anchors are inclusive pixel indices (width x2 - x1 + 1)
    feature_shape_rule: str
    fixed_strides: bool  # False: the strides depend on the image (torchvision's image // grid)
    resize: Callable[[Mapping[str, Any], int, int], float] | None = None  # (parameters, h, w) -> scale
    assignment: Mapping[str, Any] | None = None  # keyword arguments of anchorlib.assign for this detector


_RETINANET_RATIOS = (0.5, 1.0, 2.0)
_OCTAVE_SCALES = (2**0, 2 ** (1 / 3), 2 ** (2 / 3))
_TV = ("pytorch/vision", "6922d2162dbf781a9d5eb730b07b64658f75441b")
_MM = ("open-mmlab/mmdetection", "c176bc882ab0bdf26e56c88a2bf2bdb041ff6256")
_D2 = ("facebookresearch/detectron2", "02b5c4e295e990042a714712c21dc79b731e8833")
#: Libraries that pad their input batch to a multiple of this (torchvision ``size_divisible``,
#: mmdetection ``pad_size_divisor``, detectron2 ``size_divisibility``: 32 in the default configs).
_PAD_TO = 32
_CEIL = "ceil(n / stride) of the {input}: stride-2 layers that round up"
_CEIL_PADDED = _CEIL.format(input="padded input")

_MMDET_RETINANET = {
    "strides": (8, 16, 32, 64, 128), "ratios": _RETINANET_RATIOS, "scales": None,
    "octave_base_scale": 4, "scales_per_octave": 3, "base_sizes": None, "center_offset": 0.0,
}

_LIBRARIES: dict[str, _Library] = {}

# How each default detector labels these anchors, as anchorlib.assign keywords (read from the
# configs cited at each preset; the same calls are replayed against each library's own assigner in
# tests/conformance, groups assign/*). Order as in those calls.
_RETINANET_MATCH = {"positive_iou": 0.5, "negative_iou": 0.4, "allow_low_quality": True}
_RPN_MATCH = {"positive_iou": 0.7, "negative_iou": 0.3, "allow_low_quality": True}
_MMDET_RETINANET_MATCH = {"rule": "mmdet", "positive_iou": 0.5, "negative_iou": 0.4, "min_pos_iou": 0,
                          "allow_low_quality": True}


def _register(name, description, where, file, defaults, *, pad_key, layout, assignment, inclusive=False,
              feature_shape_rule=_CEIL_PADDED, fixed_strides=True, resize=None) -> None:
    repository, commit = where
    if pad_key is not None:
        defaults = {**defaults, pad_key: _PAD_TO}
    _LIBRARIES[name] = _Library(
        description, f"{repository}/{file}@{commit[:7]}", layout, MappingProxyType(dict(defaults)), pad_key,
        inclusive, feature_shape_rule, fixed_strides, resize, MappingProxyType(dict(assignment)),
    )


_register(
    "py-faster-rcnn",
    "Faster R-CNN (VGG16): one level, stride 16, base 16, scales 8/16/32, inclusive +1 corners centred at 7.5",
    ("rbgirshick/py-faster-rcnn", "781a917b378dbfdedb45b6a56189a31982da1b43"),
    "lib/rpn/generate_anchors.py",
    {"base_size": 16, "ratios": _RETINANET_RATIOS, "scales": (8, 16, 32), "feat_stride": 16},
    pad_key=None, layout=_py_faster_rcnn, inclusive=True,
    feature_shape_rule="ceil(n / 16): VGG16 conv5_3 after four ceil-mode 2x2 poolings",
    assignment={"rule": "py-faster-rcnn"},
)
def keep_ratio_scale(shorter: ArrayLike, longer: ArrayLike, short_side: float, max_size: float) -> np.ndarray:
    """The keep-ratio resize factor of RetinaNet-style detectors, for images with these sides.

    The shorter side becomes ``short_side`` unless the longer one would then exceed ``max_size``,
    in which case the longer side becomes ``max_size``: keras-retinanet ``utils/image.py``
    ``compute_resize_scale`` in its own order of operations (``scale = min_side / smallest``, then
    ``max_side / largest`` if ``largest * scale > max_side``). torchvision's
    ``GeneralizedRCNNTransform`` writes it ``min(min_size / smallest, max_size / largest)``, which
    is the same number unless the two candidates are within rounding of each other. Read from
    code, not run. The one place of this rule: :meth:`anchorlib.AnchorConfig.resize` and
    :func:`anchorlib.keep_ratio_wh` both call it. Arguments are checked by the callers.
    """
    scale = short_side / np.asarray(shorter, dtype=np.float64)
    longest = np.asarray(longer, dtype=np.float64)
    return np.where(longest * scale > max_size, max_size / longest, scale)


def _keras_retinanet_scale(p: Mapping[str, Any], height: int, width: int) -> float:
    short_side = positive_scalar(p["image_min_side"], "image_min_side")
    max_size = positive_scalar(p["image_max_side"], "image_max_side")
    return float(keep_ratio_scale(min(height, width), max(height, width), short_side, max_size))


_register(
    "keras-retinanet",
    "RetinaNet P3-P7, sizes 32-512, 3 octave scales, centres at (i + 0.5) * stride",
    ("fizyr/keras-retinanet", "7ac91dfbbacce77d6d9633fc09e16cd0ee71fd5e"),
    "keras_retinanet/utils/anchors.py",
    {"sizes": (32, 64, 128, 256, 512), "strides": (8, 16, 32, 64, 128), "ratios": _RETINANET_RATIOS,
     "scales": _OCTAVE_SCALES, "pyramid_levels": (3, 4, 5, 6, 7), "inference": False,
     "image_min_side": 800, "image_max_side": 1333},
    pad_key=None, layout=_keras_retinanet,
    feature_shape_rule="ceil(n / 2**level) of the input (guess_shapes)", resize=_keras_retinanet_scale,
    assignment={"rule": "keras-retinanet"},
)
_TORCHVISION_SHAPES = "ceil(n / 2**level) of the padded input (ResNet-FPN); stride = padded input // feature size"
_register(
    "torchvision-retinanet",
    "retinanet_resnet50_fpn: P3-P7, int-truncated octave sizes, rounded corners, stride = image // grid",
    _TV, "torchvision/models/detection/anchor_utils.py",
    {"sizes": tuple((x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3))) for x in (32, 64, 128, 256, 512)),
     "aspect_ratios": (_RETINANET_RATIOS,)},
    pad_key="size_divisible", layout=lambda p, padded, shapes: _torchvision(p, padded, shapes, first_level=3),
    feature_shape_rule=_TORCHVISION_SHAPES, fixed_strides=False,
    assignment={"rule": "torchvision", **_RETINANET_MATCH},
)
_register(
    "torchvision-fasterrcnn",
    "fasterrcnn_resnet50_fpn RPN: P2-P6 ('pool'), one size per level, stride = image // grid",
    _TV, "torchvision/models/detection/anchor_utils.py",
    {"sizes": ((32,), (64,), (128,), (256,), (512,)), "aspect_ratios": (_RETINANET_RATIOS,)},
    pad_key="size_divisible", layout=lambda p, padded, shapes: _torchvision(p, padded, shapes, first_level=2),
    feature_shape_rule=_TORCHVISION_SHAPES, fixed_strides=False,
    assignment={"rule": "torchvision", **_RPN_MATCH},
)
_register(
    "mmdet-retinanet",
    "configs/_base_/models/retinanet_r50_fpn.py: AnchorGenerator, octave base scale 4, centre_offset 0",
    _MM, "mmdet/models/task_modules/prior_generators/anchor_generator.py",
    _MMDET_RETINANET,
    pad_key="pad_size_divisor", layout=lambda p, padded, shapes: _mmdet(p, padded, shapes, legacy=False),
    assignment=_MMDET_RETINANET_MATCH,
)
_register(
    "mmdet-fasterrcnn",
    "configs/_base_/models/faster-rcnn_r50_fpn.py RPN: P2-P6, scale 8, strides 4-64",
    _MM, "mmdet/models/task_modules/prior_generators/anchor_generator.py",
    {**_MMDET_RETINANET, "strides": (4, 8, 16, 32, 64), "scales": (8,), "octave_base_scale": None,
     "scales_per_octave": None},
    pad_key="pad_size_divisor", layout=lambda p, padded, shapes: _mmdet(p, padded, shapes, legacy=False),
    assignment={"rule": "mmdet", "positive_iou": 0.7, "negative_iou": 0.3, "min_pos_iou": 0.3,
                "allow_low_quality": True},
)
_register(
    "mmdet-legacy-retinanet",
    "configs/legacy_1.x RetinaNet: LegacyAnchorGenerator, centre 0.5 * (base - 1), rounded +1 corners",
    _MM, "mmdet/models/task_modules/prior_generators/anchor_generator.py",
    {**_MMDET_RETINANET, "center_offset": 0.5},
    pad_key="pad_size_divisor", layout=lambda p, padded, shapes: _mmdet(p, padded, shapes, legacy=True),
    inclusive=True,
    assignment=_MMDET_RETINANET_MATCH,
)
_register(
    "detectron2-retinanet",
    "configs/Base-RetinaNet.yaml: P3-P7, float octave sizes, size-major order, OFFSET 0.0",
    _D2, "detectron2/modeling/anchor_generator.py",
    {"sizes": tuple((x, x * 2 ** (1 / 3), x * 2 ** (2 / 3)) for x in (32, 64, 128, 256, 512)),
     "aspect_ratios": (_RETINANET_RATIOS,), "strides": (8, 16, 32, 64, 128), "offset": 0.0},
    pad_key="size_divisibility", layout=_detectron2,
    assignment={"rule": "detectron2", **_RETINANET_MATCH},
)
_register(
    "detectron2-rpn",
    "configs/Base-RCNN-FPN.yaml RPN: P2-P6, sizes 32-512 one per level, OFFSET 0.0",
    _D2, "detectron2/modeling/anchor_generator.py",
    {"sizes": ((32,), (64,), (128,), (256,), (512,)), "aspect_ratios": (_RETINANET_RATIOS,),
     "strides": (4, 8, 16, 32, 64), "offset": 0.0},
    pad_key="size_divisibility", layout=_detectron2,
    assignment={"rule": "detectron2", **_RPN_MATCH},
)
_CUSTOM = _Library(
    "anchorlib's exact arithmetic: anchor_shapes of each size, centres at (i + offset) * stride",
    None, _anchorlib, MappingProxyType({}), None, False,
    _CEIL.format(input="input") + " (keras-retinanet's guess_shapes)", True,
)


def _freeze(value: Any) -> Any:
    """A hashable copy of a parameter value: arrays and lists become nested tuples of numbers."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True, init=False, repr=False)
class AnchorConfig:
    """An anchor configuration: everything needed to lay a detector's anchors on any image.

    The one value the rest of ``anchorlib`` speaks (coverage, counting, the command line): build it
    once, from a preset that reproduces a library's default detector number for number
    (:meth:`from_preset`, the names in :data:`PRESETS`) or from sizes and strides with anchorlib's
    exact arithmetic (the constructor), then ask it for :meth:`levels`, :meth:`anchors` or
    :meth:`count` on an image. It plays the part of torchvision's and mmdetection's
    ``AnchorGenerator``, detectron2's ``DefaultAnchorGenerator`` and keras-retinanet's
    ``AnchorParameters``, but it is a frozen value (comparable, hashable) that also carries the
    facts a caller otherwise has to know about the library: its coordinate convention
    (:attr:`inclusive`), precision (:attr:`dtype`), input padding (:attr:`pad_divisor`), how it
    derives feature-map shapes (:attr:`feature_shape_rule`) and its upstream :attr:`source`. Every
    parameter is checked when the value is made.

    Parameters
    ----------
    sizes : array_like of float
        Anchor side at scale 1 of each pyramid level, in input pixels.
    strides : array_like of int
        Stride of each level, in whole input pixels (one per size).
    ratios : array_like of float, default (0.5, 1, 2)
        Aspect ratios ``h / w``, the same on every level.
    scales : array_like of float, default (1, 2**(1/3), 2**(2/3))
        Multipliers of the sizes, the same on every level (RetinaNet's octave scales).
    offset : float, default 0.5
        Cell ``(i, j)`` is centred at ``((j + offset) * stride, (i + offset) * stride)``, in
        ``[0, 1)``: 0.5 is keras-retinanet's convention, 0 torchvision's and mmdetection's.

    Attributes
    ----------
    name : str
        The preset's name, or ``"custom"`` for a configuration from sizes and strides.

    Examples
    --------
    >>> config = AnchorConfig(sizes=[32, 64], strides=[8, 16], ratios=[1], scales=[1])
    >>> [(lv.level, lv.feature_shape, len(lv.anchors)) for lv in config.levels((64, 100))]
    [(3, (8, 13), 104), (4, (4, 7), 28)]
    >>> AnchorConfig.from_preset("torchvision-retinanet").count((800, 1333))  # padded to 800 x 1344
    201600
    """

    name: str
    _items: tuple[tuple[str, Any], ...]

    def __init__(
        self,
        *,
        sizes: ArrayLike,
        strides: ArrayLike,
        ratios: ArrayLike = _RETINANET_RATIOS,
        scales: ArrayLike = _OCTAVE_SCALES,
        offset: float = 0.5,
    ) -> None:
        self._set("custom", {"sizes": sizes, "strides": strides, "ratios": ratios, "scales": scales, "offset": offset})

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> "AnchorConfig":
        """The configuration of a library's default detector (a name in :data:`PRESETS`).

        Parameters
        ----------
        name : str
            A preset name, e.g. ``"torchvision-retinanet"``.
        **overrides
            Any of the preset's :attr:`parameters`, by the library's own names (``sizes``,
            ``strides``, ``ratios``, ``scales``, ``offset`` for detectron2, ``center_offset`` for
            mmdetection, ...). Unknown names raise :class:`TypeError` listing the accepted ones.

        Examples
        --------
        >>> AnchorConfig.from_preset("detectron2-rpn", offset=0.5).parameters["offset"]
        0.5
        """
        library = _library(name)
        unknown = sorted(set(overrides) - set(library.defaults))
        if unknown:
            raise TypeError(
                f"unknown parameter(s) {', '.join(unknown)} for preset {name!r}; "
                f"accepted: {', '.join(library.defaults)}"
            )
        config = object.__new__(cls)
        config._set(name, {**library.defaults, **overrides})
        return config

    def _set(self, name: str, parameters: Mapping[str, Any]) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_items", tuple((key, _freeze(value)) for key, value in parameters.items()))
        self.levels((1, 1))  # every parameter is checked here, once
        if self._library.resize is not None:
            self.resize((1, 1))

    @property
    def _library(self) -> _Library:
        return _CUSTOM if self.name == "custom" else _LIBRARIES[self.name]

    def __repr__(self) -> str:
        if self.name == "custom":
            return "AnchorConfig(" + ", ".join(f"{k}={v!r}" for k, v in self._items) + ")"
        changed = [f", {k}={v!r}" for k, v in self._items if v != _freeze(self._library.defaults[k])]
        return f"AnchorConfig.from_preset({self.name!r}{''.join(changed)})"

    # -- the facts ---------------------------------------------------------------------------------

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The parameters by the library's own names (read-only; sequences as tuples).

        Libraries that pad their input have the divisor here too, under their own name
        (torchvision ``size_divisible``, mmdetection ``pad_size_divisor``, detectron2
        ``size_divisibility``).

        Examples
        --------
        >>> AnchorConfig.from_preset("detectron2-rpn").parameters["strides"]
        (4, 8, 16, 32, 64)
        """
        return MappingProxyType(dict(self._items))

    @property
    def description(self) -> str:
        """One line: what the configuration is."""
        return self._library.description

    @property
    def source(self) -> str | None:
        """``repository/file@commit`` where the convention is defined upstream; None for ``"custom"``.

        Examples
        --------
        >>> AnchorConfig.from_preset("detectron2-rpn").source
        'facebookresearch/detectron2/detectron2/modeling/anchor_generator.py@02b5c4e'
        """
        return self._library.source

    @property
    def inclusive(self) -> bool:
        """True when the cell anchors are inclusive pixel indices: ``[x1, x2]`` covers ``x2 - x1 + 1``
        pixels, the continuous extent ``[x1, x2 + 1)`` (py-faster-rcnn, mmdetection's legacy
        generator); use ``box_iou(..., inclusive=True)`` to reproduce their IoUs.

        Examples
        --------
        >>> [name for name, config in PRESETS.items() if config.inclusive]
        ['py-faster-rcnn', 'mmdet-legacy-retinanet']
        """
        return self._library.inclusive

    @property
    def dtype(self) -> str:
        """``"float32"`` or ``"float64"``: the precision the library computes its anchors in.

        Examples
        --------
        >>> PRESETS["keras-retinanet"].dtype, AnchorConfig.from_preset("keras-retinanet", inference=True).dtype
        ('float64', 'float32')
        """
        return self.levels((1, 1))[0].dtype

    @property
    def pad_divisor(self) -> int:
        """The library pads its input at the bottom and right to a multiple of this (1: no padding).

        Examples
        --------
        >>> AnchorConfig.from_preset("mmdet-retinanet").pad_divisor, PRESETS["keras-retinanet"].pad_divisor
        (32, 1)
        """
        key = self._library.pad_key
        return 1 if key is None else positive_int(self.parameters[key], key)

    @property
    def feature_shape_rule(self) -> str:
        """How the feature-map shapes follow from the input, in words (:meth:`levels` applies it).

        Measured for the ResNet-50 FPN presets: the real networks of torchvision 0.29.1, detectron2
        @02b5c4e and keras-retinanet 1.0.0 (keras-resnet 0.2.0), run at 10 input widths (odd ones
        included; detectron2 at multiples of 32), have as many cells per level as the rule gives
        (``tests/conformance/receptive_torch``, ``receptive_keras``; tests/test_presets.py).
        py-faster-rcnn's VGG16 (Caffe) and mmdetection's are read from their code, not run.
        """
        return self._library.feature_shape_rule

    @property
    def fixed_strides(self) -> bool:
        """False when a level's stride depends on the image (torchvision: padded input // feature size)."""
        return self._library.fixed_strides

    @property
    def assignment(self) -> Mapping[str, Any]:
        """How the preset's detector labels its anchors: keyword arguments of :func:`anchorlib.assign`.

        The library's rule with that detector's thresholds, read from its default config
        (RetinaNet 0.5 / 0.4, the two-stage RPNs 0.7 / 0.3, mmdetection's ``min_pos_iou``); each
        is one of the calls replayed against the library's own assigner in ``tests/conformance``
        (groups ``assign/*``). A configuration built from sizes and strides belongs to no library
        and raises :class:`ValueError`: choose a rule from :data:`anchorlib.ASSIGNMENT_RULES`.

        Examples
        --------
        >>> from anchorlib import assign
        >>> config = AnchorConfig.from_preset("detectron2-rpn")
        >>> dict(config.assignment)
        {'rule': 'detectron2', 'positive_iou': 0.7, 'negative_iou': 0.3, 'allow_low_quality': True}
        >>> labels, matched = assign(config.anchors((64, 64)), [[8, 8, 40, 40]], **config.assignment)
        >>> int((labels == 1).sum()), int((labels == -1).sum())
        (5, 138)
        """
        if self._library.assignment is None:
            raise ValueError(
                "a configuration from sizes and strides has no library's assignment rule; "
                "call anchorlib.assign(..., rule=...) with one of ASSIGNMENT_RULES"
            )
        return self._library.assignment

    # -- on an image -------------------------------------------------------------------------------

    def resize(self, image_shape: Sequence[int]) -> tuple[float, tuple[int, int]]:
        """The library's test-time resize of an image: ``(scale, (height, width))`` of the network input.

        Only the presets whose resize rule is modelled have one (keras-retinanet: the short side to
        ``image_min_side`` = 800 unless the long side would exceed ``image_max_side`` = 1333, then
        ``cv2.resize(fx=scale, fy=scale)``, whose sides are ``round(side * scale)``, half to even;
        ``keras_retinanet/utils/image.py`` ``resize_image``, read from code). The others raise
        :class:`ValueError`: give their network input's shape directly.

        Examples
        --------
        >>> PRESETS["keras-retinanet"].resize((375, 500))  # short side 375 -> 800
        (2.1333333333333333, (800, 1067))
        >>> PRESETS["keras-retinanet"].resize((400, 1600))  # long side capped at 1333
        (0.833125, (333, 1333))
        """
        height, width = shape_pair(image_shape, "image_shape")
        rule = self._library.resize
        if rule is None:
            raise ValueError(f"{self.name} has no modelled resize rule; give the network input's shape instead")
        scale = rule(self.parameters, height, width)
        return scale, (round(height * scale), round(width * scale))

    def padded_shape(self, image_shape: Sequence[int]) -> tuple[int, int]:
        """``(height, width)`` of the input after the library's padding to :attr:`pad_divisor`.

        Examples
        --------
        >>> AnchorConfig.from_preset("torchvision-retinanet").padded_shape((800, 1333))
        (800, 1344)
        """
        height, width = shape_pair(image_shape, "image_shape")
        divisor = self.pad_divisor
        rows, cols = feature_shape((height, width), divisor)  # whole blocks of `divisor` pixels
        return rows * divisor, cols * divisor

    def levels(
        self, image_shape: Sequence[int], *, feature_shapes: Sequence[Sequence[int]] | None = None
    ) -> list[AnchorLevel]:
        """Per pyramid level: feature shape, stride, offset, cell anchors and anchors on an image.

        Parameters
        ----------
        image_shape : (int, int)
            ``(height, width)`` of the network input (after any resizing). Libraries that pad their
            input (:attr:`pad_divisor`) pad it first at the bottom and right, as they do.
        feature_shapes : list of (int, int), optional
            ``(height, width)`` of each level's feature map; by default :attr:`feature_shape_rule`.

        Returns
        -------
        list of AnchorLevel
            In pyramid order. Each level's :attr:`AnchorLevel.anchors` has shape ``(h * w * A, 4)``,
            ``xyxy`` in input pixels (for inclusive presets their inclusive corners), cells
            row-major and each cell's ``A`` anchors in the library's own order.

        Examples
        --------
        >>> levels = AnchorConfig.from_preset("torchvision-retinanet").levels((800, 800))
        >>> [(lv.level, lv.feature_shape, lv.stride) for lv in levels][3:]
        [(6, (13, 13), (61, 61)), (7, (7, 7), (114, 114))]
        >>> [len(lv.anchors) for lv in AnchorConfig.from_preset("torchvision-retinanet").levels((800, 1333))]
        [151200, 37800, 9450, 2457, 693]
        """
        padded = self.padded_shape(image_shape)
        shapes = None if feature_shapes is None else _feature_shapes(feature_shapes)
        return self._library.layout(self.parameters, padded, shapes)

    def anchors(
        self, image_shape: Sequence[int], *, feature_shapes: Sequence[Sequence[int]] | None = None
    ) -> np.ndarray:
        """Every anchor on an image: the :meth:`levels`' anchors one after the other, ``xyxy``, in
        the configuration's :attr:`dtype` (float32 for the libraries that compute in float32; the
        same numbers as :attr:`AnchorLevel.anchors`, which are float64).

        Each level is written once, straight into its slice of the result. The levels' geometry
        (feature shapes, strides, cell anchors) is worked out once per image shape and reused, as
        the libraries' generators keep their cell anchors; the anchors are written anew every call.

        Examples
        --------
        >>> AnchorConfig(sizes=[12], strides=[8], ratios=[1], scales=[1]).anchors((16, 16)).tolist()
        [[-2.0, -2.0, 10.0, 10.0], [6.0, -2.0, 18.0, 10.0], [-2.0, 6.0, 10.0, 18.0], [6.0, 6.0, 18.0, 18.0]]
        >>> PRESETS["torchvision-retinanet"].anchors((800, 1333)).dtype
        dtype('float32')
        """
        shape = shape_pair(image_shape, "image_shape")
        shapes = None if feature_shapes is None else tuple(_feature_shapes(feature_shapes))
        count, dtype, terms = _placement(self, shape, shapes)
        return _write_levels(np.empty((count, 4), dtype), terms, dtype)

    def count(self, image_shape: Sequence[int], *, feature_shapes: Sequence[Sequence[int]] | None = None) -> int:
        """Number of anchors on an image: ``sum over levels of h * w * A`` (none are generated).

        Examples
        --------
        keras-retinanet's unit test: a 64 x 64 image, P3-P5, 4 ratios x 3 scales.

        >>> AnchorConfig(sizes=[32, 64, 128], strides=[8, 16, 32], ratios=[0.5, 1, 2, 3],
        ...              scales=[1, 1.2, 1.6]).count((64, 64))
        1008
        """
        levels = self.levels(image_shape, feature_shapes=feature_shapes)
        return int(sum(lv.feature_shape[0] * lv.feature_shape[1] * len(lv.cell_anchors) for lv in levels))

    def memory(self, image_shape: Sequence[int], *, feature_shapes: Sequence[Sequence[int]] | None = None) -> int:
        """Bytes the anchors of one image take as float32 ``xyxy`` boxes (16 bytes each).

        Examples
        --------
        >>> AnchorConfig(sizes=[32, 64, 128], strides=[8, 16, 32], ratios=[0.5, 1, 2, 3],
        ...              scales=[1, 1.2, 1.6]).memory((64, 64))
        16128
        """
        return self.count(image_shape, feature_shapes=feature_shapes) * 4 * np.dtype(np.float32).itemsize


def _library(name: Any) -> _Library:
    if not isinstance(name, str):
        raise TypeError(f"preset must be a preset name (str), got {type(name).__name__} {name!r}")
    if name not in _LIBRARIES:
        raise ValueError(f"preset must be one of {', '.join(_LIBRARIES)}; got {name!r}")
    return _LIBRARIES[name]


@lru_cache(maxsize=64)
def _placement(config: AnchorConfig, image_shape: tuple[int, int], feature_shapes) -> tuple[int, str, tuple]:
    """What :meth:`AnchorConfig.anchors` writes on an image of this shape: the number of anchors,
    the dtype and each level's two small terms (:func:`anchorlib.grid._level_terms`; a row of
    cells and a column of shifts, read-only), kept for the 64 most recent configurations and shapes."""
    levels = config.levels(image_shape, feature_shapes=None if feature_shapes is None else list(feature_shapes))
    count = sum(lv.feature_shape[0] * lv.feature_shape[1] * len(lv.cell_anchors) for lv in levels)
    dtype = levels[0].dtype
    return count, dtype, tuple(_level_terms(lv.cell_anchors, lv.feature_shape, lv.stride, lv.offset, dtype)
                               for lv in levels)


def _feature_shapes(feature_shapes: Any) -> list[tuple[int, int]]:
    if isinstance(feature_shapes, (str, bytes)) or not isinstance(feature_shapes, Sequence):
        raise TypeError(f"feature_shapes must be a list of (height, width) pairs, got {feature_shapes!r}")
    return [shape_pair(shape, f"feature_shapes[{k}]") for k, shape in enumerate(feature_shapes)]


PRESETS: Mapping[str, AnchorConfig] = MappingProxyType({name: AnchorConfig.from_preset(name) for name in _LIBRARIES})
"""The presets by name, each the :class:`AnchorConfig` of a library's default detector, with its
description, upstream source and parameters (by the library's own names)."""
