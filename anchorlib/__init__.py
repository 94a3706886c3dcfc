"""anchorlib: the exact arithmetic of anchor boxes in object detection.

Small pure functions over numpy arrays. Boxes are ``(N, 4)`` float arrays in ``xyxy`` format, in
continuous pixel coordinates (pixel ``k`` spans ``[k, k + 1)``); aspect ratios are ``h / w``.
An anchor configuration is one value, :class:`AnchorConfig` (a preset from :data:`PRESETS` or sizes
and strides), which lays its anchors on an image of shape ``(height, width)``, level by level.
Drawing lives in :mod:`anchorlib.plot` and the command line in :mod:`anchorlib.cli`; nothing in the
core imports them.
"""

from .anchorfree import fcos_assign, fcos_points, yolox_candidates
from .boxes import BOX_FORMATS, best_iou, box_area, box_convert, box_iou
from .coding import DEFAULT_SCALE_CLAMP, decode, decode_corners, encode, encode_corners
from .coverage import (
    covered_sizes,
    position_coverage,
    worst_case_iou,
)
from .datasets import ANNOTATION_FORMATS, Annotations, keep_ratio_wh, letterbox_wh, load_boxes, synthetic_boxes
from .design import (
    RatioScaleFit,
    anchor_fit,
    evolve_anchors,
    kmeans_anchors,
    mean_best_iou,
    optimize_ratios_scales,
    shape_iou,
    yolov5_box_filter,
)
from .grid import cell_centers, centered_grid_start, feature_shape, shift
from .matching import ASSIGNMENT_RULES, assign, atss_assign, fpn_level
from .presets import PRESETS, AnchorConfig, AnchorLevel
from .receptive import (
    BACKBONES,
    AxisGeometry,
    Backbone,
    Layer,
    level_geometry,
    receptive_fields,
    simulate,
    trace,
    true_centers,
)
from .shapes import RATIO_ORIENTATION, anchor_shapes, base_anchors, octave_scales
from .yolo import YOLOV5_ANCHORS, YOLOV5_STRIDES, Yolov5Targets, yolov5_assign, yolov5_decode, yolov5_grid

__version__ = "0.1.0"

__all__ = [
    "anchor_fit",
    "AnchorConfig",
    "anchor_shapes",
    "AnchorLevel",
    "ANNOTATION_FORMATS",
    "Annotations",
    "assign",
    "ASSIGNMENT_RULES",
    "atss_assign",
    "AxisGeometry",
    "Backbone",
    "BACKBONES",
    "base_anchors",
    "best_iou",
    "box_area",
    "box_convert",
    "BOX_FORMATS",
    "box_iou",
    "cell_centers",
    "centered_grid_start",
    "covered_sizes",
    "decode",
    "decode_corners",
    "DEFAULT_SCALE_CLAMP",
    "encode",
    "encode_corners",
    "evolve_anchors",
    "feature_shape",
    "fpn_level",
    "fcos_assign",
    "fcos_points",
    "keep_ratio_wh",
    "kmeans_anchors",
    "Layer",
    "letterbox_wh",
    "level_geometry",
    "load_boxes",
    "mean_best_iou",
    "octave_scales",
    "optimize_ratios_scales",
    "position_coverage",
    "PRESETS",
    "RATIO_ORIENTATION",
    "RatioScaleFit",
    "receptive_fields",
    "shape_iou",
    "shift",
    "simulate",
    "synthetic_boxes",
    "trace",
    "true_centers",
    "worst_case_iou",
    "YOLOV5_ANCHORS",
    "yolov5_box_filter",
    "YOLOV5_STRIDES",
    "Yolov5Targets",
    "yolov5_assign",
    "yolov5_decode",
    "yolov5_grid",
    "yolox_candidates",
]
