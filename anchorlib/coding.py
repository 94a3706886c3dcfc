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

**Each library's own arithmetic.** By default :func:`~anchorlib.encode` and :func:`~anchorlib.decode`
compute the formula above in float64, with torchvision's order of operations. ``library=``
reproduces a library bit for bit, in its own precision and order of operations (IEEE ``+ - * /``
and ``sqrt`` round identically in numpy and torch, so the same order gives the same bits):

* ``"torchvision"``, ``"detectron2"``: float32, centres ``x1 + 0.5 * w``, ``t_x = w_x (x - x_a) / w_a``,
  ``t_w`` clamped from above only (``BoxCoder.decode_single``, ``Box2BoxTransform.apply_deltas``);
* ``"mmdet"``: float32, centres ``(x1 + x2) * 0.5``, ``means``/``stds`` instead of weights, ``t_w``
  clamped **both ways** to ``[-log(1000/16), log(1000/16)]``, optional ``add_ctr_clamp``/``ctr_clamp``
  (YOLOF) and clipping to ``max_shape`` (``clip_border``) (``delta2bbox``/``bbox2delta``,
  ``mmdet/models/task_modules/coders/delta_xywh_bbox_coder.py``, mmdet 3.3.0);
* ``"mmdet-legacy"``: mmdetection v1's float32 "+1" coder (``LegacyDeltaXYWHBBoxCoder``);
* ``"py-faster-rcnn"``: float64 with "+1" widths (``w = x2 - x1 + 1``), no clamp, and a decoded box
  whose far corner is ``centre + w / 2`` (``lib/fast_rcnn/bbox_transform.py`` @781a917).

Measured against the libraries themselves (``tests/conformance/``, made by ``make conformance``;
the book's Conformance appendix has the counts): the float64 libraries (py-faster-rcnn) are
bit-exact; in the float32 ones every operation is bit-exact except ``log`` and ``exp``. torch's
float32 ``log`` and ``exp`` (vectorised, accurate to about one unit in the last place) are not
correctly rounded, and anchorlib's are (float64, then rounded), so ``t_w``, ``t_h`` and a decoded
box's corners can differ in the last bit or two of a float32 (relative difference about 1e-7); the
appendix gives the measured frequency per group.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, positive_scalar, positive_vector, real_array, real_scalar

__all__ = ["CODING_LIBRARIES", "DEFAULT_SCALE_CLAMP", "encode", "decode", "encode_corners", "decode_corners"]

#: Bound on ``t_w`` and ``t_h`` before the exponential in :func:`decode`: ``log(1000 / 16)``,
#: the value of torchvision (``BoxCoder.bbox_xform_clip``), detectron2 (``_DEFAULT_SCALE_CLAMP``)
#: and mmdetection (``abs(log(wh_ratio_clip))`` with ``wh_ratio_clip = 16 / 1000``). torchvision and
#: detectron2 clamp from above only (a box grows at most 62.5 times, shrinking is unlimited);
#: mmdetection clamps both ways, so a box also shrinks at most 62.5 times (its ``delta2bbox``,
#: proved by the goldens ``tests/conformance/mmdet``).
DEFAULT_SCALE_CLAMP = math.log(1000 / 16)

#: The libraries whose arithmetic :func:`encode` and :func:`decode` reproduce (``library=``).
CODING_LIBRARIES = ("torchvision", "detectron2", "mmdet", "mmdet-legacy", "py-faster-rcnn")


def _four(values: Any, name: str) -> np.ndarray:
    """Four positive numbers (a scalar is repeated)."""
    array = positive_vector(values, name)
    if array.size == 1:
        array = np.repeat(array, 4)
    if array.size != 4:
        raise ValueError(f"{name} must be one number or four numbers, got {values!r}")
    return array


def _reference_boxes(boxes: ArrayLike, name: str, one: float = 0.0) -> np.ndarray:
    """``(N, 4)`` xyxy boxes with positive width and height (they are divided by); with "+1"
    pixels (``one = 1``) a box one pixel wide has ``x2 == x1``."""
    array = boxes_array(boxes, name)
    bad = np.flatnonzero((array[:, 2] + one <= array[:, 0]) | (array[:, 3] + one <= array[:, 1]))
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


def _centre_size(boxes: np.ndarray, one: float = 0.0) -> tuple[np.ndarray, ...]:
    """Centres ``x1 + 0.5 * w`` and sizes ``x2 - x1 (+ 1)``, in the boxes' own float type."""
    half, plus = boxes.dtype.type(0.5), boxes.dtype.type(one)
    w = boxes[:, 2] - boxes[:, 0] + plus
    h = boxes[:, 3] - boxes[:, 1] + plus
    return boxes[:, 0] + half * w, boxes[:, 1] + half * h, w, h


def _log(x: np.ndarray) -> np.ndarray:
    """``log`` in the array's precision, correctly rounded (computed in float64, then rounded).

    For float32 this is closer to torch's ``log`` than numpy's own float32 ``log`` (measured on a
    million random floats: torch's differs from it in 5.1 %, from numpy's float32 in 9.3 %)."""
    return np.log(x.astype(np.float64)).astype(x.dtype)


def _exp(x: np.ndarray) -> np.ndarray:
    """``exp`` like :func:`_log` (torch's float32 ``exp`` differs from it in 0.9 % of random
    inputs, from numpy's float32 ``exp`` in 39 %)."""
    return np.exp(x.astype(np.float64)).astype(x.dtype)


def _library(library: Any) -> str | None:
    if library is None:
        return None
    if library not in CODING_LIBRARIES:
        raise ValueError(f"library must be None or one of {CODING_LIBRARIES}, got {library!r}")
    return library


def _arithmetic(library: str | None) -> tuple[type, float]:
    """(float type, "+1") of a library's box coding."""
    if library in ("torchvision", "detectron2", "mmdet"):
        return np.float32, 0.0
    if library == "mmdet-legacy":
        return np.float32, 1.0
    return np.float64, (1.0 if library == "py-faster-rcnn" else 0.0)


def _means_stds(library: str | None, weights: Any, means: Any, stds: Any) -> tuple[np.ndarray, np.ndarray]:
    """mmdetection's ``means`` and ``stds`` (only with an mmdet library, and then instead of weights)."""
    if library not in ("mmdet", "mmdet-legacy"):
        if means is not None or stds is not None:
            raise ValueError(f"means and stds are mmdet's options, got them with library={library!r}")
        return np.zeros(4), np.ones(4)
    if tuple(_four(weights, "weights")) != (1.0, 1.0, 1.0, 1.0):
        raise ValueError("mmdet has no weights: pass stds (stds = 1 / weights) instead")
    mean = np.zeros(4) if means is None else real_array(means, "means").reshape(-1)
    if mean.size != 4:
        raise ValueError(f"means must be four numbers, got {means!r}")
    return mean, (np.ones(4) if stds is None else _four(stds, "stds"))


def encode(
    anchors: ArrayLike,
    boxes: ArrayLike,
    weights: ArrayLike = (1.0, 1.0, 1.0, 1.0),
    *,
    library: str | None = None,
    means: ArrayLike | None = None,
    stds: ArrayLike | None = None,
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
    library : str, optional
        One of ``anchorlib.coding.CODING_LIBRARIES``: compute exactly as that library does, in its precision
        and order of operations (module docstring). ``None``: float64, torchvision's formula.
    means, stds : four floats, optional
        mmdetection's ``target_means`` / ``target_stds`` (``library="mmdet"`` or
        ``"mmdet-legacy"`` only): ``t = (raw - means) / stds``.

    Returns
    -------
    numpy.ndarray, shape (N, 4)
        float64 (a float32 library's float32 values, widened exactly).

    Raises
    ------
    ValueError
        If an anchor or a box has zero width or height (the logarithm and the division would give
        ``inf``), the row counts differ or a weight is not positive.

    Examples
    --------
    >>> encode([[0, 0, 32, 32]], [[4, -2, 40, 30]]).round(4).tolist()
    [[0.1875, -0.0625, 0.1178, 0.0]]
    >>> encode([[0, 0, 31, 31]], [[4, -2, 39, 29]], library="py-faster-rcnn").round(4).tolist()
    [[0.1875, -0.0625, 0.1178, 0.0]]
    """
    lib = _library(library)
    mean, std = _means_stds(lib, weights, means, stds)
    ftype, one = _arithmetic(lib)
    reference = _reference_boxes(anchors, "anchors", one)
    target = _reference_boxes(boxes, "boxes", one)
    _same_length(reference, target, "boxes")
    wx, wy, ww, wh = (ftype(w) for w in _four(weights, "weights"))
    a, b, half = reference.astype(ftype), target.astype(ftype), ftype(0.5)
    if lib in ("mmdet", "mmdet-legacy"):  # bbox2delta / legacy_bbox2delta
        xa, ya = (a[:, 0] + a[:, 2]) * half, (a[:, 1] + a[:, 3]) * half
        x, y = (b[:, 0] + b[:, 2]) * half, (b[:, 1] + b[:, 3]) * half
        one_f = ftype(one)
        wa, ha = a[:, 2] - a[:, 0] + one_f, a[:, 3] - a[:, 1] + one_f
        w, h = b[:, 2] - b[:, 0] + one_f, b[:, 3] - b[:, 1] + one_f
        raw = np.stack([(x - xa) / wa, (y - ya) / ha, _log(w / wa), _log(h / ha)], axis=1)
        return ((raw - mean.astype(ftype)) / std.astype(ftype)).astype(np.float64)
    xa, ya, wa, ha = _centre_size(a, one)
    x, y, w, h = _centre_size(b, one)
    if lib == "py-faster-rcnn":  # bbox_transform: no weights in the formula, applied after
        codes = np.stack([(x - xa) / wa, (y - ya) / ha, _log(w / wa), _log(h / ha)], axis=1)
        return codes * np.array([wx, wy, ww, wh])
    return np.stack(
        [wx * (x - xa) / wa, wy * (y - ya) / ha, ww * _log(w / wa), wh * _log(h / ha)], axis=1
    ).astype(np.float64)


def decode(
    anchors: ArrayLike,
    deltas: ArrayLike,
    weights: ArrayLike = (1.0, 1.0, 1.0, 1.0),
    clamp: float | None = DEFAULT_SCALE_CLAMP,
    *,
    library: str | None = None,
    means: ArrayLike | None = None,
    stds: ArrayLike | None = None,
    max_shape: tuple[int, int] | None = None,
    clip_border: bool = True,
    add_ctr_clamp: bool = False,
    ctr_clamp: float = 32,
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
        Bound on ``tw / ww`` and ``th / wh`` before the exponential (:data:`DEFAULT_SCALE_CLAMP`):
        from above only, as torchvision and detectron2 do; **both ways** with ``library="mmdet"``
        or ``"mmdet-legacy"``, as mmdetection does. ``None`` applies none. py-faster-rcnn has no
        clamp (``library="py-faster-rcnn"`` ignores it).
    library : str, optional
        One of ``anchorlib.coding.CODING_LIBRARIES`` (see :func:`encode`).
    means, stds : four floats, optional
        mmdetection only: ``delta = raw * stds + means`` before decoding.
    max_shape : (int, int), optional
        mmdetection only: ``(height, width)`` of the image; with ``clip_border`` the boxes are
        clipped to ``[0, width] x [0, height]`` (``[0, width - 1]`` for ``"mmdet-legacy"``), as its
        heads do at inference.
    clip_border : bool, default True
        mmdetection's ``clip_border`` (acts only with ``max_shape``).
    add_ctr_clamp, ctr_clamp : bool, float
        mmdetection's YOLOF option: the centre moves at most ``ctr_clamp`` pixels, and ``tw``,
        ``th`` are then clamped from above only.

    Returns
    -------
    numpy.ndarray, shape (N, 4)
        ``xyxy`` boxes, float64 (a float32 library's float32 values, widened exactly).

    Raises
    ------
    ValueError
        If an anchor has zero width or height, the row counts differ, a weight is not positive,
        a delta is not finite, or an mmdet-only option is given with another library.

    Examples
    --------
    >>> decode([[0, 0, 32, 32]], [[0.1875, -0.0625, 0.0, 0.0]]).tolist()
    [[6.0, -2.0, 38.0, 30.0]]
    >>> decode([[0, 0, 32, 32]], [[0, 0, 10, 0]]).round(1).tolist()  # width clamped to 62.5 x 32
    [[-984.0, 0.0, 1016.0, 32.0]]

    Shrinking: torchvision and detectron2 do not limit it, mmdetection does (to 32 / 62.5 px):

    >>> decode([[0, 0, 32, 32]], [[0, 0, -10, 0]], library="torchvision").round(5).tolist()
    [[15.99927, 0.0, 16.00073, 32.0]]
    >>> decode([[0, 0, 32, 32]], [[0, 0, -10, 0]], library="mmdet").round(3).tolist()
    [[15.744, 0.0, 16.256, 32.0]]
    """
    lib = _library(library)
    mean, std = _means_stds(lib, weights, means, stds)
    if lib not in ("mmdet", "mmdet-legacy") and (max_shape is not None or add_ctr_clamp):
        raise ValueError(f"max_shape and add_ctr_clamp are mmdet's options, got them with library={library!r}")
    if max_shape is not None:
        if isinstance(max_shape, (str, bytes)) or not hasattr(max_shape, "__len__") or len(max_shape) < 2:
            raise TypeError(f"max_shape must be an (height, width) pair, got {max_shape!r}")
        max_shape = (positive_scalar(max_shape[0], "max_shape[0]"), positive_scalar(max_shape[1], "max_shape[1]"))
    if not isinstance(clip_border, (bool, np.bool_)) or not isinstance(add_ctr_clamp, (bool, np.bool_)):
        raise TypeError(f"clip_border and add_ctr_clamp must be True or False, got {clip_border!r}, {add_ctr_clamp!r}")
    ftype, one = _arithmetic(lib)
    reference = _reference_boxes(anchors, "anchors", one)
    codes = _deltas(deltas, reference)
    wx, wy, ww, wh = (ftype(w) for w in _four(weights, "weights"))
    # A clamp bounds log-scale growth: zero or below would shrink every box, so it is refused.
    bound = None if clamp is None or lib == "py-faster-rcnn" else ftype(positive_scalar(clamp, "clamp"))
    a, d, half = reference.astype(ftype), codes.astype(ftype), ftype(0.5)
    if lib in ("mmdet", "mmdet-legacy"):
        return _mmdet_decode(a, d, mean.astype(ftype), std.astype(ftype), bound, lib == "mmdet-legacy",
                             max_shape, clip_border, add_ctr_clamp, ctr_clamp)
    dx, dy, dw, dh = d[:, 0] / wx, d[:, 1] / wy, d[:, 2] / ww, d[:, 3] / wh
    if bound is not None:
        dw, dh = np.minimum(dw, bound), np.minimum(dh, bound)
    xa, ya, wa, ha = _centre_size(a, one)
    x, y = dx * wa + xa, dy * ha + ya
    w, h = _exp(dw) * wa, _exp(dh) * ha
    x1, y1 = x - half * w, y - half * h
    x2, y2 = x + half * w, y + half * h  # py-faster-rcnn too: its x2 is not "- 1"
    return np.stack([x1, y1, x2, y2], axis=1).astype(np.float64)


def _mmdet_decode(a, d, mean, std, bound, legacy, max_shape, clip_border, add_ctr_clamp, ctr_clamp):
    """``delta2bbox`` (mmdet 3.3.0) or ``legacy_delta2bbox``, in float32 and in their order."""
    f = np.float32
    denorm = d * std + mean
    if legacy:
        dx, dy, dw, dh = denorm.T
        if bound is not None:
            dw, dh = np.clip(dw, -bound, bound), np.clip(dh, -bound, bound)
        px, py = (a[:, 0] + a[:, 2]) * f(0.5), (a[:, 1] + a[:, 3]) * f(0.5)
        pw, ph = a[:, 2] - a[:, 0] + f(1), a[:, 3] - a[:, 1] + f(1)
        gw, gh = pw * _exp(dw), ph * _exp(dh)
        gx, gy = px + pw * dx, py + ph * dy
        boxes = np.stack([gx - gw * f(0.5), gy - gh * f(0.5), gx + gw * f(0.5), gy + gh * f(0.5)], axis=1)
        if max_shape is not None:
            h, w = max_shape[:2]
            boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, f(w - 1))
            boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, f(h - 1))
        return boxes.astype(np.float64)
    dxy, dwh = denorm[:, :2], denorm[:, 2:]
    pxy = (a[:, :2] + a[:, 2:]) * f(0.5)
    pwh = a[:, 2:] - a[:, :2]
    dxy_wh = pwh * dxy
    if add_ctr_clamp:
        limit = f(real_scalar(ctr_clamp, "ctr_clamp"))
        dxy_wh = np.clip(dxy_wh, -limit, limit)
        if bound is not None:
            dwh = np.minimum(dwh, bound)
    elif bound is not None:
        dwh = np.clip(dwh, -bound, bound)
    gxy = pxy + dxy_wh
    gwh = pwh * _exp(dwh)
    boxes = np.concatenate([gxy - gwh * f(0.5), gxy + gwh * f(0.5)], axis=1)
    if clip_border and max_shape is not None:
        h, w = max_shape[:2]
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, f(w))
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, f(h))
    return boxes.astype(np.float64)


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


def decode_corners(
    anchors: ArrayLike, deltas: ArrayLike, std: ArrayLike = 0.2, *, inference: bool = False
) -> np.ndarray:
    """Boxes from keras-retinanet corner deltas: the inverse of :func:`encode_corners`.

    ``x1 = xa1 + (dx1 * std + mean) * wa`` and likewise for the other corners, with ``mean = 0``
    (keras-retinanet ``backend/backend.py`` ``bbox_transform_inv`` @7ac91df). There is no clamp:
    corner offsets grow linearly, not exponentially.

    Parameters
    ----------
    anchors : array_like, shape (N, 4)
        Reference boxes (``xyxy``) with positive width and height.
    deltas : array_like, shape (N, 4)
        Corner deltas.
    std : float or four floats, default 0.2
    inference : bool, default False
        ``True`` computes as the trained model does, in its ``RegressBoxes`` layer: in float32
        (TensorFlow), in ``bbox_transform_inv``'s order, from the float32 anchors and deltas. Run in
        keras-retinanet 1.0.0 on TensorFlow 2.21, it is bit-exact on every case of the goldens
        ``tests/conformance/keras_retinanet`` (groups ``decode/*``, 1,600 anchors); the float64
        default, rounded to float32, differs from it in 348 of their 6,400 coordinates (5.4 %).

    Returns
    -------
    numpy.ndarray, shape (N, 4)
        Boxes, float64 (with ``inference=True`` the float32 values, widened exactly); nothing
        forces ``x2 >= x1`` when the deltas come from an untrained network.

    Examples
    --------
    >>> decode_corners([[0, 0, 32, 32]], [[0.625, -0.3125, 1.25, -0.3125]]).tolist()
    [[4.0, -2.0, 40.0, 30.0]]
    >>> decode_corners([[0, 0, 30, 30]], [[0.1, 0, 0, 0]], inference=True)[0, 0]  # float32 0.6
    np.float64(0.6000000238418579)
    """
    reference = _reference_boxes(anchors, "anchors")
    codes = _deltas(deltas, reference)
    scale = _four(std, "std")
    if not isinstance(inference, (bool, np.bool_)):
        raise TypeError(f"inference must be True or False, got {inference!r}")
    if inference:  # backend.bbox_transform_inv on float32 tensors, mean 0 added as keras does
        reference, codes, scale = (x.astype(np.float32) for x in (reference, codes, scale))
        _, _, wa, ha = _centre_size(reference)
        size = np.stack([wa, ha, wa, ha], axis=1)
        return (reference + (codes * scale + np.float32(0)) * size).astype(np.float64)
    _, _, wa, ha = _centre_size(reference)
    size = np.stack([wa, ha, wa, ha], axis=1)
    return reference + codes * scale * size
