"""Golden vectors from the real YOLOv5: grid, decode, target assignment and AutoAnchor metrics.

Run by ``make conformance`` (as ``python -m tools.conformance.yolov5`` from the repository root,
with the conformance environment's Python: torch on CPU), or by hand::

    SOURCES=/path/to/sources python -m tools.conformance.yolov5

It runs ultralytics/yolov5 at the pinned commit ``YOLOV5_COMMIT`` and writes
``tests/conformance/yolov5/goldens.npz`` (the arrays, keyed ``<group>/<name>``) and
``tests/conformance/yolov5/meta.json`` (commit, versions, shims, and for every group of cases the
exact call that produced it and the anchorlib call it is compared with), in the layout of the other
libraries' goldens. ``tests/conformance/test_yolov5.py`` compares ``anchorlib`` with them (through
``tests/conformance/yolov5_replay.py``); it needs neither torch nor YOLOv5.

The YOLOv5 source is ``$SOURCES/yolov5``, a git repository (a clone or a bare git directory) holding
the commit pinned in ``_common.PINNED_SOURCES``; ``_common.source_tree`` extracts that commit's tree
into ``$CONFORMANCE_BUILD/src/yolov5`` (``tools/conformance/README.md``). Nothing from it is copied
into this repository.

What runs, unmodified, from the YOLOv5 source:

* ``models/yolo.py`` ``Detect.__init__``, ``Detect._make_grid`` and ``Detect.forward`` (eval mode);
* ``utils/loss.py`` ``ComputeLoss.build_targets``;
* ``utils/autoanchor.py``: the nested ``metric`` of ``check_anchors`` and ``metric`` /
  ``anchor_fitness`` of ``kmean_anchors``, rebuilt as functions from their own code objects with
  their closure variables (``wh``, ``thr``) bound to the case's values.

Shims (only around imports and object construction, never inside the numeric code):

1. ``pandas``, ``requests``, ``psutil``, ``seaborn``, ``thop`` and ``ultralytics`` (with its
   sub-modules) are replaced by stub modules: YOLOv5's ``utils/general.py`` and ``models/common.py``
   import them at module level (``utils/general.py`` even runs ``pip install -U ultralytics`` when
   the import fails), but none of the functions above calls them. In the stubs,
   ``ultralytics.__version__`` is a string, ``ultralytics.utils.LOGGER`` a ``logging.Logger`` and
   ``ultralytics.utils.TryExcept`` an identity decorator (so that ``check_anchors`` stays a
   function whose nested code can be read); every other attribute is an inert placeholder.
2. ``Detect.m`` (the 1 x 1 output convolutions) is replaced by ``nn.Identity`` modules, so the raw
   outputs fed to ``Detect.forward`` are the case's random numbers; ``Detect.stride`` is set and
   ``Detect.anchors`` divided by it exactly as ``DetectionModel.__init__`` does.
3. ``ComputeLoss`` is created with ``object.__new__`` and given the attributes ``build_targets``
   reads (``na``, ``nl``, ``anchors``, ``hyp``, ``device``), instead of running ``__init__``,
   which needs a whole model with its hyper-parameters.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import logging
import platform
import re
import sys
import types

import numpy as np

from tools.conformance import _common as c

REPOSITORY, YOLOV5_COMMIT = c.PINNED_SOURCES["yolov5"]
OUT = c.GOLDENS / "yolov5"

STUBBED = ("pandas", "requests", "psutil", "seaborn", "thop", "ultralytics")

# models/yolov5s.yaml (P3-P5, strides 8-32) and models/hub/yolov5s6.yaml (P3-P6, strides 8-64)
ANCHORS_P5 = [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]]
ANCHORS_P6 = [[19, 27, 44, 40, 38, 94], [96, 68, 86, 152, 180, 137], [140, 301, 303, 264, 238, 542],
              [436, 615, 739, 380, 925, 792]]


# ----------------------------------------------------------------------------------------- shims
class _Placeholder(types.ModuleType):
    """An inert stand-in: every attribute is another placeholder, calling one returns one."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Placeholder(f"{self.__name__}.{name}")

    def __call__(self, *args, **kwargs):
        return _Placeholder(f"{self.__name__}()")


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Placeholder(spec.name)
        if spec.name == "ultralytics":
            module.__version__ = "0+stub"
        if spec.name == "ultralytics.utils":
            module.LOGGER = logging.getLogger("yolov5-stub")
            module.TryExcept = lambda *args, **kwargs: (lambda function: function)
        return module

    def exec_module(self, module):
        module.__path__ = []


def _import_yolov5(source):
    sys.meta_path.insert(0, _StubFinder())
    sys.path.insert(0, str(source))
    import torch
    from models.yolo import Detect
    from utils import autoanchor
    from utils.loss import ComputeLoss

    torch.set_num_threads(1)
    return torch, Detect, ComputeLoss, autoanchor


def _nested(function, name: str, closure: dict, namespace: dict):
    """The function ``name`` defined inside ``function``, rebuilt from its code with ``closure`` bound."""
    code = next(c for c in function.__code__.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    cells = tuple(types.CellType(closure[var]) for var in code.co_freevars)
    return types.FunctionType(code, function.__globals__ | namespace, name, None, cells)


# ----------------------------------------------------------------------------------------- cases
class Goldens:
    """Arrays under ``<group>/<name>`` and one JSON record per group (the other generators' layout)."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.groups: list[dict] = []

    def add(self, group: str, *, kind: str, call: str, anchorlib: str, arrays: dict, **record):
        assert all(g["group"] != group for g in self.groups), group
        for name, value in arrays.items():
            array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
            self.arrays[f"{group}/{name}"] = array
        self.groups.append({"group": group, "kind": kind, "call": call, "anchorlib": anchorlib,
                            "arrays": sorted(arrays), **record})


def _detect(torch, Detect, anchors, strides):
    detect = Detect(nc=1, anchors=anchors, ch=tuple(1 for _ in anchors))
    detect.m = torch.nn.ModuleList(torch.nn.Identity() for _ in anchors)  # shim 2: raw outputs in
    detect.stride = torch.tensor([float(s) for s in strides])
    detect.anchors /= detect.stride.view(-1, 1, 1)  # as DetectionModel.__init__
    return detect.eval()


def grid_cases(goldens, torch, Detect):
    detect = _detect(torch, Detect, ANCHORS_P5, (8, 16, 32))
    for rows, cols in ((1, 1), (2, 3), (6, 4), (13, 7), (30, 40)):
        for level in range(3):
            grid, anchor_grid = detect._make_grid(cols, rows, level)
            goldens.add(
                f"grid/{rows}x{cols}/P{level + 3}", kind="yolov5_grid",
                call=f"Detect(nc=1, anchors=yolov5s.yaml)._make_grid(nx={cols}, ny={rows}, i={level}), "
                "strides (8, 16, 32), anchors divided by the stride as DetectionModel.__init__ does",
                anchorlib=f"yolov5_grid(({rows}, {cols}), {2 ** (level + 3)}, YOLOV5_ANCHORS[{level}])",
                feature_shape=[rows, cols], stride=2 ** (level + 3),
                arrays={"anchors": np.array(ANCHORS_P5[level], dtype=np.float32).reshape(-1, 2),
                        "grid": grid[0], "anchor_grid": anchor_grid[0]},
            )


def decode_cases(goldens, torch, Detect, rng):
    configs = {
        "p5_8x12": (ANCHORS_P5, (8, 16, 32), ((8, 12), (4, 6), (2, 3))),
        "p5_5x3": (ANCHORS_P5, (8, 16, 32), ((5, 3), (3, 2), (1, 1))),
        "p6_6x4": (ANCHORS_P6, (8, 16, 32, 64), ((6, 4), (3, 2), (2, 1), (1, 1))),
    }
    for name, (anchors, strides, shapes) in configs.items():
        detect = _detect(torch, Detect, anchors, strides)
        na, no = detect.na, detect.no
        inputs = []
        for rows, cols in shapes:
            raw = rng.normal(0, 3, size=(1, na * no, rows, cols)).astype(np.float32)
            flat = raw.reshape(-1)
            extremes = np.array([0, -0.0, 20, -20, 88, -88, 1e-7, -1e-7, 0.5, -0.5, 1e-30], dtype=np.float32)
            flat[: min(len(flat), len(extremes))] = extremes[: len(flat)]
            inputs.append(torch.from_numpy(raw))
        with torch.no_grad():
            decoded, _ = detect([x.clone() for x in inputs])
        start = 0
        for level, ((rows, cols), x) in enumerate(zip(shapes, inputs)):
            count = na * rows * cols
            boxes = decoded[0, start:start + count].reshape(na, rows, cols, no)[..., :4]
            start += count
            permuted = x.view(1, na, no, rows, cols).permute(0, 1, 3, 4, 2).contiguous()
            call = (f"Detect(nc=1, anchors={'yolov5s.yaml' if name.startswith('p5') else 'yolov5s6.yaml'})"
                    f".eval()(x) with Detect.m = Identity and strides {strides}: level {level} of the output, "
                    "(cx, cy, w, h) of each anchor and cell")
            level_anchors = np.array(anchors[level], dtype=np.float32).reshape(-1, 2)
            goldens.add(
                f"decode/{name}/P{level + 3}", kind="yolov5_decode", call=call,
                anchorlib=f"yolov5_decode(raw, {strides[level]}, anchors)", stride=strides[level],
                arrays={"anchors": level_anchors, "raw": permuted[0, ..., :4], "boxes": boxes},
            )
            goldens.add(
                f"decode_after_sigmoid/{name}/P{level + 3}", kind="yolov5_decode_sigmoid",
                call=call + "; the input is torch's sigmoid of the raw outputs, as forward computes it",
                anchorlib="anchorlib.yolo._decode_sigmoid(sigmoid, *yolov5_grid(...), stride)", stride=strides[level],
                arrays={"anchors": level_anchors, "sigmoid": permuted.sigmoid()[0, ..., :4], "boxes": boxes},
            )


def _border_boxes(image_hw):
    """Normalized boxes whose centres sit on P3/P4/P5 cell borders and centres, or on the image edge."""
    height, width = image_hw
    rows = []
    for px in (0, 8, 16, 32, 4, 12, 24, 40, 64, width - 8, width - 4, width):
        rows.append([px / width, (height / 2 + 4) / height, 40 / width, 40 / height])
    for py in (0, 8, 20, 32, height - 16, height):
        rows.append([(width / 2 + 12) / width, py / height, 24 / width, 60 / height])
    rows.append([0.5, 0.5, 0.25, 0.25])  # exact in binary: centre on a P3/P4/P5 border
    rows.append([0.0, 0.0, 0.1, 0.1])
    rows.append([1.0, 1.0, 0.1, 0.1])
    return np.array(rows)


def _threshold_boxes(image_hw, anchors, strides, anchor_t):
    """Boxes at exactly anchor_t (and 1 / anchor_t) times an anchor side, and one float32 step either side."""
    height, width = image_hw
    rows = []
    for level_anchors in anchors:
        for w, h in np.array(level_anchors, dtype=np.float64).reshape(-1, 2):
            for factor in (anchor_t, 1 / anchor_t):
                exact = np.float32(w * factor / width)
                for value in (exact, np.nextafter(exact, np.float32(1)), np.nextafter(exact, np.float32(0))):
                    if 0 < value <= 1:
                        rows.append([0.37, 0.41, float(value), h / height])
                exact_h = np.float32(h * factor / height)
                if 0 < exact_h <= 1:
                    rows.append([0.61, 0.29, w / width, float(exact_h)])
    return np.array(rows)


def _random_boxes(rng, count, image_hw):
    height, width = image_hw
    side = np.exp(rng.uniform(np.log(2), np.log(min(height, width)), size=count))
    aspect = np.exp(rng.normal(0, 0.7, size=count))
    w = np.clip(side / np.sqrt(aspect), 1, width)
    h = np.clip(side * np.sqrt(aspect), 1, height)
    cx, cy = rng.uniform(0, width, size=count), rng.uniform(0, height, size=count)
    return np.stack([cx / width, cy / height, w / width, h / height], axis=1)


def assign_cases(goldens, torch, Detect, ComputeLoss, rng):
    configs = {
        "p5_640x640_random": ("P5", (640, 640), 4.0, _random_boxes(rng, 40, (640, 640))),
        "p5_320x512_random": ("P5", (320, 512), 4.0, _random_boxes(rng, 40, (320, 512))),
        "p5_640x640_borders": ("P5", (640, 640), 4.0, _border_boxes((640, 640))),
        "p5_384x256_borders": ("P5", (384, 256), 4.0, _border_boxes((384, 256))),
        "p5_640x640_threshold": ("P5", (640, 640), 4.0, _threshold_boxes((640, 640), ANCHORS_P5, (8, 16, 32), 4.0)),
        "p5_640x480_anchor_t_2.91": ("P5", (640, 480), 2.91, _random_boxes(rng, 40, (640, 480))),
        "p5_640x480_threshold_2.91": ("P5", (640, 480), 2.91,
                                      _threshold_boxes((640, 480), ANCHORS_P5, (8, 16, 32), 2.91)),
        "p5_640x640_empty": ("P5", (640, 640), 4.0, np.zeros((0, 4))),
        "p6_256x384_random": ("P6", (256, 384), 4.0, _random_boxes(rng, 30, (256, 384))),
    }
    for name, (model, (height, width), anchor_t, boxes) in configs.items():
        anchors, strides = (ANCHORS_P5, (8, 16, 32)) if model == "P5" else (ANCHORS_P6, (8, 16, 32, 64))
        detect = _detect(torch, Detect, anchors, strides)
        loss = object.__new__(ComputeLoss)  # shim 3
        loss.na, loss.nl, loss.anchors = detect.na, detect.nl, detect.anchors
        loss.hyp, loss.device = {"anchor_t": anchor_t}, torch.device("cpu")
        p = [torch.zeros(1, detect.na, height // s, width // s, detect.no) for s in strides]
        boxes32 = boxes.astype(np.float32)
        targets = torch.cat([torch.zeros(len(boxes32), 2), torch.from_numpy(boxes32)], 1)  # image 0, class 0
        with torch.no_grad():
            tcls, tbox, indices, anch = loss.build_targets(p, targets)
        arrays = {"boxes": boxes32, "anchors": np.array(anchors, dtype=np.float32).reshape(len(anchors), -1, 2)}
        for level in range(len(strides)):
            b, a, gj, gi = indices[level]
            arrays[f"P{level + 3}_anchor"], arrays[f"P{level + 3}_row"], arrays[f"P{level + 3}_col"] = a, gj, gi
            arrays[f"P{level + 3}_image"], arrays[f"P{level + 3}_tbox"] = b, tbox[level]
            arrays[f"P{level + 3}_anchor_wh"] = anch[level]
        goldens.add(
            f"assign/{name}", kind="yolov5_assign",
            call=f"ComputeLoss.build_targets(p, targets) with hyp anchor_t={anchor_t}, Detect anchors of "
            f"{'yolov5s.yaml' if model == 'P5' else 'yolov5s6.yaml'} (strides {strides}), p of shapes "
            f"(1, na, {height}/s, {width}/s, no), targets = [0, 0, *boxes] in float32; per level: anchor "
            "index, cell row and column (clamped), image index, tbox, anchors",
            anchorlib=f"yolov5_assign(boxes, ({height}, {width}), anchors, {strides}, anchor_t={anchor_t})",
            image_shape=[height, width], strides=list(strides), anchor_t=anchor_t, arrays=arrays,
        )


def autoanchor_cases(goldens, torch, autoanchor, rng):
    anchors = torch.tensor(ANCHORS_P5, dtype=torch.float32).view(-1, 2)
    random = np.exp(rng.uniform(np.log(2), np.log(640), size=(300, 2)))
    edge = []  # boxes exactly 4, 1/4 and 3 times an anchor side, alone on that side
    for w, h in np.array(ANCHORS_P5, dtype=np.float64).reshape(-1, 2):
        for factor in (4.0, 0.25, 3.0, 1 / 3):
            edge.append([w * factor, h])
            edge.append([w, h * factor])
    wh_sets = {"random": random, "threshold": np.array(edge)}
    for set_name, values in wh_sets.items():
        wh = torch.tensor(values, dtype=torch.float32)
        for thr in (4.0, 3.0):
            metric = _nested(autoanchor.check_anchors, "metric", {"wh": wh, "thr": thr}, {})
            bpr, aat = metric(anchors)
            kmetric = _nested(autoanchor.kmean_anchors, "metric", {}, {})
            fitness_fn = _nested(autoanchor.kmean_anchors, "anchor_fitness",
                                 {"metric": kmetric, "thr": 1 / thr, "wh": wh}, {})
            fitness = fitness_fn(anchors.numpy())
            goldens.add(
                f"autoanchor/{set_name}/thr{thr:g}", kind="yolov5_autoanchor",
                call=f"utils/autoanchor.py: check_anchors's metric(k) (bpr, aat) with wh and thr={thr} bound; "
                f"kmean_anchors's anchor_fitness(k) with thr=1/{thr}; k = yolov5s.yaml anchors, float32",
                anchorlib=f"anchor_fit(wh, anchors, {thr})", threshold=thr,
                arrays={"wh": wh, "anchors": anchors, "bpr": bpr, "aat": aat, "fitness": fitness},
            )


def main() -> None:
    source, commit = c.source_tree("yolov5"), YOLOV5_COMMIT
    torch, Detect, ComputeLoss, autoanchor = _import_yolov5(source)
    rng = np.random.default_rng(20260805)
    goldens = Goldens()
    grid_cases(goldens, torch, Detect)
    decode_cases(goldens, torch, Detect, rng)
    assign_cases(goldens, torch, Detect, ComputeLoss, rng)
    autoanchor_cases(goldens, torch, autoanchor, rng)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "goldens.npz", **goldens.arrays)
    meta = {
        "library": "yolov5",
        "version": f"ultralytics/yolov5@{commit}",
        "repository": f"https://github.com/{REPOSITORY}",
        "commit": commit,
        "torch": torch.__version__,
        "device": "cpu, torch.set_num_threads(1)",
        "generator": "tools/conformance/yolov5.py",
        "numpy": np.__version__,
        "python": platform.python_version(),
        "shims": [" ".join(item.split()) for item in re.split(r"\n(?=\d\. )", __doc__.split("Shims")[1])[1:]],
        "groups": goldens.groups,
    }
    (OUT / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    size = (OUT / "goldens.npz").stat().st_size
    print(f"yolov5: {len(goldens.groups)} groups, {size / 1e6:.2f} MB -> {OUT}")

if __name__ == "__main__":
    main()
