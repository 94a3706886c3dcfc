"""Goldens of the receptive fields of the torch detectors' real FPN backbones, measured by gradient
support: torchvision 0.29.1 (on torch 2.14.1) and detectron2 @02b5c4e, each in its RetinaNet (P3-P7)
and its Faster R-CNN (P2-P6) form, lateral ``C_l`` fields and full ``P_l`` fields.

Run as ``python -m tools.conformance.receptive_torch`` from the repository root in the conformance
environment with ``SOURCES`` pointing at the source snapshots (``make conformance``). Writes
``tests/conformance/receptive_torch/``. Weights are random (no download).

The backbones, built by the libraries' own functions:

* ``torchvision-resnet50``: ``resnet_fpn_backbone(backbone_name="resnet50", weights=None,
  trainable_layers=5, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))``, the
  ``_resnet_fpn_extractor`` call of ``retinanet_resnet50_fpn`` (``models/detection/retinanet.py``);
* ``torchvision-fasterrcnn-resnet50``: ``resnet_fpn_backbone(backbone_name="resnet50",
  weights=None, trainable_layers=5)``: C2-C5 and ``LastLevelMaxPool``, as ``fasterrcnn_resnet50_fpn``;
* ``detectron2-resnet50``: ``build_backbone(cfg)`` of ``configs/Base-RetinaNet.yaml``
  (``build_retinanet_resnet_fpn_backbone``);
* ``detectron2-fasterrcnn-resnet50``: ``build_backbone(cfg)`` of ``configs/Base-RCNN-FPN.yaml``
  (``build_resnet_fpn_backbone``).

Both use frozen batch norm (torchvision's ``FrozenBatchNorm2d``, detectron2's ``FrozenBN``) at its
initial identity. To make every path carry gradient (as ``_keras_layers.py`` does): every
convolution kernel is made positive (``|w| + 0.001``, then divided by its sum over each output
channel, so that 50 layers neither overflow nor underflow), biases ``|b|``, the network runs in
float64, and the inputs are positive. Max pooling passes gradient to one element of each window
only, so the field is the union over two random inputs, and the inputs are log-normal
(``exp(N(0, 4))``): with inputs of similar size, a stem cell whose window lies partly in the zero
padding is always smaller than its neighbours, never wins the pool's max, and the border pixels
only it reaches would be missed (uniform inputs in [0.1, 1] missed the last pixel of a 127-pixel
input); with heavy-tailed inputs every stem cell wins where it holds the largest pixel. For cell
``(row, j)`` of a map, the columns of the input gradient of ``sum over channels of map[row, j]``
that are non-zero are its field along x. Cells are measured in a batch: batch element ``b``
carries one cell's target (the batch elements do not interact with frozen batch norm). Inputs are
``32 x n`` (the field along x does not depend on the height). The ``C_l`` maps are read with a
forward hook on the body (``backbone.body`` / ``backbone.bottom_up``), the ``P_l`` maps are the
backbone's outputs.

Sizes: torchvision accepts every width (``F.interpolate(size=...)``); detectron2's FPN adds
``F.interpolate(scale_factor=2)`` of the coarser map to the finer one, which fails unless the width
is a multiple of 32 (its ``ImageList`` pads to that): only widths it accepts are recorded, and the
widths tried that it refused are listed in ``meta.json``.

Shims: none (torchvision imports as installed; detectron2's compiled ``_C`` is not imported by
the backbone code).
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from tools.conformance import _common as c

HEIGHT = 32
SAMPLES = 2
TORCHVISION_SIZES = (33, 64, 65, 100, 127, 199, 256, 257, 333, 400)
DETECTRON2_SIZES = (32, 64, 96, 160, 256, 320, 416, 512, 100, 257)  # 100 and 257 are refused


def positive(model: torch.nn.Module) -> torch.nn.Module:
    model = model.double().eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d):
                w = module.weight.abs() + 1e-3
                module.weight.copy_(w / w.sum(dim=(1, 2, 3), keepdim=True))
                if module.bias is not None:
                    module.bias.abs_()
    return model


def measure(model, body, n: int, rng) -> list[tuple]:
    """Rows (input size, map kind 0=C / 1=P, level, cell, first column, last column, cells)."""
    captured = {}
    hook = body.register_forward_hook(lambda module, args, out: captured.update(out=out))
    try:
        return _measure(model, captured, n, rng)
    finally:
        hook.remove()


def _measure(model, captured, n, rng):
    with torch.no_grad():
        x = torch.ones(1, 3, HEIGHT, n, dtype=torch.float64)
        maps = model(x)
    c_maps = list(captured["out"].values())
    p_maps = list(maps.values())
    first = 6 - len(c_maps)  # C3-C5 (RetinaNet) or C2-C5 (Faster R-CNN); P_l starts at the same level
    targets = [(kind, first + i, j, m.shape[-1]) for kind, ms in ((0, c_maps), (1, p_maps))
               for i, m in enumerate(ms) for j in c.receptive_cells(m.shape[-1])]
    lo = np.full(len(targets), n)
    hi = np.full(len(targets), -1)
    for _ in range(SAMPLES):
        batch = 16
        for begin in range(0, len(targets), batch):
            chunk = targets[begin:begin + batch]
            x = torch.tensor(np.exp(rng.normal(0, 4, (len(chunk), 3, HEIGHT, n))), requires_grad=True)
            maps = model(x)
            c_maps, p_maps = list(captured["out"].values()), list(maps.values())
            total = 0
            for b, (kind, level, j, _) in enumerate(chunk):
                m = (c_maps if kind == 0 else p_maps)[level - first]
                total = total + m[b, :, m.shape[-2] // 2, j].sum()
            (grad,) = torch.autograd.grad(total, x)
            support = grad.abs().sum(dim=(1, 2)).numpy() > 0
            for b in range(len(chunk)):
                cols = np.flatnonzero(support[b])
                lo[begin + b] = min(lo[begin + b], cols.min())
                hi[begin + b] = max(hi[begin + b], cols.max())
    return [(n, kind, level, j, int(lo[i]), int(hi[i]), size) for i, (kind, level, j, size) in enumerate(targets)]


def torchvision_models():
    from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
    from torchvision.ops.feature_pyramid_network import LastLevelP6P7

    yield ("torchvision-resnet50",
           "resnet_fpn_backbone(backbone_name='resnet50', weights=None, trainable_layers=5, "
           "returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))",
           resnet_fpn_backbone(backbone_name="resnet50", weights=None, trainable_layers=5,
                               returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256)))
    yield ("torchvision-fasterrcnn-resnet50",
           "resnet_fpn_backbone(backbone_name='resnet50', weights=None, trainable_layers=5)",
           resnet_fpn_backbone(backbone_name="resnet50", weights=None, trainable_layers=5))


def detectron2_models():
    source = c.source_tree("detectron2")
    sys.path.insert(0, str(source))
    from detectron2.config import get_cfg
    from detectron2.modeling import build_backbone

    for name, config in (("detectron2-resnet50", "configs/Base-RetinaNet.yaml"),
                         ("detectron2-fasterrcnn-resnet50", "configs/Base-RCNN-FPN.yaml")):
        cfg = get_cfg()
        cfg.merge_from_file(str(source / config))
        cfg.MODEL.DEVICE = "cpu"
        yield name, f"build_backbone(cfg of {config})", build_backbone(cfg)


def record(goldens: c.Goldens, name: str, call: str, model, body, sizes, rng) -> None:
    model = positive(model)
    rows, refused = [], []
    for n in sizes:
        try:
            rows += measure(model, body(model), n, rng)
        except RuntimeError as error:  # detectron2's top-down add on a width it does not accept
            refused.append([n, str(error).splitlines()[0][:120]])
    rows = np.array(rows, dtype=np.int64)
    for path, mine in c.add_receptive_groups(
            goldens, name, rows, ("C_l (body outputs)", "P_l (backbone outputs)"), call,
            f"float64, union over {SAMPLES} log-normal random inputs of {HEIGHT} x n",
            "tools/conformance/receptive_torch.py", refused):
        print(f"{name} {path}: {len(mine)} cells at {len(set(mine[:, 0]))} sizes; refused {[r[0] for r in refused]}")


def main() -> None:
    torch.set_num_threads(2)
    goldens = c.Goldens("receptive_torch", {
        "version": f"torchvision {c.version('torchvision')}; detectron2 @{c.PINNED_SOURCES['detectron2'][1]}",
        "torch": c.version("torch"),
    })
    rng = np.random.default_rng(41)
    only = sys.argv[1:]
    for name, call, model in torchvision_models():
        if not only or name in only:
            record(goldens, name, call, model, lambda m: m.body, TORCHVISION_SIZES, rng)
    for name, call, model in detectron2_models():
        if not only or name in only:
            record(goldens, name, call, model, lambda m: m.bottom_up, DETECTRON2_SIZES, rng)
    goldens.write()


if __name__ == "__main__":
    main()
