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

import numpy as np
from numpy.typing import ArrayLike

from ._checks import positive_scalar, positive_vector

__all__ = ["torchvision_base_anchors", "py_faster_rcnn_base_anchors"]


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
