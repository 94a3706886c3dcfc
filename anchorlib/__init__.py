"""anchorlib: the exact arithmetic of anchor boxes in object detection.

Small pure functions over numpy arrays. Boxes are ``(N, 4)`` float arrays in ``xyxy`` format, in
continuous pixel coordinates (pixel ``k`` spans ``[k, k + 1)``); aspect ratios are ``h / w``.
Drawing lives in :mod:`anchorlib.plot` and the command line in :mod:`anchorlib.cli`; nothing in the
core imports them.
"""

from .boxes import BOX_FORMATS, box_area, box_convert, box_iou
from .coding import DEFAULT_SCALE_CLAMP, decode, decode_corners, encode, encode_corners
from .datasets import ANNOTATION_FORMATS, Annotations, letterbox_wh, load_boxes, synthetic_boxes
from .design import (
    RatioScaleFit,
    anchor_fit,
    evolve_anchors,
    kmeans_anchors,
    mean_best_iou,
    optimize_ratios_scales,
    shape_iou,
)
from .grid import cell_centers, shift
from .matching import ASSIGNMENT_RULES, assign, atss_assign
from .presets import py_faster_rcnn_base_anchors, torchvision_base_anchors
from .shapes import anchor_shapes, base_anchors, octave_scales

__version__ = "0.1.0"

__all__ = [
    "ANNOTATION_FORMATS",
    "ASSIGNMENT_RULES",
    "Annotations",
    "BOX_FORMATS",
    "DEFAULT_SCALE_CLAMP",
    "RatioScaleFit",
    "anchor_fit",
    "anchor_shapes",
    "assign",
    "atss_assign",
    "base_anchors",
    "box_area",
    "box_convert",
    "box_iou",
    "cell_centers",
    "decode",
    "decode_corners",
    "encode",
    "encode_corners",
    "evolve_anchors",
    "kmeans_anchors",
    "letterbox_wh",
    "load_boxes",
    "mean_best_iou",
    "octave_scales",
    "optimize_ratios_scales",
    "py_faster_rcnn_base_anchors",
    "shape_iou",
    "shift",
    "synthetic_boxes",
    "torchvision_base_anchors",
]
