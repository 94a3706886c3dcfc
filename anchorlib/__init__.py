"""anchorlib: the exact arithmetic of anchor boxes in object detection.

Small pure functions over numpy arrays. Boxes are ``(N, 4)`` float arrays in ``xyxy`` format, in
continuous pixel coordinates (pixel ``k`` spans ``[k, k + 1)``); aspect ratios are ``h / w``.
Drawing lives in :mod:`anchorlib.plot` and the command line in :mod:`anchorlib.cli`; nothing in the
core imports them.
"""

from .boxes import BOX_FORMATS, box_area, box_convert, box_iou
from .grid import cell_centers, centered_grid_start, shift
from .presets import (
    PRESETS,
    AnchorLevel,
    Preset,
    anchor_levels,
    anchors_for_image,
    detectron2_base_anchors,
    keras_retinanet_base_anchors,
    mmdet_base_anchors,
    py_faster_rcnn_base_anchors,
    torchvision_base_anchors,
)
from .shapes import anchor_shapes, base_anchors, octave_scales

__version__ = "0.1.0"

__all__ = [
    "BOX_FORMATS",
    "PRESETS",
    "AnchorLevel",
    "Preset",
    "anchor_levels",
    "anchor_shapes",
    "anchors_for_image",
    "base_anchors",
    "box_area",
    "box_convert",
    "box_iou",
    "cell_centers",
    "centered_grid_start",
    "detectron2_base_anchors",
    "keras_retinanet_base_anchors",
    "mmdet_base_anchors",
    "octave_scales",
    "py_faster_rcnn_base_anchors",
    "shift",
    "torchvision_base_anchors",
]
