"""Goldens of keras-retinanet 1.0.0: anchors of the keras-retinanet preset, cell anchors,
``bbox_transform``, ``compute_overlap`` and ``compute_gt_annotations``, computed by keras-retinanet's
own numpy/Cython code (float64, as its training generator computes); and, in TensorFlow, the Keras
``Anchors`` layer and ``backend.bbox_transform_inv`` (the model's ``RegressBoxes`` decode, float32).

Run as ``python -m tools.conformance.keras_retinanet`` from the repository root in the conformance
environment (``make conformance``). Writes ``tests/conformance/keras_retinanet/``. keras-retinanet is
the PyPI release 1.0.0 (``pip install --no-deps keras-retinanet==1.0.0``, which compiles its Cython
``compute_overlap``); its ``utils/anchors.py``, ``utils/compute_overlap.pyx``, ``layers/`` and
``backend/`` are those of fizyr/keras-retinanet @7ac91df.

Shims (imports only): ``tensorflow``, a stand-in module whose ``keras.backend.floatx()`` answers
``"float32"`` (Keras' default), because ``keras_retinanet/utils/anchors.py`` imports
``from tensorflow import keras`` for that one call (the torch environment has no TensorFlow).

The Keras ``Anchors`` layer (the float32 anchors of a model at inference) runs in a second
environment with TensorFlow (``CONFORMANCE_TF_PYTHON``, default ``.venv-conformance-tf/bin/python``,
from ``tools/conformance/requirements-tf.txt``) through ``_keras_layers.py``, without any shim; so
does ``backend.bbox_transform_inv`` (groups ``decode/<name>``, the anchors and deltas of
``_common.coding_inputs``, seeded 37; anchors without positive width and height would be left out
and counted in the record, and none is), called on float32 tensors with the ``mean``/``std`` arrays the
``RegressBoxes`` layer passes by default; the generator checks that the layer itself, inside a
``tf_keras.Model`` run by ``predict``, gives the same bits. The TensorFlow groups are skipped, with a
message, when that interpreter is absent.

Feature-map sizes are keras-retinanet's own ``guess_shapes`` (the default ``shapes_callback`` of
``anchors_for_shape``), not a run of the Keras backbone.
"""

from __future__ import annotations

import sys
import types

import numpy as np

from tools.conformance import _common as c

_tf = types.ModuleType("tensorflow")
_tf.keras = types.SimpleNamespace(backend=types.SimpleNamespace(floatx=lambda: "float32"))
sys.modules.setdefault("tensorflow", _tf)

from keras_retinanet.utils.anchors import (  # noqa: E402
    AnchorParameters,
    anchors_for_shape,
    bbox_transform,
    compute_gt_annotations,
    generate_anchors,
)
from keras_retinanet.utils.compute_overlap import compute_overlap  # noqa: E402


def preset_anchors(goldens: c.Goldens, rng) -> None:
    for h, w in c.IMAGE_SIZES:
        anchors = anchors_for_shape((h, w, 3))
        rows = c.sample_rows(len(anchors), rng)
        goldens.add(
            f"anchors/keras-retinanet/{h}x{w}", kind="anchors",
            call=f"anchors_for_shape(({h}, {w}, 3))",
            anchorlib=f"AnchorConfig.from_preset('keras-retinanet').anchors(({h}, {w}))",
            arrays={"rows": rows, "sample": anchors[rows]},
            preset="keras-retinanet", image_shape=[h, w], feature_shapes=None,
            counts=None, total=int(len(anchors)), dtype=str(anchors.dtype), sha256=c.digest(anchors), cases=1,
        )


def cell_anchors(goldens: c.Goldens, rng) -> None:
    n = 300
    base = np.concatenate([rng.integers(1, 1024, n // 2), np.exp(rng.uniform(0, 7, n - n // 2))])
    ratios = np.exp(rng.uniform(np.log(0.02), np.log(50), (n, 3))).astype(np.float32)
    scales = np.exp(rng.uniform(np.log(0.5), np.log(4), (n, 3))).astype(np.float32)
    ratios[:20] = AnchorParameters.default.ratios
    scales[:20] = AnchorParameters.default.scales
    out = np.stack([generate_anchors(float(b), r, s) for b, r, s in zip(base, ratios, scales)])
    goldens.add(
        "cell_anchors", kind="cell_anchors",
        call="generate_anchors(base_size, ratios (float32 array), scales (float32 array))",
        anchorlib="keras_retinanet_base_anchors(base_size, ratios, scales)",
        arrays={"base": base, "ratios": ratios, "scales": scales, "anchors": out}, cases=n,
    )


def coders(goldens: c.Goldens, rng) -> None:
    for name, (a, b, _) in c.coding_inputs(rng).items():
        goldens.add(
            f"encode/{name}", kind="encode_corners", call="bbox_transform(anchors, boxes)",
            anchorlib="encode_corners(anchors, boxes)",
            arrays={"anchors": a, "boxes": b, "out": bbox_transform(a, b)}, cases=len(a),
        )


def ious(goldens: c.Goldens, rng) -> None:
    for name, (a, b) in c.iou_inputs(rng).items():
        goldens.add(
            f"iou/{name}", kind="iou", call="compute_overlap(boxes1, boxes2)",
            anchorlib="box_iou(boxes1, boxes2)",
            arrays={"boxes1": a, "boxes2": b, "out": compute_overlap(a, b)}, cases=len(a) * len(b),
        )


def matching(goldens: c.Goldens, rng) -> None:
    anchors = anchors_for_shape((160, 192, 3))
    problems = c.assignment_problems(rng, anchors, (0.4, 0.5))
    labels, matched = [], []
    for a, g in c.iter_problems(problems):
        a, g = a.astype(np.float64), g.astype(np.float64)
        positive, ignore, argmax = compute_gt_annotations(a, g)
        labels.append(np.where(positive, 1, np.where(ignore, -1, 0)))
        matched.append(np.where(positive, argmax, -1))
    goldens.add(
        "assign/default", kind="assign",
        call="compute_gt_annotations(anchors, gts) (negative_overlap=0.4, positive_overlap=0.5); labels: positive -> 1, ignore -> -1, else 0",
        anchorlib="assign(anchors, gts, rule='keras-retinanet')",
        arrays={**problems, "labels": np.concatenate(labels).astype(np.int8),
                "matched": np.concatenate(matched).astype(np.int32)},
        rule="keras-retinanet", positive_iou=0.5, negative_iou=0.4, allow_low_quality=False,
        cases=len(problems["image_anchor_set"]),
    )


def _tf_python():
    import os

    python = os.environ.get("CONFORMANCE_TF_PYTHON", str(c.REPO / ".venv-conformance-tf" / "bin" / "python"))
    return python if os.path.exists(python) else None


def _run_keras_layers(*args, inputs: dict | None = None) -> dict:
    """Runs ``_keras_layers.py`` in the TensorFlow environment (with ``inputs`` written to an npz
    passed before the output path) and returns the arrays it wrote."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        if inputs is not None:
            paths.append(os.path.join(tmp, "inputs.npz"))
            np.savez_compressed(paths[0], **inputs)
        out = os.path.join(tmp, "out.npz")
        subprocess.run([_tf_python(), str(c.REPO / "tools" / "conformance" / "_keras_layers.py"), *args, *paths, out],
                       check=True, env={**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"})
        with np.load(out) as data:
            return {k: data[k] for k in data.files}


def inference_anchors(goldens: c.Goldens, rng) -> None:
    if _tf_python() is None:
        print("keras_retinanet: the TensorFlow interpreter (CONFORMANCE_TF_PYTHON) is not found: "
              "the Anchors layer goldens are not regenerated")
        return
    arrays = _run_keras_layers()
    goldens.about["tensorflow"] = str(arrays.pop("tensorflow"))
    goldens.about["keras-retinanet in the TensorFlow environment"] = str(arrays.pop("keras_retinanet"))
    goldens.about["keras-resnet"] = str(arrays.pop("keras_resnet"))
    rf = arrays.pop("rf")
    goldens.add(
        "receptive/keras-retinanet-1.0-resnet50", kind="receptive",
        call="gradient support along x of cell (0, j) of C3-C5 of keras_resnet.models.ResNet50 0.2.0 "
             "(positive kernels, frozen BN, union over 4 positive random inputs); see _keras_layers.py",
        anchorlib="trace(BACKBONES['keras-retinanet-1.0-resnet50'].levels[l][:-1], n)[-1]: "
                  "[start0 + j * stride, start0 + j * stride + rf - 1] clipped to the image",
        arrays={"rows": rf}, backbone="keras-retinanet-1.0-resnet50",
        columns=["input size", "level", "cell", "first column", "last column", "cells"], cases=len(rf),
    )
    for h, w in c.IMAGE_SIZES:
        anchors = arrays[f"{h}x{w}"]
        rows = c.sample_rows(len(anchors), rng)
        goldens.add(
            f"anchors/keras-retinanet-inference/{h}x{w}", kind="anchors",
            call=f"layers.Anchors(size, stride, ratios, scales)(zeros of each guess_shapes(({h}, {w})) level), levels concatenated (TensorFlow, tf-keras)",
            anchorlib=f"AnchorConfig.from_preset('keras-retinanet', inference=True).anchors(({h}, {w}))",
            arrays={"rows": rows, "sample": anchors[rows]},
            preset="keras-retinanet", overrides={"inference": True}, image_shape=[h, w], feature_shapes=None,
            counts=None, total=int(len(anchors)), dtype=str(anchors.dtype), sha256=c.digest(anchors), cases=1,
        )


def decoders(goldens: c.Goldens, rng) -> None:
    """``backend.bbox_transform_inv`` (the model's ``RegressBoxes`` decode), run in TensorFlow on
    ``_common.coding_inputs``' anchors and deltas. Anchors without positive width and height
    (``x2 <= x1`` or ``y2 <= y1`` once rounded to float32: a box is no reference for decoding, and
    anchorlib refuses it) are left out; the record says how many."""
    if _tf_python() is None:
        print("keras_retinanet: the TensorFlow interpreter (CONFORMANCE_TF_PYTHON) is not found: "
              "the decode goldens are not regenerated")
        return
    inputs, dropped = {}, {}
    for name, (a, _, d) in c.coding_inputs(rng).items():
        valid = (a[:, 2] > a[:, 0]) & (a[:, 3] > a[:, 1])
        inputs[f"{name}/anchors"], inputs[f"{name}/deltas"] = a[valid], d[valid]
        dropped[name] = int(np.sum(~valid))
    arrays = _run_keras_layers("--decode", inputs=inputs)
    goldens.about["tensorflow"] = str(arrays.pop("tensorflow"))
    for name, count in dropped.items():
        out = arrays[f"{name}/out"]
        if not bool(arrays[f"{name}/layer_same"]):
            c.fail(f"decode/{name}: the RegressBoxes layer in a model differs from bbox_transform_inv called eagerly")
        goldens.add(
            f"decode/{name}", kind="decode_corners",
            call="backend.bbox_transform_inv(anchors[None], deltas[None], mean=np.array([0, 0, 0, 0]), "
                 "std=np.array([0.2, 0.2, 0.2, 0.2])) on float32 tensors, eager (TensorFlow, tf-keras); the "
                 "RegressBoxes layer in a tf_keras.Model run by predict gives the same bits",
            anchorlib="decode_corners(anchors, deltas, inference=True)",
            arrays={"anchors": inputs[f"{name}/anchors"], "deltas": inputs[f"{name}/deltas"], "out": out},
            dtype=str(out.dtype), degenerate_anchors_left_out=count, cases=len(out),
        )


def main() -> None:
    goldens = c.Goldens("keras_retinanet", {
        "version": f"{c.version('keras-retinanet')} (PyPI; the files used are those of fizyr/keras-retinanet@7ac91df)"})
    preset_anchors(goldens, np.random.default_rng(31))
    cell_anchors(goldens, np.random.default_rng(32))
    coders(goldens, np.random.default_rng(33))
    ious(goldens, np.random.default_rng(34))
    matching(goldens, np.random.default_rng(35))
    inference_anchors(goldens, np.random.default_rng(36))
    decoders(goldens, np.random.default_rng(37))
    goldens.write()


if __name__ == "__main__":
    main()
