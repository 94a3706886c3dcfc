"""Helper of ``keras_retinanet.py`` (not a generator): runs keras-retinanet's Keras ``Anchors``
layers, the float32 anchors a trained model computes at inference, in the TensorFlow environment.

Usage: ``python tools/conformance/_keras_layers.py OUT.npz``; writes one array per image size
of ``_common.IMAGE_SIZES`` (all levels concatenated, as ``models/retinanet.py``
``__build_anchors`` does). Needs tensorflow-cpu 2.21 and tf-keras 2.21 with
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
    np.savez_compressed(out, **result)


if __name__ == "__main__":
    main(sys.argv[1])
