"""anchorlib against the real YOLOv5, bit for bit.

The expected values are golden vectors written by ``tools/conformance/yolov5.py``, which ran
ultralytics/yolov5 (the commit in ``tests/conformance/yolov5/metadata.json``) with torch on CPU:
``Detect._make_grid``, ``Detect.forward``, ``ComputeLoss.build_targets`` and the AutoAnchor metrics
of ``utils/autoanchor.py``. Each case records the exact call in the metadata. No torch needed here.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import anchorlib
from anchorlib.yolo import _decode_sigmoid

HERE = Path(__file__).resolve().parent / "yolov5"
METADATA = json.loads((HERE / "metadata.json").read_text())
with np.load(HERE / "cases.npz") as _archive:
    ARRAYS = {key: _archive[key] for key in _archive.files}


def _cases(prefix: str) -> list[str]:
    return sorted(name for name in METADATA["cases"] if name.startswith(prefix))


def _case(name: str) -> dict:
    return {key.split("/", 1)[1]: value for key, value in ARRAYS.items() if key.startswith(name + "/")}


def _ulps(a: np.ndarray, b: np.ndarray) -> int:
    """Largest distance in float32 units in the last place (a and b of equal sign)."""
    ia, ib = (np.asarray(x, np.float32).view(np.int32).astype(np.int64) for x in (a, b))
    return int(np.abs(ia - ib).max())


def test_the_goldens_come_from_the_pinned_commit_and_cover_every_function():
    assert METADATA["commit"] == "5081342f04fb287fc2e5f2b5a4e06752b7937b1c"
    functions = {case["function"] for case in METADATA["cases"].values()}
    assert {"Detect._make_grid", "Detect.forward", "ComputeLoss.build_targets"} <= functions
    assert len(_cases("assign_")) >= 8 and len(_cases("decode_")) >= 7 and len(_cases("grid_")) >= 15


@pytest.mark.parametrize("name", _cases("grid_"))
def test_grid_and_anchor_grid_are_bit_exact(name):
    case = _case(name)
    grid, anchor_grid = anchorlib.yolov5_grid(tuple(case["feature_shape"]), float(case["stride"]), case["anchors"])
    assert grid.dtype == anchor_grid.dtype == np.float32
    np.testing.assert_array_equal(grid, case["grid"])
    np.testing.assert_array_equal(anchor_grid, case["anchor_grid"])


@pytest.mark.parametrize("name", _cases("decode_"))
def test_decode_after_the_sigmoid_is_bit_exact(name):
    # Fed torch's own sigmoid values, YOLOv5's arithmetic in float32 gives YOLOv5's boxes exactly.
    case = _case(name)
    rows, cols = case["raw"].shape[1:3]
    grid, anchor_grid = anchorlib.yolov5_grid((rows, cols), float(case["stride"]), case["anchors"])
    boxes = _decode_sigmoid(case["sigmoid"], grid, anchor_grid, np.float32(case["stride"]))
    np.testing.assert_array_equal(boxes, case["boxes"])


@pytest.mark.parametrize("name", _cases("decode_"))
def test_decode_from_raw_outputs_is_within_a_few_ulps(name):
    # torch's float32 sigmoid is not correctly rounded (anchorlib's is): measured at most 2 ulps on the
    # sigmoid and at most 8 ulps on the boxes over these cases (466 of 2,172 values differ).
    case = _case(name)
    boxes = anchorlib.yolov5_decode(case["raw"], float(case["stride"]), case["anchors"])
    assert boxes.dtype == np.float32 and boxes.shape == case["boxes"].shape
    positive = case["boxes"] > 0
    assert _ulps(boxes[positive], case["boxes"][positive]) <= 8
    np.testing.assert_allclose(boxes, case["boxes"], rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", _cases("assign_"))
def test_assignment_is_bit_exact_and_in_yolov5s_order(name):
    case = _case(name)
    targets = anchorlib.yolov5_assign(
        case["boxes"], tuple(case["image_shape"]), case["anchors"], tuple(case["strides"]), float(case["anchor_t"])
    )
    for level in range(len(case["strides"])):
        mine = targets.level == level
        key = f"P{level + 3}_"
        assert np.count_nonzero(mine) == len(case[key + "anchor"]), f"{name} P{level + 3}: number of positives"
        np.testing.assert_array_equal(targets.anchor[mine], case[key + "anchor"])
        np.testing.assert_array_equal(targets.row[mine], case[key + "row"])
        np.testing.assert_array_equal(targets.col[mine], case[key + "col"])
        np.testing.assert_array_equal(targets.xy[mine], case[key + "tbox"][:, :2])
        np.testing.assert_array_equal(targets.wh[mine], case[key + "tbox"][:, 2:])
        np.testing.assert_array_equal(targets.anchor_wh[mine], case[key + "anchor_wh"])
        assert targets.xy.dtype == targets.wh.dtype == np.float32


def test_the_edge_cases_exercise_what_they_are_meant_to():
    # Guards that the goldens contain the situations named in the case names (so the exactness tests
    # above are not passing on easy inputs only).
    borders = _case("assign_p5_640x640_borders")
    own_cell_twice = 0
    for level in range(3):
        key = f"P{level + 3}_"
        cells = np.stack([borders[key + "anchor"], borders[key + "row"], borders[key + "col"]], axis=1)
        own_cell_twice += len(cells) - len(np.unique(cells, axis=0))
    assert own_cell_twice > 0  # a centre exactly on a border gets its own cell twice
    threshold = _case("assign_p5_640x640_threshold")
    targets = anchorlib.yolov5_assign(threshold["boxes"], (640, 640))
    assert len(targets) < 3 * 3 * 3 * len(threshold["boxes"])  # some exact-ratio boxes are rejected


def _autoanchor_params():
    for name in _cases("autoanchor_"):
        marks = ()
        if name == "autoanchor_threshold_thr3":
            # YOLOv5 compares float32 ratios x with 1/3 rounded to float32; anchor_fit (owned by
            # anchorlib.design) computes in float64, so boxes exactly 3 times or a third of an anchor
            # side land on the other side of the threshold: 1 of 72 boxes for bpr, 6 of 648 pairs for aat.
            marks = pytest.mark.xfail(strict=True, reason="anchor_fit is float64; YOLOv5 float32 at 1/3")
        yield pytest.param(name, marks=marks)


@pytest.mark.parametrize("name", list(_autoanchor_params()))
def test_anchor_fit_matches_yolov5_autoanchor(name):
    case = _case(name)
    fit = anchorlib.anchor_fit(case["wh"], case["anchors"], float(case["thr"]))
    # YOLOv5 averages in float32: the means agree to float32 rounding, not bit for bit.
    for key in ("bpr", "aat", "fitness"):
        assert fit[key] == pytest.approx(float(case[key]), rel=1e-6), key
