"""Receptive fields and their true centres, layer by layer, as the frameworks pad.

Along one axis, a convolution or pooling layer is a kernel ``k`` (dilated to ``k_eff = d (k - 1) + 1``),
a stride ``s`` and a padding rule. Chaining layers gives the closed forms of Araujo, Norris & Sim
(*Computing Receptive Fields of Convolutional Neural Networks*, Distill 2019): the effective stride
``S`` is the product of the strides, the receptive field grows by ``(k_eff - 1)`` times the stride
before the layer, and the first window's start moves left by the padding before it. Cell ``j`` of the
output then sees input pixels ``start0 + j S`` to ``start0 + j S + rf - 1``, whose centre, in
continuous coordinates where pixel ``k`` spans ``[k, k + 1)``, is ``center0 + j S`` with
``center0 = start0 + rf / 2``.

The padding rules are the frameworks' own:

* ``"same"`` (TensorFlow / Keras): ``ceil(n / s)`` outputs and ``max((out - 1) s + k_eff - n, 0)``
  pixels of padding in total, ``total // 2`` before and the rest, one more when the total is odd,
  after (TensorFlow ``kernel_shape_util.cc``, ``GetWindowedOutputSize`` for ``Padding::SAME``).
* ``"valid"``: no padding, ``floor((n - k_eff) / s) + 1`` outputs.
* an int ``p`` (PyTorch ``Conv2d`` / ``MaxPool2d``): ``p`` on both sides,
  ``floor((n + 2p - k_eff) / s) + 1`` outputs; with ``ceil_mode`` the division rounds up but a last
  window that would start in the right padding is dropped (PyTorch ``MaxPool2d`` documentation).
* a pair ``(before, after)``: explicit padding, as Keras' ``ZeroPadding2D`` followed by a
  ``"valid"`` layer.

Only the padding that some window actually reaches is reported as applied: PyTorch's ``padding=1``
with a 3 x 3 / 2 window on an even input never reaches its right pad.

:func:`anchorlib.simulate` checks all of this by brute force, without any receptive-field formula: it pads
explicitly, slides every window and propagates which input pixels can reach each output cell. The
brute-force set always lies inside the analytic field clipped to the input, and equals it for every
cell of every chain in :data:`anchorlib.BACKBONES` (tested). It can be smaller for other chains: dilated kernels
and kernels shorter than their stride leave holes, and a ``"valid"`` layer that drops the last pixels
of its input, or a window lying wholly in the padding, hides pixels the interval still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

from ._checks import pair, positive_int

__all__ = [
    "AxisGeometry",
    "BACKBONES",
    "Backbone",
    "Layer",
    "level_geometry",
    "simulate",
    "trace",
    "true_centers",
]


def _padding(value: object) -> str | int | tuple[int, int]:
    """Check a padding spec: ``"same"``, ``"valid"``, an int >= 0 or a ``(before, after)`` pair."""
    if isinstance(value, str):
        if value not in ("same", "valid"):
            raise ValueError(f"padding must be 'same', 'valid', an int or a (before, after) pair, got {value!r}")
        return value
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"padding must be a (before, after) pair, got {value!r}")
        return (
            positive_int(value[0], "padding[0]", allow_zero=True),
            positive_int(value[1], "padding[1]", allow_zero=True),
        )
    return positive_int(value, "padding", allow_zero=True)


@dataclass(frozen=True)
class Layer:
    """One convolution or pooling layer along one axis.

    Parameters
    ----------
    kernel : int
        Window size ``k`` (before dilation).
    stride : int
        Step ``s`` between windows.
    padding : {"same", "valid"} or int or (int, int)
        ``"same"``: TensorFlow / Keras rule (odd extra pad at the end); ``"valid"``: none; an int
        ``p``: PyTorch rule, ``p`` on both sides; a pair: explicit ``(before, after)``.
    ceil_mode : bool, default False
        PyTorch pooling's ``ceil_mode``; only with an int or pair padding of at most half the
        (dilated) window, as PyTorch requires of pooling layers.
    dilation : int, default 1
        Spacing of the kernel taps; the window spans ``dilation * (kernel - 1) + 1`` pixels.

    Examples
    --------
    >>> Layer(3, 2, "same")
    Layer(kernel=3, stride=2, padding='same', ceil_mode=False, dilation=1)
    >>> Layer(3, 2, [1, 0]).padding
    (1, 0)
    """

    kernel: int
    stride: int
    padding: str | int | tuple[int, int]
    ceil_mode: bool = field(default=False, kw_only=True)
    dilation: int = field(default=1, kw_only=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel", positive_int(self.kernel, "kernel"))
        object.__setattr__(self, "stride", positive_int(self.stride, "stride"))
        object.__setattr__(self, "dilation", positive_int(self.dilation, "dilation"))
        object.__setattr__(self, "padding", _padding(self.padding))
        if not isinstance(self.ceil_mode, (bool, np.bool_)):
            raise TypeError(f"ceil_mode must be a bool, got {type(self.ceil_mode).__name__} {self.ceil_mode!r}")
        object.__setattr__(self, "ceil_mode", bool(self.ceil_mode))
        if self.ceil_mode and isinstance(self.padding, str):
            raise ValueError(
                f"ceil_mode applies to PyTorch-style int or (before, after) padding, not padding={self.padding!r}"
            )
        if self.ceil_mode:
            k_eff = self.dilation * (self.kernel - 1) + 1
            pads = self.padding if isinstance(self.padding, tuple) else (self.padding,)
            if max(pads) > k_eff // 2:
                raise ValueError(  # PyTorch pooling: "pad should be at most half of effective kernel size"
                    f"padding={self.padding!r} with ceil_mode must be at most half the window "
                    f"({k_eff // 2} for kernel={self.kernel}, dilation={self.dilation}), as PyTorch requires"
                )


@dataclass(frozen=True)
class AxisGeometry:
    """Where the cells of one layer's output sit in the input, along one axis.

    Attributes
    ----------
    size : int
        Number of output cells.
    pad_before, pad_after : int
        Padding of this layer (in its own input's pixels) that some window actually reaches,
        before the first and after the last input pixel.
    stride : int
        Effective stride: input pixels between neighbouring output cells.
    rf : int
        Receptive-field size in input pixels (padding included).
    start0 : int
        First input pixel of cell 0's receptive field (negative: it starts in the padding).
    center0 : float
        Continuous centre of cell 0's receptive field, ``start0 + rf / 2``; cell ``j`` is centred
        at ``center0 + j * stride``.

    Examples
    --------
    >>> g = trace([Layer(3, 1, 1), Layer(2, 2, "valid")], 6)[-1]
    >>> g.size, g.stride, g.rf, g.start0, g.center0
    (3, 2, 4, -1, 1.0)
    """

    size: int
    pad_before: int
    pad_after: int
    stride: int
    rf: int
    start0: int
    center0: float


def _apply(layer: Layer, n: int) -> tuple[int, int, int]:
    """Output size and (before, reached after) padding of ``layer`` on an input of ``n`` pixels."""
    k_eff = layer.dilation * (layer.kernel - 1) + 1
    s = layer.stride
    if layer.padding == "same":
        out = -(-n // s)
        total = max((out - 1) * s + k_eff - n, 0)
        before = total // 2
    elif layer.padding == "valid":
        out = (n - k_eff) // s + 1 if n >= k_eff else 0
        before = 0
    else:
        before, after = layer.padding if isinstance(layer.padding, tuple) else (layer.padding,) * 2
        span = n + before + after - k_eff
        if span < 0:
            out = 0
        elif layer.ceil_mode:
            out = -(-span // s) + 1
            if (out - 1) * s >= n + before:  # last window would start in the right padding
                out -= 1
        else:
            out = span // s + 1
    reached_after = max((out - 1) * s + k_eff - n - before, 0)
    return out, before, reached_after


def _layers(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    if isinstance(layers, Layer):
        raise TypeError("layers must be a sequence of Layer, got a single Layer (wrap it in a list)")
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of Layer, got {type(layers).__name__}")
    layers = tuple(layers)
    if not layers:
        raise ValueError("layers must not be empty")
    for index, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"layers[{index}] must be a Layer, got {type(layer).__name__} {layer!r}")
    return layers


def trace(layers: Sequence[Layer], input_size: int) -> tuple[AxisGeometry, ...]:
    """Follow an input axis of ``input_size`` pixels through ``layers``.

    Parameters
    ----------
    layers : sequence of Layer
        The layers in order, input first.
    input_size : int
        Pixels along the axis.

    Returns
    -------
    tuple of AxisGeometry
        One record per layer, describing that layer's output.

    Raises
    ------
    ValueError
        If some layer would have no output cell.

    Examples
    --------
    A 3 x 3 / 2 TensorFlow 'same' layer on 4 pixels pads 0 before and 1 after; cell 0 sees pixels
    0 to 2, centred at 1.5. PyTorch's ``padding=1`` on 5 pixels reaches both pads:

    >>> trace([Layer(3, 2, "same")], 4)[0]
    AxisGeometry(size=2, pad_before=0, pad_after=1, stride=2, rf=3, start0=0, center0=1.5)
    >>> trace([Layer(3, 2, 1)], 5)[0]
    AxisGeometry(size=3, pad_before=1, pad_after=1, stride=2, rf=3, start0=-1, center0=0.5)
    """
    layers = _layers(layers)
    n = positive_int(input_size, "input_size")
    stride, rf, start = 1, 1, 0
    records = []
    for index, layer in enumerate(layers):
        out, before, after = _apply(layer, n)
        if out < 1:
            raise ValueError(
                f"layers[{index}] = {layer} has no output on {n} pixels (input_size={input_size} is too small)"
            )
        start -= before * stride
        rf += layer.dilation * (layer.kernel - 1) * stride
        stride *= layer.stride
        records.append(AxisGeometry(out, before, after, stride, rf, start, start + rf / 2))
        n = out
    return tuple(records)


def simulate(layers: Sequence[Layer], input_size: int) -> np.ndarray:
    """Brute force: which input pixels can reach each output cell, through explicit padded windows.

    Independent of :func:`trace`'s formulas: every layer pads its input with empty rows, slides its
    windows over the padded input (adding, with ``ceil_mode``, one partial window where the full
    ones leave the end uncovered, if it starts before the right padding), and a cell is reached by
    the union of what its taps are reached by.

    Parameters
    ----------
    layers : sequence of Layer
    input_size : int

    Returns
    -------
    numpy.ndarray of bool, shape (output size, input_size)
        ``reach[j, k]`` is True when input pixel ``k`` is inside output cell ``j``'s receptive field.

    Examples
    --------
    >>> simulate([Layer(3, 2, "same")], 4).astype(int)
    array([[1, 1, 1, 0],
           [0, 0, 1, 1]])
    """
    layers = _layers(layers)
    n = positive_int(input_size, "input_size")
    reach = np.eye(n, dtype=bool)
    for index, layer in enumerate(layers):
        length = reach.shape[0]
        k_eff = layer.dilation * (layer.kernel - 1) + 1
        if layer.padding == "same":
            # TensorFlow: enough padding for ceil(n / s) windows, the odd one at the end
            count = -(-length // layer.stride)
            total = max((count - 1) * layer.stride + k_eff - length, 0)
            before, after = total // 2, total - total // 2
        elif layer.padding == "valid":
            before = after = 0
        elif isinstance(layer.padding, tuple):
            before, after = layer.padding
        else:
            before = after = layer.padding
        width = before + length + after
        starts = list(range(0, width - k_eff + 1, layer.stride))
        if not starts:
            raise ValueError(
                f"layers[{index}] = {layer} has no output on {length} pixels (input_size={input_size} is too small)"
            )
        following = starts[-1] + layer.stride
        if layer.ceil_mode and starts[-1] + k_eff < width and following < before + length:
            # the full windows leave the end uncovered: one more, partial window, kept only if it
            # starts before the right padding
            starts.append(following)
        padded = np.zeros((max(width, starts[-1] + k_eff), n), dtype=bool)
        padded[before:before + length] = reach
        taps = np.asarray(starts)[:, None] + layer.dilation * np.arange(layer.kernel)[None, :]
        reach = padded[taps].any(axis=1)
    return reach


@dataclass(frozen=True)
class Backbone:
    """A detector's single-path layer chains from the image to pyramid levels P3-P7.

    Attributes
    ----------
    name : str
    source : str
        Upstream repository, files and commit the chains were read from.
    levels : mapping of int to tuple of Layer
        ``levels[l]`` is the chain from the image to ``P_l`` along one axis.

    Examples
    --------
    >>> BACKBONES["keras-retinanet-resnet50"].levels[6][-1]
    Layer(kernel=3, stride=2, padding='same', ceil_mode=False, dilation=1)
    """

    name: str
    source: str
    levels: Mapping[int, tuple[Layer, ...]]


def _chain(*groups: Sequence[Layer]) -> tuple[Layer, ...]:
    return tuple(layer for group in groups for layer in group)


def _resnet50(stem: Sequence[Layer], conv3: Layer, down: Sequence[Layer]) -> tuple[tuple[Layer, ...], ...]:
    """C3, C4, C5 of a ResNet-50 (blocks 3, 4, 6, 3) along the main path; 1 x 1 / 1 convs omitted.

    ``conv3`` is the stride-1 3 x 3 conv of a bottleneck, ``down`` what replaces the first 1 x 1 and
    3 x 3 of a stage's first block (the stride sits in one of them).
    """
    c2 = _chain(stem, [conv3] * 3)
    c3 = _chain(c2, down, [conv3] * 3)
    c4 = _chain(c3, down, [conv3] * 5)
    c5 = _chain(c4, down, [conv3] * 2)
    return c3, c4, c5


def _levels(c3, c4, c5, output: Layer, extra: Layer, p6_from_p5: bool) -> Mapping[int, tuple[Layer, ...]]:
    """P3-P5 = C_l + FPN output conv (lateral path); P6 from C5 or P5, P7 from P6."""
    p3, p4, p5 = c3 + (output,), c4 + (output,), c5 + (output,)
    p6 = (p5 if p6_from_p5 else c5) + (extra,)
    return MappingProxyType({3: p3, 4: p4, 5: p5, 6: p6, 7: p6 + (extra,)})


def _keras_resnet50_levels(pool: Layer, conv3: Layer) -> Mapping[int, tuple[Layer, ...]]:
    """A Keras ResNet-50 (padded 7 x 7 / 2 stem, stride in the first 1 x 1) under keras-retinanet's FPN."""
    c3, c4, c5 = _resnet50([Layer(7, 2, (3, 3)), pool], conv3, [Layer(1, 2, "valid"), conv3])
    return _levels(c3, c4, c5, Layer(3, 1, "same"), Layer(3, 2, "same"), p6_from_p5=False)


def _pytorch_resnet50_levels(down: Sequence[Layer], *, p6_from_p5: bool) -> Mapping[int, tuple[Layer, ...]]:
    """A PyTorch ResNet-50 (padding 3 stem, padding 1 pool and 3 x 3 convs) with LastLevelP6P7."""
    conv3 = Layer(3, 1, 1)
    c3, c4, c5 = _resnet50([Layer(7, 2, 3), Layer(3, 2, 1)], conv3, down)
    return _levels(c3, c4, c5, conv3, Layer(3, 2, 1), p6_from_p5=p6_from_p5)


def _vgg16_levels() -> Mapping[int, tuple[Layer, ...]]:
    conv, pool = Layer(3, 1, "same"), Layer(2, 2, "valid")
    c3 = _chain([conv] * 2, [pool], [conv] * 2, [pool], [conv] * 3, [pool])
    c4 = _chain(c3, [conv] * 3, [pool])
    c5 = _chain(c4, [conv] * 3, [pool])
    return _levels(c3, c4, c5, Layer(3, 1, "same"), Layer(3, 2, "same"), p6_from_p5=False)


_KERAS_RETINANET = (
    "fizyr/keras-retinanet @ 50d07a0cd7c6e019413bfa3f4c7d7159401e8747: "
    "keras_retinanet/models/retinanet.py L140-160 (P3-P5 3x3 'same' output convs; "
    "P6 = Conv2D(3, strides=2, padding='same')(C5), P7 the same on ReLU(P6))"
)

BACKBONES: Mapping[str, Backbone] = MappingProxyType({
    "keras-retinanet-resnet50": Backbone(
        "keras-retinanet-resnet50",
        "broadinstitute/keras-resnet v0.1.0 = 091ebf475803ce6fec8d07a13b2080b47097a604 (pinned by "
        "keras-retinanet setup.py L56): keras_resnet/models/_2d.py L64-68 (ZeroPadding2D(3) + 7x7/2 "
        "valid conv, MaxPooling2D 3x3/2 'same'), keras_resnet/blocks/_2d.py L129-142 (stride 2 in the "
        "first 1x1 conv and the 1x1 shortcut, ZeroPadding2D(1) + 3x3 valid); "
        "keras_retinanet/models/resnet.py L99, L112 (C3-C5 = resnet.outputs[1:]); " + _KERAS_RETINANET,
        _keras_resnet50_levels(Layer(3, 2, "same"), Layer(3, 1, (1, 1))),
    ),
    "keras-applications-resnet50": Backbone(
        "keras-applications-resnet50",
        "keras-team/keras-applications @ 06fbeb0f16e1304f239b2296578d1c50b15a983a: "
        "keras_applications/resnet50.py L225-234 (ZeroPadding2D(3) + 7x7/2 valid conv, "
        "ZeroPadding2D(1) + 3x3/2 valid max pool), L114-131 (stride 2 in the first 1x1 conv and the "
        "shortcut, 3x3 'same'); under keras-retinanet's pyramid: " + _KERAS_RETINANET,
        _keras_resnet50_levels(Layer(3, 2, (1, 1)), Layer(3, 1, "same")),
    ),
    "keras-retinanet-vgg16": Backbone(
        "keras-retinanet-vgg16",
        "keras-team/keras-applications @ 06fbeb0f16e1304f239b2296578d1c50b15a983a: "
        "keras_applications/vgg16.py L109-173 (3x3 'same' convs, 2x2/2 valid max pools); "
        "fizyr/keras-retinanet @ 50d07a0cd7c6e019413bfa3f4c7d7159401e8747: "
        "keras_retinanet/models/vgg.py L97 (C3-C5 = block3_pool, block4_pool, block5_pool); "
        + _KERAS_RETINANET,
        _vgg16_levels(),
    ),
    "torchvision-resnet50": Backbone(
        "torchvision-resnet50",
        "pytorch/vision: torchvision/models/resnet.py @ 054e54c573ba46e5b9c63f1eea3ad4d103afbea2 "
        "(conv1 7x7/2 padding 3, MaxPool2d(3, 2, 1), stride in the bottleneck's 3x3 conv, padding 1); "
        "torchvision/ops/feature_pyramid_network.py @ 032024ea5873db5a47a6a66b166edfc1b6c6cdae "
        "(3x3 output convs padding 1; LastLevelP6P7: Conv2d(3, 2, 1), use_P5 = in_channels == "
        "out_channels); torchvision/models/detection/retinanet.py @ "
        "01fdb48883a534c746b1c60683a6eb4d70e72db6 (extra_blocks=LastLevelP6P7(256, 256): P6 from P5)",
        _pytorch_resnet50_levels([Layer(3, 2, 1)], p6_from_p5=True),
    ),
    "detectron2-resnet50": Backbone(
        "detectron2-resnet50",
        "facebookresearch/detectron2 @ 02b5c4e295e990042a714712c21dc79b731e8833: "
        "detectron2/modeling/backbone/resnet.py L147-163 (stride_in_1x1: stride in the first 1x1 conv, "
        "3x3 padding 1), L344-358 (BasicStem: 7x7/2 padding 3, max_pool2d(3, 2, 1)); "
        "detectron2/config/defaults.py L499 (STRIDE_IN_1X1 = True); "
        "detectron2/modeling/backbone/fpn.py L78-86 (3x3 output convs padding 1), L203-214 and "
        "L248-265 (LastLevelP6P7(in_feature='res5'): Conv2d(3, 2, 1) on C5)",
        _pytorch_resnet50_levels([Layer(1, 2, 0), Layer(3, 1, 1)], p6_from_p5=False),
    ),
})
"""Named backbones (keys) with their layer chains to P3-P7; see :class:`Backbone`.

Each chain is the lateral (bottom-up) path plus the FPN's 3 x 3 output conv, with P6 and P7 exactly
as the codebase builds them. Only the residual main path is kept and 1 x 1 / 1 convolutions are left
out (they change neither sizes nor receptive fields); a stride-2 shortcut covers the same centre.
"""


def _backbone(backbone: str) -> Backbone:
    if not isinstance(backbone, str):
        raise TypeError(f"backbone must be a str, got {type(backbone).__name__} {backbone!r}")
    if backbone not in BACKBONES:
        raise ValueError(f"backbone must be one of {sorted(BACKBONES)}, got {backbone!r}")
    return BACKBONES[backbone]


def _level(chains: Backbone, level: int) -> tuple[Layer, ...]:
    level = positive_int(level, "level")
    if level not in chains.levels:
        raise ValueError(f"level must be one of {sorted(chains.levels)} for {chains.name}, got {level}")
    return chains.levels[level]


def level_geometry(backbone: str, level: int, input_size: int) -> AxisGeometry:
    """Size, stride, receptive field and true centre of cell 0 of pyramid level ``P_level``.

    Parameters
    ----------
    backbone : str
        A key of :data:`BACKBONES`.
    level : int
        Pyramid level, 3 to 7.
    input_size : int
        Input pixels along the axis (height or width).

    Returns
    -------
    AxisGeometry

    Examples
    --------
    >>> g = level_geometry("keras-retinanet-vgg16", 3, 800)
    >>> g.size, g.stride, g.rf, g.center0
    (100, 8, 60, 4.0)
    """
    return trace(_level(_backbone(backbone), level), input_size)[-1]


def true_centers(
    backbone: str,
    level: int,
    image_shape: int | Sequence[int],
    cells: Sequence[int] | Sequence[Sequence[int]] | None = None,
) -> np.ndarray:
    """True (receptive-field) centres of the cells of ``P_level``, in input pixels.

    Parameters
    ----------
    backbone : str
        A key of :data:`BACKBONES`.
    level : int
        Pyramid level, 3 to 7.
    image_shape : int or (int, int)
        ``(height, width)`` of the network input.
    cells : (row, col) or sequence of (row, col), optional
        Which cells; default every cell, row-major as in :func:`anchorlib.cell_centers`.

    Returns
    -------
    numpy.ndarray, shape (K, 2)
        ``(cx, cy)`` per cell.

    Examples
    --------
    >>> true_centers("keras-retinanet-vgg16", 7, 800, cells=(1, 2)).tolist()
    [[272.0, 144.0]]
    """
    chain = _level(_backbone(backbone), level)
    height, width = pair(image_shape, "image_shape", positive_int)
    gy, gx = trace(chain, height)[-1], trace(chain, width)[-1]
    if cells is None:
        rows, cols = np.divmod(np.arange(gy.size * gx.size), gx.size)
    else:
        array = np.asarray(cells)
        if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"cells must be integer (row, col) pairs, got {cells!r}")
        array = np.atleast_2d(array)
        if array.ndim != 2 or array.shape[1] != 2:
            raise ValueError(f"cells must be a (row, col) pair or a sequence of them, got {cells!r}")
        rows, cols = array[:, 0], array[:, 1]
        outside = (rows < 0) | (rows >= gy.size) | (cols < 0) | (cols >= gx.size)
        if np.any(outside):
            bad = int(np.flatnonzero(outside)[0])
            raise ValueError(
                f"cells[{bad}] = {array[bad].tolist()} is outside the {gy.size} x {gx.size} feature map "
                f"of P{level} for image_shape {(height, width)}"
            )
    return np.stack([gx.center0 + cols * gx.stride, gy.center0 + rows * gy.stride], axis=1).astype(np.float64)
