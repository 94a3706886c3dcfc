"""anchorlib against the real YOLOv5, bit for bit.

The expected values are golden vectors written by ``tools/conformance/yolov5.py``, which ran
ultralytics/yolov5 (the commit in ``tests/conformance/yolov5/meta.json``) with torch on CPU:
``Detect._make_grid``, ``Detect.forward``, ``ComputeLoss.build_targets`` and the AutoAnchor metrics
of ``utils/autoanchor.py``. Each group records the exact call. No torch needed here.
"""

import numpy as np
import pytest
import yolov5_replay as replay

import anchorlib

META, ARRAYS = replay.load()
RECORDS = {record["group"]: record for record in META["groups"]}


def _groups(kind: str) -> list[str]:
    return [group for group, record in RECORDS.items() if record["kind"] == kind]


def _case(group: str) -> tuple[dict, dict]:
    record = RECORDS[group]
    return record, replay.group_arrays(record, ARRAYS)


def _ulps(a: np.ndarray, b: np.ndarray) -> int:
    """Largest distance in float32 units in the last place (a and b of equal sign)."""
    ia, ib = (np.asarray(x, np.float32).view(np.int32).astype(np.int64) for x in (a, b))
    return int(np.abs(ia - ib).max())


def test_the_goldens_come_from_the_pinned_commit_and_cover_every_function():
    assert META["library"] == "yolov5" and META["commit"] == "5081342f04fb287fc2e5f2b5a4e06752b7937b1c"
    assert set(replay.HANDLERS) == {record["kind"] for record in META["groups"]}
    assert len(_groups("yolov5_assign")) >= 8 and len(_groups("yolov5_decode")) >= 7
    assert len(_groups("yolov5_grid")) >= 15 and len(_groups("yolov5_autoanchor")) >= 4


@pytest.mark.parametrize("group", _groups("yolov5_grid") + _groups("yolov5_decode_sigmoid") + _groups("yolov5_assign"))
def test_bit_exact(group):
    # Grid and anchor grid; the decode fed torch's own sigmoid values; the targets of every level,
    # in YOLOv5's order: anchorlib's float32 arithmetic gives YOLOv5's numbers exactly.
    record, arrays = _case(group)
    same, gap = replay.HANDLERS[record["kind"]]("yolov5", record, arrays)
    assert same.all(), f"{np.count_nonzero(~same)} of {len(same)} cases differ (max {gap:g}): {record['call']}"


@pytest.mark.parametrize("group", _groups("yolov5_decode"))
def test_decode_from_raw_outputs_is_within_a_few_ulps(group):
    # torch's float32 sigmoid is not correctly rounded (anchorlib's is): measured at most 2 ulps on the
    # sigmoid and at most 8 ulps on the boxes over these groups (466 of 2,172 values differ).
    record, arrays = _case(group)
    boxes = anchorlib.yolov5_decode(arrays["raw"], record["stride"], arrays["anchors"])
    assert boxes.dtype == np.float32 and boxes.shape == arrays["boxes"].shape
    positive = arrays["boxes"] > 0
    assert _ulps(boxes[positive], arrays["boxes"][positive]) <= 8
    np.testing.assert_allclose(boxes, arrays["boxes"], rtol=1e-6, atol=1e-5)


def test_decode_differences_are_those_the_docstring_states():
    differ = total = 0
    for group in _groups("yolov5_decode"):
        record, arrays = _case(group)
        boxes = anchorlib.yolov5_decode(arrays["raw"], record["stride"], arrays["anchors"])
        differ += int(np.count_nonzero(boxes != arrays["boxes"]))
        total += boxes.size
    assert (differ, total) == (466, 2172)  # quoted in anchorlib.yolov5_decode's docstring


def _autoanchor_params():
    params = []
    for group in _groups("yolov5_autoanchor"):
        marks = ()
        if group == "autoanchor/threshold/thr3":
            # YOLOv5 compares float32 ratios x with 1/3 rounded to float32; anchor_fit (owned by
            # anchorlib.design) computes in float64, so boxes exactly 3 times or a third of an anchor
            # side land on the other side of the threshold: 1 of 72 boxes for bpr, 6 of 648 pairs for aat.
            marks = pytest.mark.xfail(strict=True, reason="anchor_fit is float64; YOLOv5 float32 at 1/3")
        params.append(pytest.param(group, marks=marks))
    return params


@pytest.mark.parametrize("group", _autoanchor_params())
def test_anchor_fit_matches_yolov5_autoanchor(group):
    # bpr and aat equal after rounding to float32; fitness within float32 summation error (yolov5_replay).
    record, arrays = _case(group)
    same, gap = replay.HANDLERS["yolov5_autoanchor"]("yolov5", record, arrays)
    assert same.all(), f"max difference {gap:g}"


def test_the_edge_cases_exercise_what_they_are_meant_to():
    # Guards that the goldens contain the situations named in the groups (so the exactness tests
    # above are not passing on easy inputs only).
    record, arrays = _case("assign/p5_640x640_borders")
    own_cell_twice = 0
    for level in range(3):
        key = f"P{level + 3}_"
        cells = np.stack([arrays[key + "anchor"], arrays[key + "row"], arrays[key + "col"]], axis=1)
        own_cell_twice += len(cells) - len(np.unique(cells, axis=0))
    assert own_cell_twice > 0  # a centre exactly on a border gets its own cell more than once
    record, arrays = _case("assign/p5_640x640_threshold")
    exact_ratio = replay.assign_targets(record, arrays)
    assert len(np.unique(exact_ratio.box)) < len(arrays["boxes"])  # some boxes at ratio 4 match nothing
    record, arrays = _case("assign/p5_640x640_empty")
    assert len(arrays["boxes"]) == 0 and len(replay.assign_targets(record, arrays)) == 0
