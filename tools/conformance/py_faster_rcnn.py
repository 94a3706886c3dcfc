"""Goldens of py-faster-rcnn @781a917: cell anchors (``generate_anchors``), the "+1" box coding
(``bbox_transform``, ``bbox_transform_inv``), the "+1" IoU (``utils/bbox.pyx`` ``bbox_overlaps``) and
the RPN labelling of ``AnchorTargetLayer.forward``, computed by py-faster-rcnn's own code (float64).

Run as ``python -m tools.conformance.py_faster_rcnn`` from the repository root in the conformance
environment with ``SOURCES`` pointing at the source snapshots (``make conformance``). Writes
``tests/conformance/py_faster_rcnn/``. Nothing of py-faster-rcnn is compiled here: its Cython
``lib/utils/bbox.pyx`` ``bbox_overlaps`` comes from the PyPI package ``cython-bbox`` 0.1.5, whose
``bbox_overlaps`` is the same code line for line (only its dtype is spelled ``np.float64_t`` instead
of the removed ``np.float_t``).

Shims and source adaptations (around imports only; no numeric line is touched):

* ``utils.cython_bbox``: the module ``cython_bbox`` of the PyPI package ``cython-bbox`` 0.1.5 (above).
* ``caffe``: a stand-in module with a bare ``Layer`` base class (``AnchorTargetLayer`` subclasses it)
  and the blobs below; pycaffe is not built.
* ``yaml``: a stand-in whose ``load`` is ``yaml.safe_load`` (PyYAML 6 requires a ``Loader``;
  ``setup`` parses the layer's ``param_str``).
* ``numpy.float``: set to ``float`` before the import (removed in numpy 1.24;
  ``anchor_target_layer.py`` uses it as the float64 dtype).
* ``lib/rpn/generate_anchors.py`` and ``lib/rpn/anchor_target_layer.py`` are Python 2; their
  ``print`` statements (in ``DEBUG`` branches and the ``__main__`` block, never run here) become
  calls and ``xrange`` becomes ``range`` (lib2to3's ``fix_print`` and ``fix_xrange``, in the
  extracted copy; ``_common.py2_syntax_to_py3``).

Whole-image anchors are read from ``AnchorTargetLayer.forward``'s local ``all_anchors`` when it
returns (``sys.setprofile``; the layer keeps no copy).

Configuration (not code): ``cfg.TRAIN.RPN_BATCHSIZE`` is set to 10**9, so the random subsampling of
positives and negatives after labelling disables nothing; the labels are the rule's alone. Anchors
whose box crosses the image border are labelled -1 by the layer (``allowed_border = 0``). The
feature map of an ``H x W`` image is ``ceil(H / 16) x ceil(W / 16)`` (VGG16's four ceil-mode 2x2
pools in Caffe), not a run of the network.
"""

from __future__ import annotations

import sys
import types

import numpy as np

from tools.conformance import _common as c

SOURCE = c.source_tree("py-faster-rcnn")
LIB = SOURCE / "lib"
for name in ("rpn/generate_anchors.py", "rpn/anchor_target_layer.py"):
    c.py2_syntax_to_py3(LIB / name)
if not hasattr(np, "float"):
    np.float = float  # shim: numpy < 1.24 alias used as the float64 dtype
import cython_bbox  # noqa: E402  (PyPI cython-bbox: py-faster-rcnn's bbox_overlaps)

sys.modules["utils.cython_bbox"] = cython_bbox


class Blob:
    """What pycaffe's Blob offers the layer: ``data`` and ``reshape``."""

    def __init__(self, data=None):
        self.data = data

    def reshape(self, *shape):
        self.data = np.zeros(shape, dtype=np.float32)


_caffe = types.ModuleType("caffe")
_caffe.Layer = type("Layer", (), {})
sys.modules.setdefault("caffe", _caffe)
import yaml as _real_yaml  # noqa: E402

_yaml = types.ModuleType("yaml")
_yaml.load = _real_yaml.safe_load
sys.modules["yaml"] = _yaml
sys.path.insert(0, str(LIB))
sys.path.insert(0, str(LIB / "rpn"))

from fast_rcnn.bbox_transform import bbox_transform, bbox_transform_inv  # noqa: E402
from fast_rcnn.config import cfg  # noqa: E402
from rpn.anchor_target_layer import AnchorTargetLayer  # noqa: E402
from rpn.generate_anchors import generate_anchors  # noqa: E402
from utils.cython_bbox import bbox_overlaps  # noqa: E402

sys.modules["yaml"] = _real_yaml
cfg.TRAIN.RPN_BATCHSIZE = 10**9


def _layer(feature_shape, scales=(8, 16, 32), allowed_border=0):
    layer = AnchorTargetLayer()
    layer.param_str_ = f"{{'feat_stride': 16, 'scales': {list(scales)}, 'allowed_border': {allowed_border}}}"
    bottom = [Blob(np.zeros((1, 18, *feature_shape), np.float32)), Blob(), Blob()]
    layer.setup(bottom, [Blob() for _ in range(4)])
    return layer


def _labels(layer, feature_shape, image_shape, gts):
    bottom = [Blob(np.zeros((1, 18, *feature_shape), np.float32)),
              Blob(np.concatenate([gts, np.ones((len(gts), 1))], axis=1)),
              Blob(np.array([[image_shape[0], image_shape[1], 1.0]]))]
    top = [Blob() for _ in range(4)]
    layer.forward(bottom, top)
    a = layer._num_anchors
    h, w = feature_shape
    # top[0] is (1, 1, A * H, W) made from labels.reshape((1, H, W, A)).transpose(0, 3, 1, 2):
    # undo it to the (H, W, A) order of the anchors.
    return top[0].data.reshape(a, h, w).transpose(1, 2, 0).reshape(-1).astype(np.int8)


def _captured_anchors(layer, feature_shape, image_shape):
    """``all_anchors`` of one ``AnchorTargetLayer.forward`` call, read from the frame's locals when
    ``forward`` returns (``sys.setprofile``): the layer computes every anchor of the image there and
    keeps none of them, so they are observed, not recomputed."""
    captured = {}

    def profile(frame, event, arg):
        if event == "return" and frame.f_code is AnchorTargetLayer.forward.__code__:
            captured["anchors"] = frame.f_locals["all_anchors"].copy()

    sys.setprofile(profile)
    try:
        _labels(layer, feature_shape, image_shape, np.array([[0.0, 0.0, 8.0, 8.0]]))
    finally:
        sys.setprofile(None)
    return captured["anchors"]


def preset_anchors(goldens: c.Goldens, rng) -> None:
    for h, w in c.IMAGE_SIZES:
        feature = (-(-h // 16), -(-w // 16))
        # allowed_border (a layer parameter) so large that no anchor is dropped before labelling
        anchors = _captured_anchors(_layer(feature, allowed_border=10**6), feature, (h, w))
        rows = c.sample_rows(len(anchors), rng)
        goldens.add(
            f"anchors/py-faster-rcnn/{h}x{w}", kind="anchors",
            call=f"AnchorTargetLayer (feat_stride 16, scales 8/16/32).forward on a {feature} map: its all_anchors",
            anchorlib=f"AnchorConfig.from_preset('py-faster-rcnn').anchors(({h}, {w}), feature_shapes=[{feature}])",
            arrays={"rows": rows, "sample": anchors[rows]},
            preset="py-faster-rcnn", image_shape=[h, w], feature_shapes=[list(feature)],
            counts=[int(len(anchors))], dtype=str(anchors.dtype), sha256=c.digest(anchors), cases=1,
        )


def cell_anchors(goldens: c.Goldens, rng) -> None:
    n = 200
    ratios = np.exp(rng.uniform(np.log(0.05), np.log(20), (n, 3)))
    scales = np.exp(rng.uniform(np.log(0.5), np.log(40), (n, 3)))
    ratios[:20] = [0.5, 1, 2]
    scales[:20] = [8, 16, 32]
    base = np.where(np.arange(n) < 100, 16, rng.integers(2, 64, n)).astype(np.float64)
    out = np.stack([generate_anchors(base_size=b, ratios=r, scales=s) for b, r, s in zip(base, ratios, scales)])
    goldens.add(
        "cell_anchors", kind="cell_anchors", call="generate_anchors(base_size, ratios, scales)",
        anchorlib="py_faster_rcnn_base_anchors(base_size, ratios, scales)",
        arrays={"base": base, "ratios": ratios, "scales": scales, "anchors": out}, cases=n,
    )


def coders(goldens: c.Goldens, rng) -> None:
    for name, (a, b, d) in c.coding_inputs(rng).items():
        goldens.add(
            f"encode/{name}", kind="encode", call="bbox_transform(anchors, boxes)",
            anchorlib="encode(anchors, boxes, library='py-faster-rcnn')",
            arrays={"anchors": a, "boxes": b, "out": bbox_transform(a, b)}, weights=[1.0] * 4, cases=len(a),
        )
        goldens.add(
            f"decode/{name}", kind="decode", call="bbox_transform_inv(anchors, deltas)",
            anchorlib="decode(anchors, deltas, library='py-faster-rcnn')",
            arrays={"anchors": a, "deltas": d, "out": bbox_transform_inv(a, d)}, weights=[1.0] * 4, cases=len(a),
        )


def ious(goldens: c.Goldens, rng) -> None:
    for name, (a, b) in c.iou_inputs(rng).items():
        goldens.add(
            f"iou/{name}", kind="iou", call="utils.cython_bbox.bbox_overlaps(boxes1, boxes2)",
            anchorlib="box_iou(boxes1, boxes2, inclusive=True)",
            arrays={"boxes1": a, "boxes2": b, "out": bbox_overlaps(a, b)}, cases=len(a) * len(b),
        )


def matching(goldens: c.Goldens, rng) -> None:
    image = (480, 640)
    feature = (-(-image[0] // 16), -(-image[1] // 16))
    layer = _layer(feature)
    images, labels = [], []
    for integer in (False, True):
        for gts in c.matching_images(rng, 40, integer, extent=image, max_boxes=8):
            gts = gts.copy()
            gts[:, 2:] -= 1.0  # inclusive corners: the last pixel, as py-faster-rcnn's datasets give
            images.append(gts)
            labels.append(_labels(layer, feature, image, gts))
    gts, offsets = c.pack(images)
    goldens.add(
        "assign/rpn", kind="assign_grid",
        call=f"AnchorTargetLayer (feat_stride 16, scales 8/16/32).forward: labels of the {feature} map of a {image} image (RPN_BATCHSIZE=10**9: no subsampling)",
        anchorlib="AnchorConfig.from_preset('py-faster-rcnn').anchors(image, feature_shapes=[feature]); inside the image: assign(anchors, gts, rule='py-faster-rcnn'); outside: -1",
        arrays={"gts": gts, "gt_offsets": offsets, "labels": np.concatenate(labels)},
        image_shape=list(image), feature_shape=list(feature), rule="py-faster-rcnn",
        positive_iou=0.7, negative_iou=0.3, cases=len(images),
    )
    # Threshold probes: two anchors [probe, box] on a 1 x 1 map of a 100 x 100 image; IoUs
    # (inclusive) exactly 0.3 / 0.7 and one float64 ulp of the box's edge around them.
    anchors_sets, probe_gts, probe_labels = [], [], []
    for h in (3.0, 7.0):
        for y2 in (h - 1, np.nextafter(h - 1, 0), np.nextafter(h - 1, 10), h - 1 - 1e-9, h - 1 + 1e-9):
            box = np.array([0.0, 0.0, 9.0, y2])
            anchors = np.stack([np.array([0.0, 0.0, 9.0, 9.0]), box])
            layer._anchors, layer._num_anchors = anchors, 2
            anchors_sets.append(anchors)
            probe_gts.append(box[None, :])
            probe_labels.append(_labels(layer, (1, 1), (100, 100), box[None, :]))
    sets, set_offsets = c.pack(anchors_sets)
    gts, offsets = c.pack(probe_gts)
    goldens.add(
        "assign/probes", kind="assign",
        call="AnchorTargetLayer.forward on a 1 x 1 map with layer._anchors = [probe, box], stride 16, image 100 x 100",
        anchorlib="assign(anchors, gts, rule='py-faster-rcnn')",
        arrays={"anchor_sets": sets, "anchor_set_offsets": set_offsets, "gts": gts, "gt_offsets": offsets,
                "image_anchor_set": np.arange(len(anchors_sets)), "problem_kind": np.full(len(anchors_sets), 2, np.int8),
                "labels": np.concatenate(probe_labels), "matched": np.full(2 * len(anchors_sets), -2, np.int32)},
        rule="py-faster-rcnn", positive_iou=0.7, negative_iou=0.3, allow_low_quality=True,
        matched_known=False, cases=len(anchors_sets),
    )


def main() -> None:
    commit = c.PINNED_SOURCES["py-faster-rcnn"][1]
    goldens = c.Goldens("py_faster_rcnn", {"version": f"rbgirshick/py-faster-rcnn@{commit}"})
    cell_anchors(goldens, np.random.default_rng(41))
    preset_anchors(goldens, np.random.default_rng(45))
    coders(goldens, np.random.default_rng(42))
    ious(goldens, np.random.default_rng(43))
    matching(goldens, np.random.default_rng(44))
    goldens.write()


if __name__ == "__main__":
    main()
