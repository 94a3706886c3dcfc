"""Goldens of detectron2 @02b5c4e: anchors of both detectron2 presets, cell anchors,
``Box2BoxTransform``, ``pairwise_iou`` and ``Matcher``, computed by detectron2 itself (CPU,
float32 as it computes).

Run as ``python -m tools.conformance.detectron2`` from the repository root in the conformance
environment with ``SOURCES`` pointing at the source snapshots (``make conformance``). Writes
``tests/conformance/detectron2/``. detectron2's Python sources are imported from the pinned commit
(``$SOURCES/detectron2``, extracted by ``_common.source_tree``); its compiled ``_C`` is not built.

Shims: none. (``detectron2._C`` is imported lazily by the ops that need it; none of the compared
functions does.)

Feature-map sizes come from the real backbones of ``configs/Base-RetinaNet.yaml`` and
``configs/Base-RCNN-FPN.yaml`` (random weights, run on the ``meta`` device), on the input padded by
``ImageList.from_tensors(..., size_divisibility=32)``.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from tools.conformance import _common as c

SOURCE = c.source_tree("detectron2")
sys.path.insert(0, str(SOURCE))

from detectron2.config import get_cfg  # noqa: E402
from detectron2.modeling import build_anchor_generator, build_backbone  # noqa: E402
from detectron2.modeling.anchor_generator import DefaultAnchorGenerator  # noqa: E402
from detectron2.modeling.box_regression import Box2BoxTransform  # noqa: E402
from detectron2.modeling.matcher import Matcher  # noqa: E402
from detectron2.structures import Boxes, ImageList, pairwise_iou  # noqa: E402

T = torch.float32
CONFIGS = {"detectron2-retinanet": "configs/Base-RetinaNet.yaml", "detectron2-rpn": "configs/Base-RCNN-FPN.yaml"}


def _cfg(preset):
    cfg = get_cfg()
    cfg.merge_from_file(str(SOURCE / CONFIGS[preset]))
    cfg.MODEL.DEVICE = "cpu"
    return cfg


def _generator_and_backbone(preset):
    cfg = _cfg(preset)
    backbone = build_backbone(cfg)
    names = cfg.MODEL.RETINANET.IN_FEATURES if preset == "detectron2-retinanet" else cfg.MODEL.RPN.IN_FEATURES
    shapes = [backbone.output_shape()[f] for f in names]
    return build_anchor_generator(cfg, shapes), backbone.to("meta"), names


def preset_anchors(goldens: c.Goldens, rng) -> None:
    for preset in CONFIGS:
        generator, backbone, names = _generator_and_backbone(preset)
        for h, w in c.IMAGE_SIZES:
            padded = ImageList.from_tensors([torch.zeros(3, h, w)], size_divisibility=32).tensor
            with torch.no_grad():
                features = backbone(torch.empty(padded.shape, device="meta"))
            shapes = [tuple(features[f].shape[-2:]) for f in names]
            levels = generator([torch.empty(1, 1, *s) for s in shapes])
            anchors = torch.cat([b.tensor for b in levels]).numpy()
            rows = c.sample_rows(len(anchors), rng)
            goldens.add(
                f"anchors/{preset}/{h}x{w}", kind="anchors",
                call=f"build_anchor_generator({CONFIGS[preset]})(feature maps of build_backbone(cfg) on ImageList.from_tensors([zeros(3, {h}, {w})], 32))",
                anchorlib=f"AnchorConfig.from_preset({preset!r}).anchors(({h}, {w}), feature_shapes=feature_shapes)",
                arrays={"rows": rows, "sample": anchors[rows]},
                preset=preset, image_shape=[h, w], feature_shapes=[list(map(int, s)) for s in shapes],
                counts=[int(len(b)) for b in levels], dtype=str(anchors.dtype), sha256=c.digest(anchors),
                cases=1,
            )


def cell_anchors(goldens: c.Goldens, rng) -> None:
    n = 300
    sizes = np.concatenate([rng.integers(1, 1024, (n // 2, 3)), np.exp(rng.uniform(0, 7, (n // 2, 3)))])
    ratios = np.exp(rng.uniform(np.log(0.02), np.log(50), (n, 3)))
    ratios[:20] = [0.5, 1.0, 2.0]
    generator = DefaultAnchorGenerator(sizes=[[32]], aspect_ratios=[[1.0]], strides=[8])
    out = np.stack([
        generator.generate_cell_anchors(tuple(float(v) for v in s), tuple(float(v) for v in r)).numpy()
        for s, r in zip(sizes, ratios)
    ])
    goldens.add(
        "cell_anchors", kind="cell_anchors",
        call="DefaultAnchorGenerator.generate_cell_anchors(sizes, aspect_ratios)",
        anchorlib="detectron2_base_anchors(sizes, ratios)",
        arrays={"sizes": sizes, "ratios": ratios, "anchors": out}, cases=n,
    )


def coders(goldens: c.Goldens, rng) -> None:
    for weights in ((1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)):
        transform = Box2BoxTransform(weights)
        tag = "x".join(str(int(v)) for v in weights)
        for name, (a, b, d) in c.coding_inputs(rng).items():
            at, bt, dt = (torch.tensor(x, dtype=T) for x in (a, b, d))
            goldens.add(
                f"encode/{tag}/{name}", kind="encode",
                call=f"Box2BoxTransform({weights}).get_deltas(anchors, boxes)",
                anchorlib=f"encode(anchors, boxes, {weights}, library='detectron2')",
                arrays={"anchors": a, "boxes": b, "out": transform.get_deltas(at, bt).numpy()},
                weights=list(weights), cases=len(a),
            )
            goldens.add(
                f"decode/{tag}/{name}", kind="decode",
                call=f"Box2BoxTransform({weights}).apply_deltas(deltas, anchors)",
                anchorlib=f"decode(anchors, deltas, {weights}, library='detectron2')",
                arrays={"anchors": a, "deltas": d, "out": transform.apply_deltas(dt, at).numpy()},
                weights=list(weights), cases=len(a),
            )


def ious(goldens: c.Goldens, rng) -> None:
    for name, (a, b) in c.iou_inputs(rng).items():
        out = pairwise_iou(Boxes(torch.tensor(a)), Boxes(torch.tensor(b))).numpy()
        goldens.add(
            f"iou/{name}", kind="iou", call="pairwise_iou(Boxes(boxes1), Boxes(boxes2)) (Boxes makes float32)",
            anchorlib="box_iou(boxes1, boxes2, dtype='float32')",
            arrays={"boxes1": a, "boxes2": b, "out": out}, cases=int(out.size),
        )


def matching(goldens: c.Goldens, rng) -> None:
    generator, _, _ = _generator_and_backbone("detectron2-retinanet")
    shapes = [(20, 24), (10, 12), (5, 6), (3, 3), (2, 2)]  # ResNet-50 FPN at 160 x 192
    anchors = torch.cat([b.tensor for b in generator([torch.empty(1, 1, *s) for s in shapes])]).numpy()
    problems = c.assignment_problems(rng, anchors, (0.3, 0.4, 0.5, 0.7))
    for low, high, low_quality in ((0.4, 0.5, True), (0.3, 0.7, True), (0.4, 0.5, False)):
        matcher = Matcher([low, high], [0, -1, 1], allow_low_quality_matches=low_quality)
        labels, matched = [], []
        for a, g in c.iter_problems(problems):
            matches, match_labels = matcher(pairwise_iou(Boxes(torch.tensor(g)), Boxes(torch.tensor(a))))
            lab = match_labels.numpy().astype(np.int8)
            labels.append(lab)
            matched.append(np.where(lab == 1, matches.numpy(), -1))
        goldens.add(
            f"assign/{high}-{low}-{'low' if low_quality else 'nolow'}", kind="assign",
            call=f"Matcher([{low}, {high}], [0, -1, 1], allow_low_quality_matches={low_quality})(pairwise_iou(Boxes(gts), Boxes(anchors)))",
            anchorlib=f"assign(anchors, gts, rule='detectron2', positive_iou={high}, negative_iou={low}, allow_low_quality={low_quality})",
            arrays={**problems, "labels": np.concatenate(labels), "matched": np.concatenate(matched).astype(np.int32)},
            rule="detectron2", positive_iou=high, negative_iou=low, allow_low_quality=low_quality,
            cases=len(problems["image_anchor_set"]),
        )


def main() -> None:
    torch.set_num_threads(1)
    commit = c.PINNED_SOURCES["detectron2"][1]
    goldens = c.Goldens("detectron2", {"version": f"facebookresearch/detectron2@{commit}", "torch": c.version("torch")})
    preset_anchors(goldens, np.random.default_rng(21))
    cell_anchors(goldens, np.random.default_rng(22))
    coders(goldens, np.random.default_rng(23))
    ious(goldens, np.random.default_rng(24))
    matching(goldens, np.random.default_rng(25))
    goldens.write()


if __name__ == "__main__":
    main()
