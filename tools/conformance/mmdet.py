"""Goldens of mmdetection 3.3.0: anchors of every mmdet preset, cell anchors, ``DeltaXYWHBBoxCoder``
(with means/stds, ``add_ctr_clamp`` and ``clip_border``), ``LegacyDeltaXYWHBBoxCoder``,
``bbox_overlaps``, ``MaxIoUAssigner`` and ``ATSSAssigner``, computed by mmdetection itself (CPU,
float32 as it computes).

Run as ``python -m tools.conformance.mmdet`` from the repository root in the conformance environment
(``make conformance``). Writes ``tests/conformance/mmdet/``.

Shims (imports only, see ``_common.shim_mmcv_ext``): ``mmcv._ext``, the compiled ops that mmcv 2.1.0
built with ``MMCV_WITH_OPS=0`` does not have; mmdet imports ``mmcv.ops`` (NMS, RoIAlign) at import
time. No compared function calls a compiled op (one that did would raise).

Feature-map sizes come from the real backbones (the ``retinanet_r50_fpn``, ``faster-rcnn_r50_fpn``,
legacy RetinaNet and ATSS configs shipped with mmdet, built with random weights and run on the
``meta`` device), on the input padded by ``mmengine.model.stack_batch(pad_size_divisor=32)``.
"""

from __future__ import annotations

import numpy as np
import torch

from tools.conformance import _common as c

c.shim_mmcv_ext()

import mmdet  # noqa: E402
from mmdet.models.task_modules.assigners import ATSSAssigner, MaxIoUAssigner  # noqa: E402
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder, LegacyDeltaXYWHBBoxCoder  # noqa: E402
from mmdet.models.task_modules.prior_generators import AnchorGenerator, LegacyAnchorGenerator  # noqa: E402
from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures.bbox import bbox_overlaps  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.model.utils import stack_batch  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

T = torch.float32
CONFIGS = {
    "mmdet-retinanet": "retinanet/retinanet_r50_fpn_1x_coco.py",
    "mmdet-fasterrcnn": "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py",
    "mmdet-legacy-retinanet": "legacy_1.x/retinanet_r50_fpn_1x_coco_v1.py",
    "mmdet-atss": "atss/atss_r50_fpn_1x_coco.py",
}


def _config(name: str):
    from pathlib import Path
    return Config.fromfile(str(Path(mmdet.__file__).parent / ".mim" / "configs" / CONFIGS[name]))


def _model(name: str):
    cfg = _config(name)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    head = model.bbox_head if hasattr(model, "bbox_head") else model.rpn_head
    return model, head.prior_generator


def preset_anchors(goldens: c.Goldens, rng) -> None:
    for preset in ("mmdet-retinanet", "mmdet-fasterrcnn", "mmdet-legacy-retinanet"):
        model, generator = _model(preset)
        model = model.to("meta")
        for h, w in c.IMAGE_SIZES:
            padded = stack_batch([torch.zeros(3, h, w)], pad_size_divisor=32)
            with torch.no_grad():
                features = model.extract_feat(torch.empty(padded.shape, device="meta"))
            shapes = [tuple(f.shape[-2:]) for f in features]
            levels = generator.grid_priors(shapes, dtype=T, device="cpu")
            anchors = torch.cat(levels).numpy()
            rows = c.sample_rows(len(anchors), rng)
            goldens.add(
                f"anchors/{preset}/{h}x{w}", kind="anchors",
                call=f"{type(generator).__name__} of {CONFIGS[preset]}: grid_priors(feature shapes of extract_feat(stack_batch([zeros(3, {h}, {w})], pad_size_divisor=32)), dtype=float32)",
                anchorlib=f"AnchorConfig.from_preset({preset!r}).anchors(({h}, {w}), feature_shapes=feature_shapes)",
                arrays={"rows": rows, "sample": anchors[rows]},
                preset=preset, image_shape=[h, w], feature_shapes=[list(map(int, s)) for s in shapes],
                counts=[int(len(x)) for x in levels], dtype=str(anchors.dtype), sha256=c.digest(anchors),
                cases=1,
            )


def cell_anchors(goldens: c.Goldens, rng) -> None:
    n = 200
    base = np.concatenate([rng.integers(1, 256, n // 2), np.exp(rng.uniform(0, 6, n - n // 2))])
    ratios = np.exp(rng.uniform(np.log(0.02), np.log(50), (n, 3)))
    ratios[:20] = [0.5, 1.0, 2.0]
    scales = np.exp(rng.uniform(np.log(0.5), np.log(16), (n, 2)))
    offsets = rng.choice([0.0, 0.5, 0.25, 1.0], n)
    for legacy, cls in ((False, AnchorGenerator), (True, LegacyAnchorGenerator)):
        out = np.stack([
            cls(strides=[16], ratios=list(r), scales=list(s), base_sizes=[float(b)],
                center_offset=float(o)).base_anchors[0].numpy()
            for b, r, s, o in zip(base, ratios, scales, offsets)
        ])
        goldens.add(
            f"cell_anchors/{'legacy' if legacy else 'v2'}", kind="cell_anchors",
            call=f"{cls.__name__}(strides=[16], ratios, scales, base_sizes=[base], center_offset).base_anchors[0]",
            anchorlib=f"mmdet_base_anchors(base, ratios, scales, center_offset, legacy={legacy})",
            arrays={"base": base, "ratios": ratios, "scales": scales, "offsets": offsets, "anchors": out},
            legacy=legacy, cases=n,
        )


def coders(goldens: c.Goldens, rng) -> None:
    variants = {
        "default": dict(),
        "stds": dict(target_means=(0.0, 0.0, 0.0, 0.0), target_stds=(0.1, 0.1, 0.2, 0.2)),
        "means": dict(target_means=(0.01, -0.02, 0.03, -0.04), target_stds=(0.5, 0.7, 1.3, 1.9)),
        "ctr_clamp": dict(add_ctr_clamp=True, ctr_clamp=32),
        "noclip": dict(clip_border=False),
    }
    max_shape = (320, 384)
    for name, (a, b, d) in c.coding_inputs(rng).items():
        at, bt, dt = (torch.tensor(x, dtype=T) for x in (a, b, d))
        for variant, kwargs in variants.items():
            coder = DeltaXYWHBBoxCoder(**kwargs)
            means, stds = list(coder.means), list(coder.stds)
            record = dict(means=means, stds=stds, add_ctr_clamp=coder.add_ctr_clamp,
                          ctr_clamp=coder.ctr_clamp, clip_border=coder.clip_border)
            if variant in ("default", "stds", "means"):
                goldens.add(
                    f"encode/{variant}/{name}", kind="encode",
                    call=f"DeltaXYWHBBoxCoder({kwargs}).encode(anchors, boxes)",
                    anchorlib="encode(anchors, boxes, library='mmdet', means=means, stds=stds)",
                    arrays={"anchors": a, "boxes": b, "out": coder.encode(at, bt).numpy()},
                    **record, cases=len(a),
                )
            for shape in (None, max_shape):
                out = coder.decode(at, dt, max_shape=shape).numpy()
                goldens.add(
                    f"decode/{variant}/{'shape' if shape else 'noshape'}/{name}", kind="decode",
                    call=f"DeltaXYWHBBoxCoder({kwargs}).decode(anchors, deltas, max_shape={shape})",
                    anchorlib="decode(anchors, deltas, library='mmdet', means=..., stds=..., max_shape=...)",
                    arrays={"anchors": a, "deltas": d, "out": out},
                    **record, max_shape=list(shape) if shape else None, cases=len(a),
                )
        coder = LegacyDeltaXYWHBBoxCoder()
        goldens.add(
            f"encode/legacy/{name}", kind="encode", call="LegacyDeltaXYWHBBoxCoder().encode(anchors, boxes)",
            anchorlib="encode(anchors, boxes, library='mmdet-legacy')",
            arrays={"anchors": a, "boxes": b, "out": coder.encode(at, bt).numpy()},
            means=[0.0] * 4, stds=[1.0] * 4, cases=len(a),
        )
        goldens.add(
            f"decode/legacy/{name}", kind="decode", call="LegacyDeltaXYWHBBoxCoder().decode(anchors, deltas)",
            anchorlib="decode(anchors, deltas, library='mmdet-legacy')",
            arrays={"anchors": a, "deltas": d, "out": coder.decode(at, dt).numpy()},
            means=[0.0] * 4, stds=[1.0] * 4, max_shape=None, cases=len(a),
        )


def ious(goldens: c.Goldens, rng) -> None:
    for name, (a, b) in c.iou_inputs(rng).items():
        out = bbox_overlaps(torch.tensor(a, dtype=T), torch.tensor(b, dtype=T)).numpy()
        goldens.add(
            f"iou/{name}", kind="iou", call="mmdet.structures.bbox.bbox_overlaps(boxes1, boxes2) (float32)",
            anchorlib="box_iou(boxes1, boxes2, dtype='float32')",
            arrays={"boxes1": a, "boxes2": b, "out": out}, cases=int(out.size),
        )


def _gt(boxes) -> InstanceData:
    return InstanceData(bboxes=torch.tensor(boxes, dtype=T), labels=torch.zeros(len(boxes), dtype=torch.long))


def matching(goldens: c.Goldens, rng) -> None:
    _, generator = _model("mmdet-retinanet")
    shapes = [(20, 24), (10, 12), (5, 6), (3, 3), (2, 2)]  # ResNet-50 FPN at 160 x 192
    anchors = torch.cat(generator.grid_priors(shapes, dtype=T, device="cpu")).numpy()
    problems = c.assignment_problems(rng, anchors, (0.3, 0.4, 0.5, 0.7))
    settings = (
        ("retinanet", dict(pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0, ignore_iof_thr=-1)),
        ("rpn", dict(pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1)),
        ("rcnn", dict(pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5, match_low_quality=False, ignore_iof_thr=-1)),
    )
    for name, kwargs in settings:
        assigner = MaxIoUAssigner(**kwargs)
        labels, matched = [], []
        for a, g in c.iter_problems(problems):
            result = assigner.assign(InstanceData(priors=torch.tensor(a)), _gt(g))
            inds = result.gt_inds.numpy()
            labels.append(np.where(inds > 0, 1, np.where(inds == 0, 0, -1)))
            matched.append(np.where(inds > 0, inds - 1, -1))
        goldens.add(
            f"assign/{name}", kind="assign",
            call=f"MaxIoUAssigner({kwargs}).assign(InstanceData(priors=anchors), InstanceData(bboxes=gts)).gt_inds; labels: >0 -> 1, 0 -> 0, -1 -> -1",
            anchorlib=(f"assign(anchors, gts, rule='mmdet', positive_iou={kwargs['pos_iou_thr']}, negative_iou={kwargs['neg_iou_thr']}, "
                       f"min_pos_iou={kwargs['min_pos_iou']}, allow_low_quality={kwargs.get('match_low_quality', True)})"),
            arrays={**problems, "labels": np.concatenate(labels).astype(np.int8),
                    "matched": np.concatenate(matched).astype(np.int32)},
            rule="mmdet", positive_iou=kwargs["pos_iou_thr"], negative_iou=kwargs["neg_iou_thr"],
            min_pos_iou=kwargs["min_pos_iou"], allow_low_quality=kwargs.get("match_low_quality", True),
            cases=len(problems["image_anchor_set"]),
        )


def atss(goldens: c.Goldens, rng) -> None:
    _, generator = _model("mmdet-atss")
    shapes = [(40, 48), (20, 24), (10, 12), (5, 6), (3, 3)]  # ResNet-50 FPN at 320 x 384
    levels = generator.grid_priors(shapes, dtype=T, device="cpu")
    anchors = torch.cat(levels)
    per_level = [len(x) for x in levels]
    assigner = ATSSAssigner(topk=9)
    for integer in (False, True):
        images = c.matching_images(rng, 60, integer, extent=(320, 384))
        labels, matched = [], []
        for g in images:
            result = assigner.assign(InstanceData(priors=anchors), per_level, _gt(np.float32(g)))
            inds = result.gt_inds.numpy()
            labels.append((inds > 0).astype(np.int8))
            matched.append(np.where(inds > 0, inds - 1, -1))
        gts, offsets = c.pack(images)
        goldens.add(
            f"atss/{'integer' if integer else 'float'}", kind="atss",
            call="ATSSAssigner(topk=9).assign(InstanceData(priors=anchors), num_level_priors, InstanceData(bboxes=gts)).gt_inds",
            anchorlib="atss_assign(anchors, gts, anchors_per_level, k=9)",
            arrays={"anchors": anchors.numpy(), "gts": gts.astype(np.float32), "gt_offsets": offsets,
                    "labels": np.concatenate(labels), "matched": np.concatenate(matched).astype(np.int32)},
            anchors_per_level=per_level, k=9, cases=len(images),
        )


def main() -> None:
    torch.set_num_threads(1)
    register_all_modules()
    goldens = c.Goldens("mmdet", {"version": mmdet.__version__, "mmcv": c.version("mmcv-lite"),
                                  "mmengine": c.version("mmengine"), "torch": c.version("torch")})
    preset_anchors(goldens, np.random.default_rng(11))
    cell_anchors(goldens, np.random.default_rng(12))
    coders(goldens, np.random.default_rng(13))
    ious(goldens, np.random.default_rng(14))
    matching(goldens, np.random.default_rng(15))
    atss(goldens, np.random.default_rng(16))
    goldens.write()


if __name__ == "__main__":
    main()
