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

A feature pyramid is not a chain: ``P_l = output_conv(lateral(C_l) + upsample_nearest(inner_{l+1}))``.
:data:`BACKBONES` records each detector's lateral chains and how its top-down path upsamples, and
:func:`receptive_fields` gives every cell's field along either path, ``"lateral"`` (the chains, as
:func:`level_geometry`) or ``"fpn"`` (the whole graph, which :func:`simulate` also runs by brute
force). The fields of the real torchvision, detectron2 and keras-retinanet 1.0.0 networks, measured
by gradient support, are in ``tests/conformance/receptive_torch`` and ``receptive_keras``.
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
    "receptive_fields",
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


def _window(layer: Layer, reach: np.ndarray, index: int, input_size: int) -> np.ndarray:
    """One layer of the brute force: pad ``reach`` (cells x pixels) with empty rows, slide the windows."""
    length, n = reach.shape
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
    return padded[taps].any(axis=1)


def simulate(
    layers: Sequence[Layer] | str, input_size: int, *, level: int | None = None, path: str | None = None
) -> np.ndarray:
    """Brute force: which input pixels can reach each output cell, through explicit padded windows.

    Independent of :func:`trace`'s formulas: every layer pads its input with empty rows, slides its
    windows over the padded input (adding, with ``ceil_mode``, one partial window where the full
    ones leave the end uncovered, if it starts before the right padding), and a cell is reached by
    the union of what its taps are reached by.

    Called with a backbone name instead of layers, it simulates pyramid level ``level`` of that
    backbone along ``path`` (see :func:`receptive_fields`): ``"lateral"`` is the chain
    ``BACKBONES[name].levels[level]``; ``"fpn"`` is the top-down graph, where each merged map is
    the union of its lateral ``C_l`` reach and the rows of the coarser merged map that nearest
    upsampling copies into it, followed by the level's output convolution.

    Parameters
    ----------
    layers : sequence of Layer, or str
        The layers in order, input first; or a key of :data:`BACKBONES`.
    input_size : int
    level : int, optional
        With a backbone name only: the pyramid level.
    path : {"lateral", "fpn"}, optional
        With a backbone name only.

    Returns
    -------
    numpy.ndarray of bool, shape (output size, input_size)
        ``reach[j, k]`` is True when input pixel ``k`` is inside output cell ``j``'s receptive field.

    Examples
    --------
    >>> simulate([Layer(3, 2, "same")], 4).astype(int)
    array([[1, 1, 1, 0],
           [0, 0, 1, 1]])
    >>> reach = simulate("torchvision-resnet50", 128, level=3, path="fpn")
    >>> reach.shape, int(reach[0].sum())
    ((16, 128), 128)
    """
    if isinstance(layers, str):
        chains = _backbone(layers)
        _level(chains, level)
        return _simulate_level(chains, int(level), positive_int(input_size, "input_size"), _path(path))
    if level is not None or path is not None:
        raise TypeError("level and path are taken only with a backbone name, not with a sequence of Layer")
    layers = _layers(layers)
    n = positive_int(input_size, "input_size")
    reach = np.eye(n, dtype=bool)
    for index, layer in enumerate(layers):
        reach = _window(layer, reach, index, input_size)
    return reach


@dataclass(frozen=True)
class Backbone:
    """A detector's backbone and feature pyramid, as layer chains from the image to each level.

    Attributes
    ----------
    name : str
    source : str
        Upstream repository, files and commit the chains were read from.
    levels : mapping of int to tuple of Layer
        ``levels[l]`` is the lateral chain from the image to ``P_l`` along one axis: the bottom-up
        path to ``C_l`` and the FPN's output convolution (for the levels the FPN merges), or the
        extra layers that make ``P6``, ``P7`` from ``C5`` or ``P5``.
    fpn : tuple of int
        The levels the top-down path merges, finest first (``(3, 4, 5)`` or ``(2, 3, 4, 5)``):
        ``inner_l = lateral(C_l) + upsample(inner_{l+1})`` and ``P_l = output_conv(inner_l)``.
    upsample : {"size", "double"}
        How the top-down path upsamples, nearest neighbour: ``"size"`` to the lateral map's size, cell
        ``j`` copying source cell ``min(floor(j * float32(n_in / n_out)), n_in - 1)`` (PyTorch's
        ``F.interpolate(size=..., mode="nearest")`` and TensorFlow 1's ``resize_images(...,
        NEAREST_NEIGHBOR, align_corners=False)``, both in float32); ``"double"``: by
        ``scale_factor=2`` (cell ``j`` copies ``j // 2``), which needs the lateral map to be exactly
        twice the coarser one (detectron2 pads its input to a multiple of 32 for this).

    Examples
    --------
    >>> BACKBONES["keras-retinanet-resnet50"].levels[6][-1]
    Layer(kernel=3, stride=2, padding='same', ceil_mode=False, dilation=1)
    >>> BACKBONES["detectron2-fasterrcnn-resnet50"].fpn
    (2, 3, 4, 5)
    """

    name: str
    source: str
    levels: Mapping[int, tuple[Layer, ...]]
    fpn: tuple[int, ...] = (3, 4, 5)
    upsample: str = "size"


def _chain(*groups: Sequence[Layer]) -> tuple[Layer, ...]:
    return tuple(layer for group in groups for layer in group)


def _resnet50(stem: Sequence[Layer], conv3: Layer, down: Sequence[Layer]) -> tuple[tuple[Layer, ...], ...]:
    """C2, C3, C4, C5 of a ResNet-50 (blocks 3, 4, 6, 3) along the main path; 1 x 1 / 1 convs omitted.

    ``conv3`` is the stride-1 3 x 3 conv of a bottleneck, ``down`` what replaces the first 1 x 1 and
    3 x 3 of a stage's first block (the stride sits in one of them).
    """
    c2 = _chain(stem, [conv3] * 3)
    c3 = _chain(c2, down, [conv3] * 3)
    c4 = _chain(c3, down, [conv3] * 5)
    c5 = _chain(c4, down, [conv3] * 2)
    return c2, c3, c4, c5


def _levels(cs, output: Layer, extra: Layer, p6_from_p5: bool) -> Mapping[int, tuple[Layer, ...]]:
    """P3-P5 = C_l + FPN output conv (lateral path); P6 from C5 or P5, P7 from P6."""
    c3, c4, c5 = cs[-3:]
    p3, p4, p5 = c3 + (output,), c4 + (output,), c5 + (output,)
    p6 = (p5 if p6_from_p5 else c5) + (extra,)
    return MappingProxyType({3: p3, 4: p4, 5: p5, 6: p6, 7: p6 + (extra,)})


def _keras_resnet50_levels(
    pool: Layer, conv3: Layer, stem: Layer = Layer(7, 2, (3, 3))
) -> Mapping[int, tuple[Layer, ...]]:
    """A Keras ResNet-50 (7 x 7 / 2 stem, stride in the first 1 x 1) under keras-retinanet's FPN."""
    cs = _resnet50([stem, pool], conv3, [Layer(1, 2, "valid"), conv3])
    return _levels(cs, Layer(3, 1, "same"), Layer(3, 2, "same"), p6_from_p5=False)


def _pytorch_resnet50_levels(
    down: Sequence[Layer], *, p6_from_p5: bool, max_pool_p6: bool = False
) -> Mapping[int, tuple[Layer, ...]]:
    """A PyTorch ResNet-50 (padding 3 stem, padding 1 pool and 3 x 3 convs) under an FPN: RetinaNet's
    P3-P7 with LastLevelP6P7, or Faster R-CNN's P2-P6 (``max_pool_p6``: LastLevelMaxPool, P6 =
    ``max_pool2d(P5, kernel_size=1, stride=2, padding=0)``)."""
    conv3 = Layer(3, 1, 1)
    cs = _resnet50([Layer(7, 2, 3), Layer(3, 2, 1)], conv3, down)
    if not max_pool_p6:
        return _levels(cs, conv3, Layer(3, 2, 1), p6_from_p5=p6_from_p5)
    p2, p3, p4, p5 = (c + (conv3,) for c in cs)
    return MappingProxyType({2: p2, 3: p3, 4: p4, 5: p5, 6: p5 + (Layer(1, 2, 0),)})


def _vgg16_levels() -> Mapping[int, tuple[Layer, ...]]:
    conv, pool = Layer(3, 1, "same"), Layer(2, 2, "valid")
    c3 = _chain([conv] * 2, [pool], [conv] * 2, [pool], [conv] * 3, [pool])
    c4 = _chain(c3, [conv] * 3, [pool])
    c5 = _chain(c4, [conv] * 3, [pool])
    return _levels((c3, c4, c5), Layer(3, 1, "same"), Layer(3, 2, "same"), p6_from_p5=False)


_KERAS_RETINANET = (
    "fizyr/keras-retinanet @ 50d07a0cd7c6e019413bfa3f4c7d7159401e8747: "
    "keras_retinanet/models/retinanet.py L140-160 (P3-P5 3x3 'same' output convs; top-down "
    "UpsampleLike + Add, L141-152; P6 = Conv2D(3, strides=2, padding='same')(C5), P7 the same on "
    "ReLU(P6)); layers/_misc.py L96-109 (UpsampleLike: backend.resize_images(..., 'nearest') to the "
    "lateral map's size), backend/tensorflow_backend.py L56-68 (tf.image.resize_images, "
    "align_corners=False; 1.0.0 @7ac91df: tf.compat.v1.image.resize_images, backend/backend.py "
    "L107-119, the same legacy float32 nearest rule)"
)

BACKBONES: Mapping[str, Backbone] = MappingProxyType({
    "keras-retinanet-resnet50": Backbone(
        "keras-retinanet-resnet50",
        "keras-retinanet up to 0.5.x; 1.0.0 is 'keras-retinanet-1.0-resnet50'. "
        "broadinstitute/keras-resnet v0.1.0 = 091ebf475803ce6fec8d07a13b2080b47097a604 (pinned by "
        "keras-retinanet setup.py L56): keras_resnet/models/_2d.py L64-68 (ZeroPadding2D(3) + 7x7/2 "
        "valid conv, MaxPooling2D 3x3/2 'same'), keras_resnet/blocks/_2d.py L129-142 (stride 2 in the "
        "first 1x1 conv and the 1x1 shortcut, ZeroPadding2D(1) + 3x3 valid); "
        "keras_retinanet/models/resnet.py L99, L112 (C3-C5 = resnet.outputs[1:]); " + _KERAS_RETINANET,
        _keras_resnet50_levels(Layer(3, 2, "same"), Layer(3, 1, (1, 1))),
    ),
    "keras-retinanet-1.0-resnet50": Backbone(
        "keras-retinanet-1.0-resnet50",
        "keras-resnet 0.2.0 (PyPI release, pinned by keras-retinanet 1.0.0 setup.py L56; the C3-C5 "
        "fields match the real network's gradient support, 60 of 60 measured in "
        "tests/conformance/keras_retinanet, and under the real pyramid the C3-C5 and full P3-P7 fields, "
        "649 of 649 cells in tests/conformance/receptive_keras): keras_resnet/models/_2d.py L76 (7x7/2 conv with "
        "padding='same', no ZeroPadding2D), "
        "L79 (MaxPooling2D 3x3/2 'same'), blocks/_2d.py as in 0.1.0 (stride 2 in the first 1x1, "
        "ZeroPadding2D(1) + 3x3 valid); under keras-retinanet 1.0.0's pyramid (models/retinanet.py "
        "@7ac91df, unchanged from 50d07a0). The 'same' stem pads 2 before and 3 after on an even "
        "input, so every cell's field sits 1 px further right than with 0.1.0's ZeroPadding2D(3)",
        _keras_resnet50_levels(Layer(3, 2, "same"), Layer(3, 1, (1, 1)), stem=Layer(7, 2, "same")),
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
        "01fdb48883a534c746b1c60683a6eb4d70e72db6 (extra_blocks=LastLevelP6P7(256, 256): P6 from P5); "
        "top-down F.interpolate(last_inner, size=feat_shape, mode='nearest') (feature_pyramid_network.py "
        "L194 in torchvision 0.29.1)",
        _pytorch_resnet50_levels([Layer(3, 2, 1)], p6_from_p5=True),
    ),
    "torchvision-fasterrcnn-resnet50": Backbone(
        "torchvision-fasterrcnn-resnet50",
        "torchvision 0.29.1 (PyPI), as 'torchvision-resnet50' for C2-C5 and the output convs; "
        "torchvision/models/detection/faster_rcnn.py L573 (fasterrcnn_resnet50_fpn: "
        "_resnet_fpn_extractor(backbone, trainable_layers)), backbone_utils.py L118-149 "
        "(returned_layers [1, 2, 3, 4]: C2-C5; extra_blocks=LastLevelMaxPool()); "
        "torchvision/ops/feature_pyramid_network.py L194 (top-down F.interpolate(last_inner, "
        "size=feat_shape, mode='nearest')), L207-220 (LastLevelMaxPool: P6 = "
        "F.max_pool2d(P5, kernel_size=1, stride=2, padding=0))",
        _pytorch_resnet50_levels([Layer(3, 2, 1)], p6_from_p5=True, max_pool_p6=True),
        fpn=(2, 3, 4, 5),
    ),
    "detectron2-resnet50": Backbone(
        "detectron2-resnet50",
        "facebookresearch/detectron2 @ 02b5c4e295e990042a714712c21dc79b731e8833: "
        "detectron2/modeling/backbone/resnet.py L147-163 (stride_in_1x1: stride in the first 1x1 conv, "
        "3x3 padding 1), L344-358 (BasicStem: 7x7/2 padding 3, max_pool2d(3, 2, 1)); "
        "detectron2/config/defaults.py L499 (STRIDE_IN_1X1 = True); "
        "detectron2/modeling/backbone/fpn.py L78-86 (3x3 output convs padding 1), L203-214 and "
        "L248-265 (LastLevelP6P7(in_feature='res5'): Conv2d(3, 2, 1) on C5), L153 (top-down "
        "F.interpolate(scale_factor=2.0, mode='nearest'))",
        _pytorch_resnet50_levels([Layer(1, 2, 0), Layer(3, 1, 1)], p6_from_p5=False),
        upsample="double",
    ),
    "detectron2-fasterrcnn-resnet50": Backbone(
        "detectron2-fasterrcnn-resnet50",
        "facebookresearch/detectron2 @ 02b5c4e295e990042a714712c21dc79b731e8833: C2-C5 and output "
        "convs as 'detectron2-resnet50'; detectron2/modeling/backbone/fpn.py L225-244 "
        "(build_resnet_fpn_backbone: top_block=LastLevelMaxPool()), L188-200 (LastLevelMaxPool: P6 = "
        "F.max_pool2d(P5, kernel_size=1, stride=2, padding=0)), L153 (top-down "
        "F.interpolate(scale_factor=2.0, mode='nearest')); configs/Base-RCNN-FPN.yaml (FPN "
        "IN_FEATURES res2-res5)",
        _pytorch_resnet50_levels([Layer(1, 2, 0), Layer(3, 1, 1)], p6_from_p5=False, max_pool_p6=True),
        fpn=(2, 3, 4, 5),
        upsample="double",
    ),
})
"""Named backbones (keys) with their layer chains to the pyramid levels; see :class:`Backbone`.

RetinaNet's pyramids have P3-P7; ``"torchvision-fasterrcnn-resnet50"`` and
``"detectron2-fasterrcnn-resnet50"`` are the Faster R-CNN FPNs of the same codebases, P2-P6 (P6 a
1 x 1 / 2 max pool of P5). Each chain is the lateral (bottom-up) path plus the FPN's 3 x 3 output
conv, with P6 and P7 exactly as the codebase builds them; :attr:`Backbone.fpn` and
:attr:`Backbone.upsample` add the top-down path (:func:`receptive_fields` with ``path="fpn"``). Only
the residual main path is kept and 1 x 1 / 1 convolutions are left out (they change neither sizes
nor receptive fields); a stride-2 shortcut covers the same centre.
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
    """Size, stride, lateral receptive field and true centre of cell 0 of pyramid level ``P_level``.

    The lateral path only: ``C_l`` and the FPN's output conv (P6, P7 as built). Through the
    top-down path a P3 or P4 cell sees more, and how much depends on the cell: see
    :func:`receptive_fields` with ``path="fpn"``. For the top level the FPN merges (P5; P6, P7
    are made from it or from C5) both paths are the same.

    Parameters
    ----------
    backbone : str
        A key of :data:`BACKBONES`.
    level : int
        Pyramid level, a key of ``BACKBONES[backbone].levels`` (3 to 7; 2 to 6 for Faster R-CNN).
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
    *,
    path: str = "lateral",
) -> np.ndarray:
    """True (receptive-field) centres of the cells of ``P_level``, in input pixels.

    The centre of a cell's field with the padding counted (as :attr:`AxisGeometry.center0`), along
    the lateral path by default; ``path="fpn"`` takes the centre of the full FPN field of
    :func:`receptive_fields` with ``clip=False``, which moves with the cell's phase under nearest
    upsampling.

    Parameters
    ----------
    backbone : str
        A key of :data:`BACKBONES`.
    level : int
        Pyramid level, a key of ``BACKBONES[backbone].levels``.
    image_shape : int or (int, int)
        ``(height, width)`` of the network input.
    cells : (row, col) or sequence of (row, col), optional
        Which cells; default every cell, row-major as in :func:`anchorlib.cell_centers`.
    path : {"lateral", "fpn"}, default "lateral"
        Which receptive field (see :func:`receptive_fields`).

    Returns
    -------
    numpy.ndarray, shape (K, 2)
        ``(cx, cy)`` per cell.

    Examples
    --------
    >>> true_centers("keras-retinanet-vgg16", 7, 800, cells=(1, 2)).tolist()
    [[272.0, 144.0]]

    Through the FPN, torchvision's P3 centres move in steps of 16 px, two cells at a time:

    >>> cells = [(50, 50), (50, 51), (50, 52), (50, 53)]
    >>> true_centers("torchvision-resnet50", 3, 800, cells)[:, 0].tolist()
    [400.5, 408.5, 416.5, 424.5]
    >>> true_centers("torchvision-resnet50", 3, 800, cells, path="fpn")[:, 0].tolist()
    [384.5, 400.5, 400.5, 416.5]
    """
    chains = _backbone(backbone)
    chain = _level(chains, level)
    path = _path(path)
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
    if path == "lateral":
        return np.stack([gx.center0 + cols * gx.stride, gy.center0 + rows * gy.stride], axis=1).astype(np.float64)
    centres = []
    for n, index in ((width, cols), (height, rows)):
        start, end = _fpn_fields(chains, int(level), n)
        centres.append((start[index] + end[index] + 1) / 2)
    return np.stack(centres, axis=1).astype(np.float64)


def _path(path: object) -> str:
    if not isinstance(path, str):
        raise TypeError(f"path must be 'lateral' or 'fpn', got {type(path).__name__} {path!r}")
    if path not in ("lateral", "fpn"):
        raise ValueError(f"path must be 'lateral' or 'fpn', got {path!r}")
    return path


def _nearest_source(rule: str, out: int, size_in: int, name: str, level: int, input_size: int) -> np.ndarray:
    """Which cell of the coarser map nearest upsampling copies into each of ``out`` cells."""
    j = np.arange(out)
    if rule == "double":
        if out != 2 * size_in:
            raise ValueError(
                f"{name} upsamples by scale_factor=2, so C{level} must have 2 x {size_in} cells, not {out}: "
                f"input_size={input_size} is not accepted (pad it to a multiple of 32, as "
                "ImageList.from_tensors does)"
            )
        return j // 2
    # PyTorch nearest (size=...) and TensorFlow's legacy resize: float32 scale in / out, floorf
    scale = np.float32(size_in) / np.float32(out)
    return np.minimum(np.floor(j.astype(np.float32) * scale).astype(np.int64), size_in - 1)


def _merged(chains: Backbone, level: int, n: int, lateral, combine) -> np.ndarray:
    """Fold the top-down path from the coarsest merged level down to ``level``: ``lateral(l)`` gives
    one row per cell of C_l, ``combine(a, b)`` the union of two such arrays, row by row."""
    value = None
    for merged in sorted((m for m in chains.fpn if m >= level), reverse=True):
        mine = lateral(merged)
        if value is not None:
            source = _nearest_source(chains.upsample, len(mine), len(value), chains.name, merged, n)
            mine = combine(mine, value[source])
        value = mine
    return value


def _fpn_fields(chains: Backbone, level: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last input pixel (padding counted) of every cell of P_level along the FPN path."""
    chain = chains.levels[level]
    g = trace(chain, n)[-1]
    if level not in chains.fpn[:-1]:  # P5 (the top merged level) and the levels built from it or C5
        start = g.start0 + g.stride * np.arange(g.size)
        return start, start + g.rf - 1

    def lateral(at, cells=None):
        c = trace(chains.levels[at][:-1], n)[-1]
        start = c.start0 + c.stride * (np.arange(c.size) if cells is None else cells)
        return np.stack([start, start + c.rf - 1], axis=-1)

    def union(a, b):
        return np.stack([np.minimum(a[:, 0], b[:, 0]), np.maximum(a[:, 1], b[:, 1])], axis=1)

    inner = _merged(chains, level, n, lateral, union)
    # the output conv: union over its taps; a tap in the padding counts as the virtual C_l cell there
    # (as the lateral closed form counts it), so the FPN field always contains the lateral one
    output = chain[-1]
    _, before, _ = _apply(output, len(inner))
    taps = np.arange(g.size)[:, None] * output.stride - before + output.dilation * np.arange(output.kernel)[None, :]
    inside = ((taps >= 0) & (taps < len(inner)))[..., None]
    fields = np.where(inside, inner[np.clip(taps, 0, len(inner) - 1)], lateral(level, taps))
    return fields[..., 0].min(axis=1), fields[..., 1].max(axis=1)


def _simulate_level(chains: Backbone, level: int, n: int, path: str) -> np.ndarray:
    chain = chains.levels[level]
    if path == "lateral" or level not in chains.fpn[:-1]:
        return simulate(chain, n)
    inner = _merged(chains, level, n, lambda at: simulate(chains.levels[at][:-1], n), np.logical_or)
    return _window(chain[-1], inner, len(chain) - 1, n)


def receptive_fields(backbone: str, level: int, input_size: int, path: str, *, clip: bool = True) -> np.ndarray:
    """First and last input pixel of every cell's receptive field of ``P_level``, along one axis.

    ``path="lateral"`` follows the chain ``BACKBONES[backbone].levels[level]`` (``C_l`` and the
    FPN's output conv; :func:`level_geometry`): cell ``j`` spans ``start0 + j * stride`` to
    ``start0 + j * stride + rf - 1``. ``path="fpn"`` follows the whole feature pyramid network:
    ``inner_l = lateral_1x1(C_l) + upsample_nearest(inner_{l+1})`` from the coarsest merged level
    down, and ``P_l = output_conv(inner_l)``, so a P3 cell sees its C3 cell's field, the C4 cell and
    the C5 cell nearest upsampling copies into it, and the output conv's neighbours of all of them.
    The upsampling rule is the codebase's (:attr:`Backbone.upsample`), so the field depends on the
    cell. Levels the top-down path does not reach (P5, and P6, P7 made from P5 or C5) are the same
    on both paths.

    Parameters
    ----------
    backbone : str
        A key of :data:`BACKBONES`.
    level : int
        Pyramid level, a key of ``BACKBONES[backbone].levels``.
    input_size : int
        Input pixels along the axis. detectron2's backbones accept only sizes whose C2-C5 are
        exactly twice each other (any multiple of 32, which its ``ImageList`` pads to).
    path : {"lateral", "fpn"}
    clip : bool, default True
        Clip to the input, ``[0, input_size - 1]``: then ``[first, last]`` are exactly the pixels
        that reach the cell (the brute force :func:`simulate` on the same graph agrees on every cell
        of every backbone, tested). For ``"torchvision-resnet50"``, ``"torchvision-fasterrcnn-resnet50"``,
        ``"detectron2-resnet50"``, ``"detectron2-fasterrcnn-resnet50"`` and
        ``"keras-retinanet-1.0-resnet50"`` both paths equal the real networks' gradient supports on
        every measured cell (``tests/conformance/receptive_torch`` and ``receptive_keras``: lateral
        fields of ``C_l``, full fields of ``P_l``); the other Keras backbones are computed, not
        measured. ``False`` counts the padding, as :attr:`AxisGeometry.rf` does.

    Returns
    -------
    numpy.ndarray of int64, shape (cells, 2)
        ``[first, last]`` per cell of ``P_level`` (inclusive).

    Raises
    ------
    ValueError
        For an unknown backbone, level or path, an input too small for the level, or a size
        detectron2's FPN does not accept.

    Examples
    --------
    On a 256-pixel input, torchvision's P3 cell 16 (the middle) sees 107 pixels laterally but 427
    through the FPN, the C5 cell's field widened by the output conv:

    >>> lateral = receptive_fields("torchvision-resnet50", 3, 256, "lateral")
    >>> full = receptive_fields("torchvision-resnet50", 3, 256, "fpn")
    >>> lateral[16].tolist(), full[16].tolist()
    ([75, 181], [0, 255])
    >>> receptive_fields("torchvision-resnet50", 3, 800, "fpn", clip=False)[50].tolist()
    [171, 597]
    """
    chains = _backbone(backbone)
    chain = _level(chains, level)
    path = _path(path)
    n = positive_int(input_size, "input_size")
    if not isinstance(clip, (bool, np.bool_)):
        raise TypeError(f"clip must be a bool, got {type(clip).__name__} {clip!r}")
    if path == "lateral":
        g = trace(chain, n)[-1]
        start = g.start0 + g.stride * np.arange(g.size)
        end = start + g.rf - 1
    else:
        trace(chain, n)  # too small an input fails here, with the layer named
        start, end = _fpn_fields(chains, int(level), n)
    fields = np.stack([start, end], axis=1).astype(np.int64)
    return np.clip(fields, 0, n - 1) if clip else fields

