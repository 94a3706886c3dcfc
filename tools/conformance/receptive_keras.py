"""Goldens of the receptive fields of keras-retinanet 1.0.0's real pyramid on keras-resnet 0.2.0's
ResNet-50, measured by gradient support: lateral ``C3``-``C5`` fields and full ``P3``-``P7`` fields.

Run as ``python -m tools.conformance.receptive_keras`` from the repository root in the conformance
environment (``make conformance``); it runs the networks in the TensorFlow environment
(``CONFORMANCE_TF_PYTHON``, default ``.venv-conformance-tf/bin/python``, from
``requirements-tf.txt``, with keras-retinanet 1.0.0 and keras-resnet 0.2.0 installed ``--no-deps``)
by calling itself there with ``--measure OUT.npz``, and writes ``tests/conformance/receptive_keras/``.
Without that interpreter it stops with a message and writes nothing.

The network: ``keras_resnet.models.ResNet50(inputs, include_top=False, freeze_bn=True)``, C3-C5 =
``resnet.outputs[1:]`` (as ``keras_retinanet/models/resnet.py`` takes them), and the pyramid of
``keras_retinanet.models.retinanet.__create_pyramid_features({"C3": C3, "C4": C4, "C5": C5},
[3, 4, 5, 6, 7])`` (1x1 lateral convs, ``UpsampleLike`` + ``Add`` top-down path, 3x3 output convs,
P6 on C5, P7 on ``ReLU(P6)``), random weights. As in ``_keras_layers.py`` and ``receptive_torch.py``:
every kernel is made positive (``|w| + 0.001``, divided by its sum over each output channel), biases
``|b|``, batch norm frozen at its identity, float64 throughout with seeded weights (so that a re-run
measures the same fields), inputs positive and the field of a cell is the union of the non-zero
gradient columns over four random inputs (max pooling passes gradient to one element per window, so
one input can miss an edge column: with two inputs, a re-run missed column 0 of 2 of the 649 cells).
Inputs are ``32 x n x 1``; batch element ``b`` carries one cell's target.

Shim (import only): ``keras`` is ``tf_keras`` (keras-resnet 0.2.0 imports standalone Keras 2); run
with ``TF_USE_LEGACY_KERAS=1`` so that keras-retinanet's ``from tensorflow import keras`` is tf_keras too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np

from tools.conformance import _common as c

HEIGHT = 32
SAMPLES = 4
SIZES = (33, 64, 65, 100, 127, 199, 256, 257, 333, 400)
CALL = ("keras_retinanet.models.retinanet.__create_pyramid_features({'C3', 'C4', 'C5' of "
        "keras_resnet.models.ResNet50(Input((32, n, 1)), include_top=False, freeze_bn=True).outputs[1:]}, "
        "[3, 4, 5, 6, 7])")


def measure(out: str) -> None:
    """In the TensorFlow environment: every size, every level, C and P maps; writes ``out``."""
    import tensorflow as tf
    import tf_keras

    sys.modules["keras"] = tf_keras  # shim: keras-resnet 0.2.0 imports standalone Keras 2
    from importlib import import_module
    from importlib.metadata import version

    import keras_resnet.models

    create_pyramid = getattr(import_module("keras_retinanet.models.retinanet"), "__create_pyramid_features")
    # float64 (as receptive_torch.py) and seeded weights: a re-run measures the same fields.
    tf_keras.backend.set_floatx("float64")
    tf_keras.utils.set_random_seed(51)
    rng = np.random.default_rng(51)
    rows = []
    for n in SIZES:
        inputs = tf_keras.layers.Input((HEIGHT, n, 1))
        resnet = keras_resnet.models.ResNet50(inputs, include_top=False, freeze_bn=True)
        c_maps = list(resnet.outputs[1:])
        pyramid = create_pyramid(dict(zip(("C3", "C4", "C5"), c_maps)), [3, 4, 5, 6, 7])
        p_maps = [pyramid[f"P{level}"] for level in range(3, 8)]
        model = tf_keras.Model(inputs, c_maps + p_maps)
        for weight in model.weights:
            if "kernel" in weight.name:
                w = tf.abs(weight) + 1e-3
                weight.assign(w / tf.reduce_sum(w, axis=(0, 1, 2), keepdims=True))
            elif "bias" in weight.name:
                weight.assign(tf.abs(weight))
        shapes = [int(m.shape[2]) for m in model(tf.ones((1, HEIGHT, n, 1), tf.float64))]
        # shapes: widths of C3, C4, C5, P3, ..., P7; maps[level - 3] is C_level, maps[level] is P_level
        targets = [(kind, 3 + i, j, shapes[offset + i])
                   for kind, offset, count in ((0, 0, 3), (1, 3, 5)) for i in range(count)
                   for j in c.receptive_cells(shapes[offset + i])]
        lo, hi = np.full(len(targets), n), np.full(len(targets), -1)
        for _ in range(SAMPLES):
            for begin in range(0, len(targets), 16):
                chunk = targets[begin:begin + 16]
                x = tf.constant(rng.uniform(0.1, 1, (len(chunk), HEIGHT, n, 1)))  # float64
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    maps = model(x)
                    total = 0.0
                    for b, (kind, level, j, _) in enumerate(chunk):
                        m = maps[level - 3 if kind == 0 else level]
                        total += tf.reduce_sum(m[b, m.shape[1] // 2, j, :])
                support = np.abs(tape.gradient(total, x).numpy()).sum(axis=(1, 3)) > 0
                for b in range(len(chunk)):
                    columns = np.flatnonzero(support[b])
                    lo[begin + b] = min(lo[begin + b], columns.min())
                    hi[begin + b] = max(hi[begin + b], columns.max())
        rows += [(n, kind, level, j, int(lo[i]), int(hi[i]), size) for i, (kind, level, j, size) in enumerate(targets)]
        print(f"receptive_keras: n={n} done", flush=True)
    np.savez_compressed(out, rows=np.array(rows, dtype=np.int64), tensorflow=np.array(tf.__version__),
                        keras_resnet=np.array(version("keras-resnet")),
                        keras_retinanet=np.array(version("keras-retinanet")))


def main() -> None:
    python = os.environ.get("CONFORMANCE_TF_PYTHON", str(c.REPO / ".venv-conformance-tf" / "bin" / "python"))
    if not os.path.exists(python):
        c.fail(f"{python} not found: the Keras receptive-field goldens need the TensorFlow environment")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rf.npz")
        subprocess.run([python, "-m", "tools.conformance.receptive_keras", "--measure", out], check=True,
                       cwd=c.REPO, env={**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"})
        with np.load(out) as data:
            arrays = {k: data[k] for k in data.files}
    goldens = c.Goldens("receptive_keras", {
        "version": f"keras-retinanet {arrays['keras_retinanet']} (PyPI; its models/retinanet.py and layers/ are "
                   f"those of fizyr/keras-retinanet@7ac91df), keras-resnet {arrays['keras_resnet']}",
        "tensorflow": str(arrays["tensorflow"]), "keras-resnet": str(arrays["keras_resnet"]),
    })
    c.add_receptive_groups(goldens, "keras-retinanet-1.0-resnet50", arrays["rows"], ("C_l", "P_l"), CALL,
                           f"float64, union over {SAMPLES} positive random inputs",
                           "tools/conformance/receptive_keras.py")
    goldens.write()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2])
    else:
        main()
