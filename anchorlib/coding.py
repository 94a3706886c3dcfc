"""Box coding: how a detector turns an anchor and a box into regression targets, and back.

The network never sees an anchor. It predicts four numbers per anchor, and the anchor only says what
those numbers mean. Two codings are in use:

* the **R-CNN parametrisation** (Girshick et al. 2014, appendix C), used by Faster R-CNN, RetinaNet
  in torchvision, detectron2 and mmdetection: with centres ``(x, y)``, widths ``w`` and heights
  ``h`` of the box and of the anchor (subscript ``a``),

  .. math:: t_x = w_x\\frac{x - x_a}{w_a},\\quad t_y = w_y\\frac{y - y_a}{h_a},\\quad
            t_w = w_w\\log\\frac{w}{w_a},\\quad t_h = w_h\\log\\frac{h}{h_a},

  where the weights ``(w_x, w_y, w_w, w_h)`` are ``(1, 1, 1, 1)`` for RPN and RetinaNet and
  ``(10, 10, 5, 5)`` for the second stage of Faster R-CNN (torchvision ``BoxCoder``, detectron2
  ``Box2BoxTransform``, mmdetection ``DeltaXYWHBBoxCoder`` with ``target_stds = 1 / weights``);
* keras-retinanet's **corner offsets**: the four corner displacements divided by the anchor's
  width or height, then by ``std = 0.2`` (``keras_retinanet/utils/anchors.py`` ``bbox_transform``,
  L312-349 @7ac91df).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, positive_vector, real_array, real_scalar

__all__ = ["DEFAULT_SCALE_CLAMP", "encode", "decode", "encode_corners", "decode_corners"]

#: Upper bound on ``t_w`` and ``t_h`` before the exponential in :func:`decode`: ``log(1000 / 16)``,
#: the value of torchvision (``BoxCoder.bbox_xform_clip``), detectron2 (``_DEFAULT_SCALE_CLAMP``)
#: and mmdetection (``wh_ratio_clip = 16 / 1000``). A decoded box is at most ``1000 / 16 = 62.5``
#: times wider or taller than its anchor.
DEFAULT_SCALE_CLAMP = math.log(1000 / 16)


def _four(values: Any, name: str) -> np.ndarray:
    """Four positive numbers (a scalar is repeated)."""
    array = positive_vector(values, name)
    if array.size == 1:
        array = np.repeat(array, 4)
    if array.size != 4:
        raise ValueError(f"{name} must be one number or four numbers, got {values!r}")
    return array


def _reference_boxes(boxes: ArrayLike, name: str) -> np.ndarray:
    """``(N, 4)`` xyxy boxes with positive width and height (they are divided by)."""
    array = boxes_array(boxes, name)
    bad = np.flatnonzero((array[:, 2] <= array[:, 0]) | (array[:, 3] <= array[:, 1]))
    if bad.size:
        raise ValueError(
            f"{name} must have positive width and height (x2 > x1, y2 > y1) to serve as a "
            f"reference for box coding; row {bad[0]} is {array[bad[0]].tolist()}"
        )
    return array


def _same_length(anchors: np.ndarray, other: np.ndarray, name: str) -> None:
    if len(anchors) != len(other):
        raise ValueError(
            f"anchors and {name} must have the same number of rows, got {len(anchors)} and "
            f"{len(other)}"
        )


def _deltas(deltas: ArrayLike, reference: np.ndarray) -> np.ndarray:
    """``(N, 4)`` finite deltas, one row per reference box."""
    codes = real_array(deltas, "deltas")
    if codes.ndim != 2 or codes.shape[1] != 4:
        raise ValueError(f"deltas must have shape (N, 4), got {codes.shape}")
    _same_length(reference, codes, "deltas")
    return codes


def _centre_size(boxes: np.ndarray) -> tuple[np.ndarray, ...]:
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * w, boxes[:, 1] + 0.5 * h, w, h


def encode(
    anchors: ArrayLike, boxes: ArrayLike, weights: ArrayLike = (1.0, 1.0, 1.0, 1.0)
) -> np.ndarray:
    """Regression targets ``(tx, ty, tw, th)`` of ``boxes`` relative to ``anchors`` (R-CNN coding).

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        Reference boxes (``xyxy``) with positive width and height.
    boxes : array_like, shape (N, 4)
        Target boxes (``xyxy``), one per anchor, with positive width and height.
    weights : four positive floats, default (1, 1, 1, 1)
        ``(wx, wy, ww, wh)`` multiplying the four targets: ``(10, 10, 5, 5)`` is Faster R-CNN's
        second stage (py-faster-rcnn ``BBOX_NORMALIZE_STDS = (0.1, 0.1, 0.2, 0.2)``).

    Returns
    -------
    numpy.ndarray, shape (N, 4)

    Raises
    ------
    ValueError
        If an anchor or a box has zero width or height (the logarithm and the division would give
        ``inf``), the row counts differ or a weight is not positive.

    Examples
    --------
    >>> encode([[0, 0, 32, 32]], [[4, -2, 40, 30]]).round(4).tolist()
    [[0.1875, -0.0625, 0.1178, 0.0]]
    """
    reference = _reference_boxes(anchors, "anchors")
    target = _reference_boxes(boxes, "boxes")
    _same_length(reference, target, "boxes")
    wx, wy, ww, wh = _four(weights, "weights")
    xa, ya, wa, ha = _centre_size(reference)
    x, y, w, h = _centre_size(target)
    return np.stack(
        [wx * (x - xa) / wa, wy * (y - ya) / ha, ww * np.log(w / wa), wh * np.log(h / ha)], axis=1
    )


def decode(
    anchors: ArrayLike,
    deltas: ArrayLike,
    weights: ArrayLike = (1.0, 1.0, 1.0, 1.0),
    clamp: float | None = DEFAULT_SCALE_CLAMP,
) -> np.ndarray:
    """Boxes predicted by ``deltas`` relative to ``anchors``: the inverse of :func:`encode`.

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        Reference boxes (``xyxy``) with positive width and height.
    deltas : array_like, shape (N, 4)
        ``(tx, ty, tw, th)``, e.g. a network's regression output.
    weights : four positive floats, default (1, 1, 1, 1)
        The weights used by :func:`encode`; the deltas are divided by them.
    clamp : float or None, default ``log(1000 / 16)``
        Upper bound applied to ``tw / ww`` and ``th / wh`` before the exponential, as torchvision,
        detectron2 and mmdetection do (:data:`DEFAULT_SCALE_CLAMP`); ``None`` applies none.

    Returns
    -------
    numpy.ndarray, shape (N, 4)
        ``xyxy`` boxes.

    Raises
    ------
    ValueError
        If an anchor has zero width or height, the row counts differ, a weight is not positive or
        a delta is not finite.

    Examples
    --------
    >>> decode([[0, 0, 32, 32]], [[0.1875, -0.0625, 0.0, 0.0]]).tolist()
    [[6.0, -2.0, 38.0, 30.0]]
    >>> decode([[0, 0, 32, 32]], [[0, 0, 10, 0]]).round(1).tolist()  # width clamped to 62.5 x 32
    [[-984.0, 0.0, 1016.0, 32.0]]
    """
    reference = _reference_boxes(anchors, "anchors")
    codes = _deltas(deltas, reference)
    wx, wy, ww, wh = _four(weights, "weights")
    dx, dy, dw, dh = codes[:, 0] / wx, codes[:, 1] / wy, codes[:, 2] / ww, codes[:, 3] / wh
    if clamp is not None:
        bound = real_scalar(clamp, "clamp")
        dw = np.minimum(dw, bound)
        dh = np.minimum(dh, bound)
    xa, ya, wa, ha = _centre_size(reference)
    x, y = xa + dx * wa, ya + dy * ha
    w, h = wa * np.exp(dw), ha * np.exp(dh)
    return np.stack([x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h], axis=1)


def encode_corners(anchors: ArrayLike, boxes: ArrayLike, std: ArrayLike = 0.2) -> np.ndarray:
    """keras-retinanet's regression targets: corner offsets over the anchor's size, over ``std``.

    ``((x1 - xa1) / wa, (y1 - ya1) / ha, (x2 - xa2) / wa, (y2 - ya2) / ha) / std``
    (``keras_retinanet/utils/anchors.py`` ``bbox_transform`` L339-347 @7ac91df, mean 0).

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        Reference boxes (``xyxy``) with positive width and height.
    boxes : array_like, shape (N, 4)
        Target boxes (``xyxy``), one per anchor.
    std : float or four floats, default 0.2
        keras-retinanet's default ``std = [0.2, 0.2, 0.2, 0.2]``.

    Returns
    -------
    numpy.ndarray, shape (N, 4)

    Examples
    --------
    >>> encode_corners([[0, 0, 32, 32]], [[4, -2, 40, 30]]).tolist()
    [[0.625, -0.3125, 1.25, -0.3125]]
    """
    reference = _reference_boxes(anchors, "anchors")
    target = boxes_array(boxes, "boxes")
    _same_length(reference, target, "boxes")
    scale = _four(std, "std")
    _, _, wa, ha = _centre_size(reference)
    size = np.stack([wa, ha, wa, ha], axis=1)
    return (target - reference) / size / scale


def decode_corners(anchors: ArrayLike, deltas: ArrayLike, std: ArrayLike = 0.2) -> np.ndarray:
    """Boxes from keras-retinanet corner deltas: the inverse of :func:`encode_corners`.

    ``x1 = xa1 + dx1 * std * wa`` and likewise for the other corners (keras-retinanet
    ``backend/backend.py`` ``bbox_transform_inv`` @7ac91df). There is no clamp: corner offsets grow
    linearly, not exponentially.

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        Reference boxes (``xyxy``) with positive width and height.
    deltas : array_like, shape (N, 4)
        Corner deltas.
    std : float or four floats, default 0.2

    Returns
    -------
    numpy.ndarray, shape (N, 4)
        Boxes; nothing forces ``x2 >= x1`` when the deltas come from an untrained network.

    Examples
    --------
    >>> decode_corners([[0, 0, 32, 32]], [[0.625, -0.3125, 1.25, -0.3125]]).tolist()
    [[4.0, -2.0, 40.0, 30.0]]
    """
    reference = _reference_boxes(anchors, "anchors")
    codes = _deltas(deltas, reference)
    scale = _four(std, "std")
    _, _, wa, ha = _centre_size(reference)
    size = np.stack([wa, ha, wa, ha], axis=1)
    return reference + codes * scale * size
