"""Anchor shapes from a base size, scales and aspect ratios.

The word "aspect ratio" has two orientations in the code people port from (:data:`RATIO_ORIENTATION`
lists each with its source). keras-retinanet, torchvision's ``AnchorGenerator``, mmdetection,
detectron2 and py-faster-rcnn define it as **height / width**: ``ratio = 0.5`` is a box twice as
wide as it is tall. The TensorFlow Object Detection API, the SSD paper, torchvision's SSD
``DefaultBoxGenerator`` and the D2L textbook define it as **width / height**, so there ``0.5`` is
tall. For a base size ``s``, a scale ``sigma`` and a ratio ``r = h / w`` (the default) the anchor
keeps the area ``(s * sigma) ** 2``:

.. math:: w = \\frac{s\\sigma}{\\sqrt{r}}, \\qquad h = s\\sigma\\sqrt{r},

and with ``ratio_is="w/h"`` the two formulas swap. This module computes those exact, unrounded
shapes; library-specific rounding lives in :mod:`anchorlib.presets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from ._checks import positive_int, positive_scalar, positive_vector

__all__ = ["RATIO_ORIENTATION", "anchor_shapes", "base_anchors", "octave_scales"]

#: Which way round each library's aspect ratio is, ``"h/w"`` or ``"w/h"``, with the code (or paper)
#: that decides it (read-only).
RATIO_ORIENTATION: Mapping[str, tuple[str, str]] = MappingProxyType({
    "keras-retinanet": ("h/w", "fizyr/keras-retinanet@7ac91df keras_retinanet/utils/anchors.py: h = w * ratio"),
    "torchvision": ("h/w", "pytorch/vision@6922d21 models/detection/anchor_utils.py AnchorGenerator: "
                    "h_ratios = sqrt(aspect_ratios), 'aspect ratio = height / width'"),
    "mmdetection": ("h/w", "open-mmlab/mmdetection@c176bc8 prior_generators/anchor_generator.py: "
                    "h_ratios = sqrt(ratios), 'ratios between the height and width'"),
    "detectron2": ("h/w", "facebookresearch/detectron2@02b5c4e modeling/anchor_generator.py: h = aspect_ratio * w"),
    "py-faster-rcnn": ("h/w", "rbgirshick/py-faster-rcnn@781a917 lib/rpn/generate_anchors.py: hs = round(ws * ratios)"),
    "tf-object-detection": ("w/h", "tensorflow/models@3617973 research/object_detection/anchor_generators/"
                            "grid_anchor_generator.py tile_anchors: widths = scales * sqrt(ratio) * base"),
    "ssd": ("w/h", "Liu et al. 2016, section 2.2: w = s_k sqrt(a_r), h = s_k / sqrt(a_r)"),
    "torchvision-ssd": ("w/h", "pytorch/vision@6922d21 models/detection/anchor_utils.py DefaultBoxGenerator: "
                        "w = scale * sqrt(ar), h = scale / sqrt(ar)"),
    "d2l": ("w/h", "d2l-ai/d2l-en@23d7a5a chapter_computer-vision/anchor.md multibox_prior: "
            "'aspect ratio (ratio of width to height)', w = s * sqrt(r)"),
})
_ORIENTATIONS = ("h/w", "w/h")


def anchor_shapes(base_size: float, ratios: ArrayLike, scales: ArrayLike, *, ratio_is: str = "h/w") -> np.ndarray:
    """Widths and heights of the anchors of one pyramid level.

    Parameters
    ----------
    base_size : float
        Side of the square anchor at scale 1, in input pixels (e.g. 32 for RetinaNet's P3).
    ratios : array_like of float
        Aspect ratios, by default **height / width** (0.5 is wide, 2 is tall).
    scales : array_like of float
        Multipliers of ``base_size``; the anchor side at ratio 1 is ``base_size * scale``.
    ratio_is : {"h/w", "w/h"}
        Which way round ``ratios`` are: ``"h/w"`` as keras-retinanet, torchvision's
        ``AnchorGenerator``, mmdetection, detectron2 and py-faster-rcnn; ``"w/h"`` as the TensorFlow
        Object Detection API, SSD, torchvision's SSD and D2L (see :data:`RATIO_ORIENTATION`).

    Returns
    -------
    numpy.ndarray, shape (len(ratios) * len(scales), 2)
        ``(w, h)`` rows ordered ratio-major with the scales varying fastest, the order of
        keras-retinanet, torchvision, mmdetection and the TensorFlow Object Detection API. Each row
        keeps the area ``(base_size * scale) ** 2`` and has ``h / w == ratio`` (``w / h == ratio``
        with ``ratio_is="w/h"``).

    Raises
    ------
    ValueError
        If ``base_size``, a ratio or a scale is not positive and finite, a sequence is empty, or
        ``ratio_is`` is neither ``"h/w"`` nor ``"w/h"``.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> anchor_shapes(16, [0.5], [1]).round(3).tolist()
    [[22.627, 11.314]]
    >>> anchor_shapes(16, [0.5], [1], ratio_is="w/h").round(3).tolist()  # TF OD API, SSD: 0.5 is tall
    [[11.314, 22.627]]
    >>> anchor_shapes(32, [1, 2], [0.5, 1]).round(3).tolist()
    [[16.0, 16.0], [32.0, 32.0], [11.314, 22.627], [22.627, 45.255]]
    """
    size = positive_scalar(base_size, "base_size")
    ratio = positive_vector(ratios, "ratios")
    scale = positive_vector(scales, "scales")
    if ratio_is not in _ORIENTATIONS:
        raise ValueError(f"ratio_is must be one of {_ORIENTATIONS}, got {ratio_is!r}")
    side = size * scale[None, :]  # (1, S): the square side at each scale
    # sqrt(h / w): a w/h ratio is the reciprocal of the h/w ratio of the same box
    root = np.sqrt(ratio if ratio_is == "h/w" else 1 / ratio)[:, None]  # (R, 1)
    with np.errstate(over="ignore", under="ignore"):  # extreme inputs are refused just below
        widths = (side / root).reshape(-1)
        heights = (side * root).reshape(-1)
    if not (np.isfinite(widths).all() and np.isfinite(heights).all() and (widths > 0).all() and (heights > 0).all()):
        raise ValueError(f"base_size, ratios and scales give anchor sides beyond float64 (inf or 0): "
                         f"base_size={size!r}, ratios={ratios!r}, scales={scales!r}")
    return np.stack([widths, heights], axis=1)


def base_anchors(base_size: float, ratios: ArrayLike, scales: ArrayLike, *, ratio_is: str = "h/w") -> np.ndarray:
    """The anchors of one cell as ``xyxy`` boxes centred on ``(0, 0)``.

    Parameters
    ----------
    base_size, ratios, scales, ratio_is
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
    half = anchor_shapes(base_size, ratios, scales, ratio_is=ratio_is) / 2
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
