"""Anchor shapes from a base size, scales and aspect ratios.

Every major library (keras-retinanet, torchvision, mmdetection, detectron2, py-faster-rcnn) defines
the aspect ratio as **height / width**: ``ratio = 0.5`` is a box twice as wide as it is tall. For a
base size ``s``, a scale ``sigma`` and a ratio ``r`` the anchor keeps the area ``(s * sigma) ** 2``:

.. math:: w = \\frac{s\\sigma}{\\sqrt{r}}, \\qquad h = s\\sigma\\sqrt{r}.

This module computes those exact, unrounded shapes; library-specific rounding lives in
:mod:`anchorlib.presets`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import positive_int, positive_scalar, positive_vector

__all__ = ["anchor_shapes", "base_anchors", "octave_scales"]


def anchor_shapes(base_size: float, ratios: ArrayLike, scales: ArrayLike) -> np.ndarray:
    """Widths and heights of the anchors of one pyramid level.

    Parameters
    ----------
    base_size : float
        Side of the square anchor at scale 1, in input pixels (e.g. 32 for RetinaNet's P3).
    ratios : array_like of float
        Aspect ratios, defined as **height / width** (0.5 is wide, 2 is tall).
    scales : array_like of float
        Multipliers of ``base_size``; the anchor side at ratio 1 is ``base_size * scale``.

    Returns
    -------
    numpy.ndarray, shape (len(ratios) * len(scales), 2)
        ``(w, h)`` rows ordered ratio-major with the scales varying fastest, the order of
        keras-retinanet, torchvision and mmdetection. Each row keeps the area
        ``(base_size * scale) ** 2`` and has ``h / w == ratio``.

    Raises
    ------
    ValueError
        If ``base_size``, a ratio or a scale is not positive and finite, or a sequence is empty.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> anchor_shapes(16, [0.5], [1]).round(3).tolist()
    [[22.627, 11.314]]
    >>> anchor_shapes(32, [1, 2], [0.5, 1]).round(3).tolist()
    [[16.0, 16.0], [32.0, 32.0], [11.314, 22.627], [22.627, 45.255]]
    """
    size = positive_scalar(base_size, "base_size")
    ratio = positive_vector(ratios, "ratios")
    scale = positive_vector(scales, "scales")
    side = size * scale[None, :]  # (1, S): the square side at each scale
    root = np.sqrt(ratio)[:, None]  # (R, 1)
    widths = (side / root).reshape(-1)
    heights = (side * root).reshape(-1)
    return np.stack([widths, heights], axis=1)


def base_anchors(base_size: float, ratios: ArrayLike, scales: ArrayLike) -> np.ndarray:
    """The anchors of one cell as ``xyxy`` boxes centred on ``(0, 0)``.

    Parameters
    ----------
    base_size, ratios, scales
        As in :func:`anchor_shapes`.

    Returns
    -------
    numpy.ndarray, shape (len(ratios) * len(scales), 4)
        ``(-w/2, -h/2, w/2, h/2)`` for each shape of :func:`anchor_shapes`, in the same order.

    Examples
    --------
    >>> base_anchors(32, [1], [1]).tolist()
    [[-16.0, -16.0, 16.0, 16.0]]
    """
    half = anchor_shapes(base_size, ratios, scales) / 2
    return np.concatenate([-half, half], axis=1)


def octave_scales(scales_per_octave: int = 3) -> np.ndarray:
    """Scales ``2 ** (k / scales_per_octave)`` for ``k`` from 0 to ``scales_per_octave - 1``.

    RetinaNet (Lin et al., 2017, section 4) uses three scales per octave: ``2**0, 2**(1/3), 2**(2/3)``,
    so the anchor sides of neighbouring levels interleave evenly on a log scale.

    Examples
    --------
    >>> octave_scales(3).round(4).tolist()
    [1.0, 1.2599, 1.5874]
    """
    count = positive_int(scales_per_octave, "scales_per_octave")
    return 2.0 ** (np.arange(count) / count)
