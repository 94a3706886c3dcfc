"""Helper of ``keras_retinanet.py`` (not a generator): runs keras-retinanet's Keras ``Anchors``
layers, the float32 anchors a trained model computes at inference, in the TensorFlow environment.

Usage: ``python tools/conformance/_keras_layers.py OUT.npz``; writes one array per image size
of ``_common.IMAGE_SIZES`` (all levels concatenated, as ``models/retinanet.py``
``__build_anchors`` does), and the measured receptive fields of keras-retinanet 1.0.0's backbone.

``python tools/conformance/_keras_layers.py --decode IN.npz OUT.npz``: for every ``<name>/anchors``
and ``<name>/deltas`` of ``IN.npz`` (float32-representable, shape (N, 4)), writes ``<name>/out``:
``keras_retinanet.backend.bbox_transform_inv`` on float32 tensors of shape (1, N, 4), called
eagerly with the arguments the ``RegressBoxes`` layer passes by default (``mean=np.array([0, 0, 0,
0])``, ``std=np.array([0.2, 0.2, 0.2, 0.2])``), as float32; and ``<name>/layer_same``: whether the
``RegressBoxes`` layer itself, inside a ``tf_keras.Model`` run by ``predict`` (graph mode, as a
trained model decodes), gives the same bits. No shim: ``keras_retinanet.backend`` and ``layers``
import as they are.

Receptive fields: keras-resnet 0.2.0's ``ResNet50`` (the version keras-retinanet 1.0.0 pins;
installed from PyPI with ``--no-deps``) on a one-channel ``n x n`` input, outputs C3-C5
(``resnet.outputs[1:]``, as ``keras_retinanet/models/resnet.py`` takes them). For the first and the
last cell of row 0, the columns of the input gradient that are non-zero are its field along x. To
make every path carry gradient, the kernels are made positive (``|w| + 0.001``), the batch norms are
frozen at their initial identity, and the inputs are positive; max pooling passes gradient to one
element of each window, so the field is the union over four random inputs. Shim (import only):
``keras`` is ``tf_keras`` (keras-resnet 0.2.0 imports standalone Keras 2). Needs tensorflow-cpu 2.21 and tf-keras 2.21 with
``TF_USE_LEGACY_KERAS=1`` (keras-retinanet 1.0.0, installed from PyPI with ``--no-deps``, is Keras 2
code). Feature-map sizes are
``guess_shapes`` of the image, the training generator's rule, so the two computations see the same
grids. No shim: the layer and keras-retinanet's ``utils.anchors`` import as they are.
"""

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Run as a script, this file's folder comes first on sys.path, where keras_retinanet.py (the
# generator) would shadow the keras_retinanet package: take the folder off, put the repository on.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, os.path.dirname(os.path.dirname(_HERE)))

import numpy as np  # noqa: E402


def main(out: str) -> None:
    import tensorflow as tf
    from keras_retinanet import layers
    from keras_retinanet.utils.anchors import AnchorParameters, guess_shapes

    from tools.conformance._common import IMAGE_SIZES

    params = AnchorParameters.default
    result = {"tensorflow": np.array(tf.__version__)}
    from importlib.metadata import version

    result["keras_retinanet"] = np.array(version("keras-retinanet"))
    for h, w in IMAGE_SIZES:
        shapes = guess_shapes((h, w), [3, 4, 5, 6, 7])
        levels = []
        for i, shape in enumerate(shapes):
            layer = layers.Anchors(size=params.sizes[i], stride=params.strides[i],
                                   ratios=params.ratios, scales=params.scales)
            levels.append(layer(tf.zeros((1, int(shape[0]), int(shape[1]), 1))).numpy()[0])
        result[f"{h}x{w}"] = np.concatenate(levels)
    result.update(receptive_fields())
    np.savez_compressed(out, **result)


RF_SIZES = (32, 33, 64, 65, 100, 199, 256, 257, 333, 400)


def receptive_fields() -> dict:
    import tensorflow as tf
    import tf_keras

    sys.modules["keras"] = tf_keras  # shim: keras-resnet 0.2.0 imports standalone Keras 2
    from importlib.metadata import version

    import keras_resnet.models

    rows = []
    rng = np.random.default_rng(0)
    for n in RF_SIZES:
        inputs = tf_keras.layers.Input((n, n, 1))
        resnet = keras_resnet.models.ResNet50(inputs, include_top=False, freeze_bn=True)
        for weight in resnet.weights:
            if "kernel" in weight.name:
                weight.assign(tf.abs(weight) + 1e-3)
        features = tf_keras.Model(inputs, resnet.outputs[1:])
        xs = [tf.constant(rng.uniform(0.1, 1, (1, n, n, 1)).astype(np.float32)) for _ in range(4)]
        for level in range(3):
            size = None
            for cell in ("first", "last"):
                lo, hi = n, -1
                for x in xs:
                    with tf.GradientTape() as tape:
                        tape.watch(x)
                        y = features(x)[level]
                        size = int(y.shape[2])
                        j = 0 if cell == "first" else size - 1
                        total = tf.reduce_sum(y[0, 0, j, :])
                    g = tape.gradient(total, x).numpy()[0, :, :, 0]
                    cols = np.flatnonzero(np.abs(g).sum(axis=0) > 0)
                    lo, hi = min(lo, int(cols.min())), max(hi, int(cols.max()))
                rows.append((n, level + 3, 0 if cell == "first" else size - 1, lo, hi, size))
    return {"rf": np.array(rows, dtype=np.int64), "keras_resnet": np.array(version("keras-resnet"))}


def decode(source: str, out: str) -> None:
    import tensorflow as tf
    import tf_keras
    from keras_retinanet import backend, layers

    with np.load(source) as data:
        inputs = {k: data[k] for k in data.files}
    result = {"tensorflow": np.array(tf.__version__)}
    for key in sorted(inputs):
        if not key.endswith("/anchors"):
            continue
        name = key[: -len("/anchors")]
        anchors = inputs[key].astype(np.float32)
        deltas = inputs[f"{name}/deltas"].astype(np.float32)
        assert np.array_equal(anchors, inputs[key]) and np.array_equal(deltas, inputs[f"{name}/deltas"])
        boxes = backend.bbox_transform_inv(
            tf.constant(anchors[None]), tf.constant(deltas[None]),
            mean=np.array([0, 0, 0, 0]), std=np.array([0.2, 0.2, 0.2, 0.2]))
        boxes = boxes.numpy()[0]
        assert boxes.dtype == np.float32
        a_in = tf_keras.layers.Input((None, 4))
        d_in = tf_keras.layers.Input((None, 4))
        model = tf_keras.Model([a_in, d_in], layers.RegressBoxes()([a_in, d_in]))
        layer = model.predict([anchors[None], deltas[None]], verbose=0)[0]
        result[f"{name}/out"] = boxes
        result[f"{name}/layer_same"] = np.array(layer.dtype == np.float32 and np.array_equal(
            layer.view(np.int32), boxes.view(np.int32)))
    np.savez_compressed(out, **result)


if __name__ == "__main__":
    if sys.argv[1] == "--decode":
        decode(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1])
