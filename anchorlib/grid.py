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

__all__ = ["cell_centers", "centered_grid_start", "shift"]


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
        sum, returned as float64.

    Returns
    -------
    numpy.ndarray, shape (height * width * A, 4)
        Cells in row-major order; the ``A`` anchors of one cell are contiguous, in the order of
        ``base_anchors``.

    Examples
    --------
    >>> shift([[-16, -16, 16, 16]], (1, 2), 8).tolist()
    [[-12.0, -12.0, 20.0, 20.0], [-4.0, -12.0, 28.0, 20.0]]
    >>> shift([[-16, -16, 16, 16]], (1, 1), 8, offset=0).tolist()
    [[-16.0, -16.0, 16.0, 16.0]]
    """
    anchors = boxes_array(base_anchors, "base_anchors")
    if precision not in ("float64", "float32"):
        raise ValueError(f"precision must be 'float64' or 'float32', got {precision!r}")
    xs, ys = _axis_centers(feature_shape, stride, offset)
    out = np.empty((len(ys), len(xs), len(anchors), 4))
    if precision == "float64":
        _add_shifts(out, xs, ys, anchors)
        return out.reshape(-1, 4)
    # float32: add a few rows at a time into a small buffer that stays in cache, then widen them
    # into the float64 output, so the output is written to memory only once.
    xs32, ys32, anchors32 = xs.astype(np.float32), ys.astype(np.float32), anchors.astype(np.float32)
    rows = max(1, (1 << 18) // max(out[0].nbytes // 2, 1))  # about 256 KiB of float32 per block
    block = np.empty((rows,) + out.shape[1:], dtype=np.float32)
    for top in range(0, len(ys), rows):
        part = block[: min(rows, len(ys) - top)]
        _add_shifts(part, xs32, ys32[top : top + len(part)], anchors32)
        out[top : top + len(part)] = part
    return out.reshape(-1, 4)


def _add_shifts(out: np.ndarray, xs: np.ndarray, ys: np.ndarray, anchors: np.ndarray) -> None:
    """``out[i, j, a] = anchors[a] + (xs[j], ys[i], xs[j], ys[i])``, in ``out``'s precision."""
    # x and y columns are computed separately into contiguous temporaries and then copied into
    # place: broadcasting straight into the strided output runs numpy's inner loop over a few
    # elements at a time, which measured about 1.5x slower.
    out[..., 0::2] = xs[None, :, None, None] + anchors[None, None, :, 0::2]
    out[..., 1::2] = ys[:, None, None, None] + anchors[None, None, :, 1::2]


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
