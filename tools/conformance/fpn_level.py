"""Goldens of the FPN level rule (which pyramid level pools each box in a two-stage detector):
torchvision 0.29.1's ``ops.poolers.LevelMapper`` and detectron2 @02b5c4e's
``modeling.poolers.assign_boxes_to_levels``, both run on CPU in float32, as they compute.

Run as ``python -m tools.conformance.fpn_level`` from the repository root in the conformance
environment with ``SOURCES`` pointing at the source snapshots (``make conformance``). Writes
``tests/conformance/fpn_level/``, compared with ``anchorlib.fpn_level`` by tests/test_matching.py.

Cases: random boxes (sides 2 to 1200 pixels, any aspect) and boxes whose side is within a few
float32 ulps of a level boundary (56, 112, 224 and 448 pixels, where ``log2(side / 224)`` is an
integer), where the place of each library's epsilon and its float32 rounding decide the level.
Both with FPN's defaults (``canonical_size = 224``, ``canonical_level = 4``) and P2-P5, as the
ResNet-50 FPN Faster R-CNN of both libraries pools.

Shims: none. (detectron2's ``poolers`` imports its ``ROIAlign`` layer, whose compiled ``_C`` is
loaded only when the op runs; ``assign_boxes_to_levels`` does not run it.)
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from tools.conformance import _common as c

SOURCE = c.source_tree("detectron2")
sys.path.insert(0, str(SOURCE))

from detectron2.modeling.poolers import assign_boxes_to_levels  # noqa: E402
from detectron2.structures import Boxes  # noqa: E402
from torchvision.ops.poolers import LevelMapper  # noqa: E402


def boxes(rng) -> dict[str, np.ndarray]:
    """Float32 ``xyxy`` boxes: random, and near each level boundary."""
    n = 4000
    corner = rng.uniform(0, 800, (n, 2))
    sides = np.exp(rng.uniform(np.log(2), np.log(1200), (n, 2)))
    random = np.concatenate([corner, corner + sides], axis=1)
    boundary = np.array([56.0, 112.0, 224.0, 448.0])[rng.integers(0, 4, n)]
    steps = rng.integers(-8, 9, n)  # float32 ulps of the side around the boundary
    side = boundary.astype(np.float32) + steps * np.spacing(boundary.astype(np.float32))
    near = np.stack([np.zeros(n), np.zeros(n), side, side], axis=1)
    return {name: array.astype(np.float32) for name, array in (("random", random), ("boundary", near))}


def main() -> None:
    goldens = c.Goldens("fpn_level", {
        "version": f"torchvision {c.version('torchvision')}; detectron2 @{c.PINNED_SOURCES['detectron2'][1]}",
        "torch": torch.__version__})
    runs = {  # library: (call recorded, the function run on a float32 tensor of boxes)
        "torchvision": ("LevelMapper(k_min=2, k_max=5)([boxes]) + 2 (canonical_scale=224, canonical_level=4, eps=1e-6)",
                        lambda t: LevelMapper(k_min=2, k_max=5)([t])),
        "detectron2": ("assign_boxes_to_levels([Boxes(boxes)], 2, 5, 224, 4) + 2",
                       lambda t: assign_boxes_to_levels([Boxes(t)], 2, 5, 224, 4)),
    }
    for name, array in boxes(np.random.default_rng(41)).items():
        for library, (call, run) in runs.items():
            levels = run(torch.from_numpy(array)).numpy().astype(np.int64) + 2
            goldens.add(
                f"fpn_level/{library}/{name}", kind="fpn_level", call=call,
                anchorlib=f"fpn_level(boxes, library={library!r})",
                arrays={"boxes": array, "levels": levels}, library=library, cases=len(array),
            )
    goldens.write()


if __name__ == "__main__":
    main()
