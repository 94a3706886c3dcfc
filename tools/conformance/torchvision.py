"""Goldens of torchvision: anchors of every torchvision preset, cell anchors, ``BoxCoder``,
``box_iou`` and ``Matcher``, computed by torchvision itself (CPU, float32 as it computes).

Run as ``python -m tools.conformance.torchvision`` from the repository root in the conformance
environment (``make conformance``). Writes ``tests/conformance/torchvision/``.

Shims: none (torchvision imports as installed).

Feature-map sizes come from the real backbones (``retinanet_resnet50_fpn`` and
``fasterrcnn_resnet50_fpn`` with random weights, run on the ``meta`` device, which computes shapes
only), on the input padded by the model's own ``GeneralizedRCNNTransform.batch_images``.
"""

from __future__ import annotations

import numpy as np
import torch
from torchvision.models.detection import fasterrcnn_resnet50_fpn, retinanet_resnet50_fpn
from torchvision.models.detection._utils import BoxCoder, Matcher
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_iou

from tools.conformance import _common as c

T = torch.float32


def preset_anchors(goldens: c.Goldens, rng) -> None:
    models = {
        "torchvision-retinanet": retinanet_resnet50_fpn(weights=None, weights_backbone=None),
        "torchvision-fasterrcnn": fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None),
    }
    for preset, model in models.items():
        model.eval()
        generator = model.anchor_generator if hasattr(model, "anchor_generator") else model.rpn.anchor_generator
        backbone = model.backbone.to("meta")
        for h, w in c.IMAGE_SIZES:
            padded = model.transform.batch_images([torch.zeros(3, h, w)], size_divisible=32)
            with torch.no_grad():
                features = backbone(torch.empty(padded.shape, device="meta"))
            shapes = [tuple(f.shape[-2:]) for f in features.values()]
            image_list = ImageList(padded, [(h, w)])
            maps = [torch.empty((1, 1, *s)) for s in shapes]
            anchors = generator(image_list, maps)[0].numpy()
            counts = [s[0] * s[1] * a for s, a in zip(shapes, generator.num_anchors_per_location())]
            rows = c.sample_rows(len(anchors), rng)
            goldens.add(
                f"anchors/{preset}/{h}x{w}", kind="anchors",
                call=f"{type(model).__name__}(weights=None) anchor generator(ImageList(transform.batch_images([zeros(3, {h}, {w})]), [({h}, {w})]), backbone feature maps)",
                anchorlib=f"AnchorConfig.from_preset({preset!r}).anchors(({h}, {w}), feature_shapes=feature_shapes)",
                arrays={"rows": rows, "sample": anchors[rows]},
                preset=preset, image_shape=[h, w], feature_shapes=[list(map(int, s)) for s in shapes],
                counts=[int(n) for n in counts], dtype=str(anchors.dtype), sha256=c.digest(anchors),
                cases=1,
            )


def cell_anchors(goldens: c.Goldens, rng) -> None:
    n = 300
    sizes = np.concatenate([rng.integers(1, 1024, (n // 2, 3)), np.exp(rng.uniform(0, 7, (n // 2, 3)))])
    ratios = np.exp(rng.uniform(np.log(0.02), np.log(50), (n, 3)))
    ratios[:20] = [0.5, 1.0, 2.0]
    generator = AnchorGenerator()
    out = np.stack([
        generator.generate_anchors(list(s), list(r), dtype=T).numpy() for s, r in zip(sizes, ratios)
    ])
    goldens.add(
        "cell_anchors", kind="cell_anchors",
        call="AnchorGenerator().generate_anchors(sizes, ratios, dtype=torch.float32)",
        anchorlib="torchvision_base_anchors(sizes, ratios)",
        arrays={"sizes": sizes, "ratios": ratios, "anchors": out}, cases=n,
    )


def coders(goldens: c.Goldens, rng) -> None:
    for weights in ((1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)):
        coder = BoxCoder(weights)
        for name, (a, b, d) in c.coding_inputs(rng).items():
            at, bt, dt = (torch.tensor(x, dtype=T) for x in (a, b, d))
            encoded = coder.encode_single(bt, at).numpy()
            decoded = coder.decode_single(dt, at).numpy()
            tag = "x".join(str(int(v)) for v in weights)
            goldens.add(
                f"encode/{tag}/{name}", kind="encode",
                call=f"BoxCoder({weights}).encode_single(boxes, anchors)",
                anchorlib=f"encode(anchors, boxes, {weights}, library='torchvision')",
                arrays={"anchors": a, "boxes": b, "out": encoded}, weights=list(weights), cases=len(a),
            )
            goldens.add(
                f"decode/{tag}/{name}", kind="decode",
                call=f"BoxCoder({weights}).decode_single(deltas, anchors)",
                anchorlib=f"decode(anchors, deltas, {weights}, library='torchvision')",
                arrays={"anchors": a, "deltas": d, "out": decoded}, weights=list(weights), cases=len(a),
            )


def ious(goldens: c.Goldens, rng) -> None:
    for name, (a, b) in c.iou_inputs(rng).items():
        out = box_iou(torch.tensor(a, dtype=T), torch.tensor(b, dtype=T)).numpy()
        goldens.add(
            f"iou/{name}", kind="iou", call="torchvision.ops.box_iou(boxes1, boxes2) (float32)",
            anchorlib="box_iou(boxes1, boxes2, dtype='float32')",
            arrays={"boxes1": a, "boxes2": b, "out": out}, cases=int(out.size),
        )


def matching(goldens: c.Goldens, rng) -> None:
    generator = retinanet_resnet50_fpn(weights=None, weights_backbone=None).anchor_generator
    shapes = [(20, 24), (10, 12), (5, 6), (3, 3), (2, 2)]  # the ResNet-50 FPN at 160 x 192
    anchors = generator(ImageList(torch.zeros(1, 3, 160, 192), [(160, 192)]),
                        [torch.empty(1, 1, *s) for s in shapes])[0].numpy()
    problems = c.assignment_problems(rng, anchors, (0.3, 0.4, 0.5, 0.7))
    for high, low, low_quality in ((0.5, 0.4, True), (0.7, 0.3, True), (0.5, 0.4, False)):
        matcher = Matcher(high, low, allow_low_quality_matches=low_quality)
        labels, matched = [], []
        for a, g in c.iter_problems(problems):
            matches = matcher(box_iou(torch.tensor(g), torch.tensor(a))).numpy()
            labels.append(np.where(matches >= 0, 1, np.where(matches == -1, 0, -1)))
            matched.append(np.where(matches >= 0, matches, -1))
        goldens.add(
            f"assign/{high}-{low}-{'low' if low_quality else 'nolow'}", kind="assign",
            call=(f"Matcher({high}, {low}, allow_low_quality_matches={low_quality})(box_iou(gts, anchors)); "
                  "labels: match >= 0 -> 1, -1 -> 0, -2 -> -1"),
            anchorlib=f"assign(anchors, gts, rule='torchvision', positive_iou={high}, negative_iou={low}, allow_low_quality={low_quality})",
            arrays={**problems, "labels": np.concatenate(labels).astype(np.int8),
                    "matched": np.concatenate(matched).astype(np.int32)},
            rule="torchvision", positive_iou=high, negative_iou=low, allow_low_quality=low_quality,
            cases=len(problems["image_anchor_set"]),
        )


def main() -> None:
    torch.set_num_threads(1)
    goldens = c.Goldens("torchvision", {"version": c.version("torchvision"), "torch": c.version("torch")})
    preset_anchors(goldens, np.random.default_rng(1))
    cell_anchors(goldens, np.random.default_rng(2))
    coders(goldens, np.random.default_rng(3))
    ious(goldens, np.random.default_rng(4))
    matching(goldens, np.random.default_rng(5))
    goldens.write()


if __name__ == "__main__":
    main()
