"""Shifting one cell's anchors over a feature map.

Cell ``(i, j)`` (row ``i``, column ``j``) of a feature map with stride ``S`` gets its anchors centred
at ``((j + offset) * S, (i + offset) * S)`` in input pixels. The offset is the whole difference
between the libraries' conventions: keras-retinanet uses ``offset = 0.5`` (the centre of the
``S x S`` block the cell stands for), torchvision and mmdetection's default use ``offset = 0``.
A third convention centres the grid of cell centres on the image
(:func:`anchorlib.centered_grid_start`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, pair, positive_int, positive_scalar, real_scalar, shape_pair

__all__ = ["cell_centers", "centered_grid_start", "feature_shape", "shift"]

_ZERO = complex(-0.0, -0.0)  # the additive identity of IEEE arithmetic, sign of zero included
_BUFFER = 256  # elements: numpy's iteration buffer while writing shifted anchors (see _place_levels)


def feature_shape(image_shape: Sequence[int], stride: int) -> tuple[int, int]:
    """``(height, width)`` of the feature map a stride-``stride`` network computes on an image.

    ``ceil(n / stride)`` cells per side: what a chain of stride-2 layers that each round up gives
    (``ceil(ceil(n / 2) / 2) = ceil(n / 4)``), as ResNet's padded convolutions, VGG16's ceil-mode
    poolings and TensorFlow's ``"same"`` padding do. It is the rule behind the presets whose
    :attr:`~anchorlib.AnchorConfig.feature_shape_rule` says ``ceil(n / ...)``; a network whose
    stride-2 layers round down (``"valid"`` padding) has fewer cells on odd sizes, and
    :mod:`anchorlib.receptive` traces those layer by layer.

    Parameters
    ----------
    image_shape : (int, int)
        ``(height, width)`` of the network input, in pixels.
    stride : int
        Input pixels per cell (a whole number, as every pyramid level's is).

    Examples
    --------
    >>> feature_shape((600, 1000), 32)  # 600 / 32 = 18.75, 1000 / 32 = 31.25: both round up
    (19, 32)
    >>> feature_shape((800, 1344), 8)
    (100, 168)
    """
    height, width = shape_pair(image_shape, "image_shape")
    step = positive_int(stride, "stride")
    return -(-height // step), -(-width // step)  # integer ceil division, exact for any size


def _axis_centers(feature_shape, stride, offset) -> tuple[np.ndarray, np.ndarray]:
    """Validated centre coordinates along x (one per column) and y (one per row)."""
    height, width = shape_pair(feature_shape, "feature_shape")
    stride_y, stride_x = pair(stride, "stride", positive_scalar)
    offset_y, offset_x = pair(offset, "offset", real_scalar)
    return (np.arange(width) + offset_x) * stride_x, (np.arange(height) + offset_y) * stride_y


def cell_centers(
    feature_shape: Sequence[int],
    stride: float | Sequence[float],
    offset: float | Sequence[float] = 0.5,
) -> np.ndarray:
    """Centres of the cells of a feature map, in input pixels.

    Parameters
    ----------
    feature_shape : (int, int)
        ``(height, width)`` of the feature map, in cells.
    stride : float or (float, float)
        Input pixels per cell; a pair is ``(stride_y, stride_x)``.
    offset : float or (float, float), default 0.5
        Where the centre sits within a cell, in strides; a pair is ``(offset_y, offset_x)``.

    Returns
    -------
    numpy.ndarray, shape (height * width, 2)
        ``(cx, cy)`` of cell ``(i, j)`` at row ``i * width + j`` (row-major).

    Examples
    --------
    >>> cell_centers((2, 3), 8).tolist()
    [[4.0, 4.0], [12.0, 4.0], [20.0, 4.0], [4.0, 12.0], [12.0, 12.0], [20.0, 12.0]]
    """
    xs, ys = _axis_centers(feature_shape, stride, offset)
    cx, cy = np.meshgrid(xs, ys)  # (height, width) each, row-major
    return np.stack([cx.reshape(-1), cy.reshape(-1)], axis=1)


def shift(
    base_anchors: ArrayLike,
    feature_shape: Sequence[int],
    stride: float | Sequence[float],
    offset: float | Sequence[float] = 0.5,
    *,
    precision: str = "float64",
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Place one cell's anchors on every cell of a feature map.

    Parameters
    ----------
    base_anchors : array_like, shape (A, 4)
        ``xyxy`` anchors centred on ``(0, 0)``, e.g. from :func:`anchorlib.base_anchors`.
    feature_shape : (int, int)
        ``(height, width)`` of the feature map.
    stride : float or (float, float)
        Input pixels per cell; a pair is ``(stride_y, stride_x)``.
    offset : float or (float, float), default 0.5
        Centre of cell ``(i, j)`` is ``((j + offset) * stride, (i + offset) * stride)``.
        0.5 is keras-retinanet's convention, 0 torchvision's.
    precision : {"float64", "float32"}, default "float64"
        Precision of the addition. ``"float32"`` reproduces libraries that add their shifts in
        single precision (torchvision, mmdetection, detectron2): each coordinate is the float32
        sum (returned as float64 unless ``out`` is float32).
    out : numpy.ndarray, optional
        A C-contiguous ``(height * width * A, 4)`` array to write the anchors into, e.g. one level's
        slice of a preallocated pyramid; float64, or float32 when ``precision="float32"``. Every
        element is written exactly once, and ``out`` is returned.

    Returns
    -------
    numpy.ndarray, shape (height * width * A, 4)
        Cells in row-major order; the ``A`` anchors of one cell are contiguous, in the order of
        ``base_anchors``. A new float64 array, or ``out``.

    Examples
    --------
    >>> shift([[-16, -16, 16, 16]], (1, 2), 8).tolist()
    [[-12.0, -12.0, 20.0, 20.0], [-4.0, -12.0, 28.0, 20.0]]
    >>> shift([[-16, -16, 16, 16]], (1, 1), 8, offset=0).tolist()
    [[-16.0, -16.0, 16.0, 16.0]]
    >>> level = np.empty((2, 4), np.float32)
    >>> shift([[-16, -16, 16, 16]], (1, 2), 8, precision="float32", out=level) is level
    True
    """
    anchors = boxes_array(base_anchors, "base_anchors")
    if precision not in ("float64", "float32"):
        raise ValueError(f"precision must be 'float64' or 'float32', got {precision!r}")
    height, width = shape_pair(feature_shape, "feature_shape")
    strides = pair(stride, "stride", positive_scalar)
    offsets = pair(offset, "offset", real_scalar)
    shape = (height * width * len(anchors), 4)
    if out is None:
        out = np.empty(shape)
    elif not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    elif out.shape != shape or not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"out must be a writeable C-contiguous array of shape {shape}, got shape {out.shape}")
    elif out.dtype not in (np.float64, np.dtype(precision)):
        raise ValueError(f"out must be float64 or {precision} (the precision), got {out.dtype}")
    return _place_levels(out, [(anchors, (height, width), strides, offsets)], precision)


def _place_levels(out: np.ndarray, levels: Sequence[tuple], precision: str) -> np.ndarray:
    """Write several levels' shifted anchors one after the other into ``out`` and return it.

    Each level is ``(cell_anchors, (height, width), (stride_y, stride_x), (offset_y, offset_x))``,
    already checked (:func:`shift` checks them; a preset's levels are checked when built); ``out``
    is a C-contiguous float64 or ``precision`` array with exactly their anchors' rows. Cell
    ``(i, j)`` of a level gets ``cell_anchors + (xs[j], ys[i], xs[j], ys[i])`` with
    ``xs = (arange(width) + offset_x) * stride_x`` (float64), each sum rounded once to
    ``precision``, as :func:`shift` documents.
    """
    return _write_levels(out, [_level_terms(*level, precision) for level in levels], precision)


def _level_terms(cell: np.ndarray, feature_shape, stride, offset, precision: str) -> tuple[np.ndarray, np.ndarray]:
    """The two small terms whose broadcast sum is a level's anchors: ``(lines, row)``, read-only.

    Each ``(x, y)`` pair of coordinates is one complex number ``x + yj``: ``row[j, a, k]`` is
    ``(xs[j] + x) + y j`` for corner ``k`` of cell anchor ``a`` (the cells of one row), and
    ``lines[i]`` is ``-0 + ys[i] j``, so that ``lines[i] + row`` is row ``i`` of the level. Complex
    addition adds real and imaginary parts separately, and adding -0.0 changes no number (not even
    the sign of a zero, which adding +0.0 would): every coordinate is the one rounding of
    ``xs[j] + x`` or ``ys[i] + y`` in ``precision``, bit for bit the sums of a plain broadcast
    ``anchors + shifts`` (``tests/test_grid.py`` compares them on many shapes).
    """
    (height, width), (stride_y, stride_x), (offset_y, offset_x) = feature_shape, stride, offset
    real = np.dtype(precision)
    pair = np.result_type(real, np.complex64)  # complex64 for float32, complex128 for float64
    xs = np.arange(width, dtype=np.float64)
    xs += offset_x
    xs *= stride_x
    corners = np.ascontiguousarray(cell, real).view(pair)  # (A, 2): x1 + y1 j, x2 + y2 j
    columns = np.full(width, _ZERO, pair)
    columns.real = xs
    row = np.add(columns[:, None, None], corners[None]).reshape(1, -1)  # (W, A, 2) flat: xs[j] + x, y
    lines = np.full((height, 1), _ZERO, pair)
    lines.imag[:, 0] = (np.arange(height) + offset_y) * stride_y
    row.flags.writeable = lines.flags.writeable = False
    return lines, row


def _write_levels(out: np.ndarray, terms: Sequence[tuple[np.ndarray, np.ndarray]], precision: str) -> np.ndarray:
    """``out`` filled level after level with ``lines + row`` (:func:`_level_terms`): one pass."""
    pair = np.result_type(np.dtype(precision), np.complex64)
    pairs = out.reshape(-1).view(np.result_type(out.dtype, np.complex64))
    start = 0
    # numpy 2.4 copies rows shorter than a third of its iteration buffer through that buffer,
    # which made the addition about 5x slower for rows under 2,731 numbers (measured on numpy
    # 2.4.6); a small buffer turns that off. The setting is numpy's per-context state, restored.
    previous = np.setbufsize(_BUFFER)
    try:
        for lines, row in terms:
            stop = start + lines.size * row.size
            np.add(lines, row, out=pairs[start:stop].reshape(lines.size, -1), dtype=pair)
            start = stop
    finally:
        np.setbufsize(previous)
    return out


def centered_grid_start(image_size: int, feature_size: int, stride: float) -> float:
    """Centre of cell 0 when the grid of cell centres is centred on the image, along one axis.

    The ``feature_size`` centres, ``stride`` apart, span ``(feature_size - 1) * stride``; centring
    that span on an axis of ``image_size`` pixels puts the first centre at
    ``(image_size - (feature_size - 1) * stride) / 2``. This is the convention proposed in
    keras-retinanet pull request #1075. Divide by ``stride`` for the ``offset`` of :func:`shift`.

    Examples
    --------
    >>> centered_grid_start(256, 32, 8)
    4.0
    >>> centered_grid_start(800, 13, 64)
    16.0
    """
    size = positive_int(image_size, "image_size")
    cells = positive_int(feature_size, "feature_size")
    step = positive_scalar(stride, "stride")
    return (size - (cells - 1) * step) / 2
