"""anchorlib: the exact arithmetic of anchor boxes in object detection.

Small pure functions over numpy arrays. Boxes are ``(N, 4)`` float arrays in ``xyxy`` format, in
continuous pixel coordinates (pixel ``k`` spans ``[k, k + 1)``); aspect ratios are ``h / w``.
Drawing lives in :mod:`anchorlib.plot` and the command line in :mod:`anchorlib.cli`; nothing in the
core imports them.
"""

from .boxes import BOX_FORMATS, box_area, box_convert, box_iou
from .grid import cell_centers, shift
from .presets import py_faster_rcnn_base_anchors, torchvision_base_anchors
from .receptive import (
    BACKBONES,
    AxisGeometry,
    Backbone,
    Layer,
    level_geometry,
    simulate,
    trace,
    true_centers,
)
from .shapes import anchor_shapes, base_anchors, octave_scales

__version__ = "0.1.0"

__all__ = [
    "AxisGeometry",
    "BACKBONES",
    "BOX_FORMATS",
    "Backbone",
    "Layer",
    "anchor_shapes",
    "base_anchors",
    "box_area",
    "box_convert",
    "box_iou",
    "cell_centers",
    "level_geometry",
    "octave_scales",
    "py_faster_rcnn_base_anchors",
    "shift",
    "simulate",
    "torchvision_base_anchors",
    "trace",
    "true_centers",
]
