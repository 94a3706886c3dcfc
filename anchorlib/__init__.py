"""anchorlib: the exact arithmetic of anchor boxes in object detection.

Small pure functions over numpy arrays. Boxes are ``(N, 4)`` float arrays in ``xyxy`` format, in
continuous pixel coordinates (pixel ``k`` spans ``[k, k + 1)``); aspect ratios are ``h / w``.
Drawing lives in :mod:`anchorlib.plot` and the command line in :mod:`anchorlib.cli`; nothing in the
core imports them.
"""

from .boxes import BOX_FORMATS, box_area, box_convert, box_iou
from .coding import DEFAULT_SCALE_CLAMP, decode, decode_corners, encode, encode_corners
from .coverage import (
    anchor_count,
    anchor_memory,
    best_iou,
    covered_sizes,
    position_coverage,
    worst_case_iou,
)
from .grid import cell_centers, shift
from .matching import ASSIGNMENT_RULES, assign, atss_assign
from .presets import py_faster_rcnn_base_anchors, torchvision_base_anchors
from .shapes import anchor_shapes, base_anchors, octave_scales

__version__ = "0.1.0"

__all__ = [
    "ASSIGNMENT_RULES",
    "BOX_FORMATS",
    "DEFAULT_SCALE_CLAMP",
    "anchor_count",
    "anchor_memory",
    "anchor_shapes",
    "assign",
    "atss_assign",
    "base_anchors",
    "best_iou",
    "box_area",
    "box_convert",
    "box_iou",
    "cell_centers",
    "covered_sizes",
    "decode",
    "decode_corners",
    "encode",
    "encode_corners",
    "octave_scales",
    "position_coverage",
    "py_faster_rcnn_base_anchors",
    "shift",
    "torchvision_base_anchors",
    "worst_case_iou",
]
