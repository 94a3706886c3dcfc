"""Tests of `python -m anchorlib fit`: anchors and their metrics for an annotated dataset."""

from pathlib import Path

import numpy as np
import pytest

import anchorlib
from anchorlib.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "book" / "data" / "sample"


def test_fit_prints_the_anchors_and_their_metrics(capsys):
    assert main(["fit", str(SAMPLE / "annotations.json"), "--k", "3", "--long-side", "640"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("265 boxes in 48 images, 3 classes (coco)")
    header = out.index(next(line for line in out if line.split() == ["w", "h", "h/w", "sqrt(area)"]))
    rows = np.array([[float(v) for v in line.split()] for line in out[header + 1 : header + 4]])
    # The table is kmeans_anchors on the letterboxed boxes, rounded to 2 decimals.
    data = anchorlib.load_boxes(SAMPLE / "annotations.json")
    wh = anchorlib.letterbox_wh(data.boxes, data.image_wh, 640)
    expected = anchorlib.kmeans_anchors(wh, 3, seed=0)
    np.testing.assert_allclose(rows[:, :2], expected, atol=0.005)
    fit = anchorlib.anchor_fit(wh, expected)
    metrics = out[header + 4]
    assert f"BPR {fit['bpr']:.4f}" in metrics and f"fitness {fit['fitness']:.4f}" in metrics
    assert out[header + 5].startswith("as YOLOv5 anchors: ")


def test_fit_with_evolution_and_given_image_size(capsys, tmp_path):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.2\n0 0.5 0.5 0.4 0.1\n0 0.3 0.3 0.2 0.2\n")
    assert main(["fit", str(tmp_path), "--k", "2", "--image", "50x100", "--generations", "50"]) == 0
    out = capsys.readouterr().out
    assert "3 boxes in 1 images" in out and "after 50 generations of YOLOv5-style evolution:" in out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["fit", str(SAMPLE)], "cannot guess the annotation format"),
        (["fit", "no/such/file.json"], "does not exist"),
        (["fit", str(SAMPLE / "annotations.json"), "--k", "0"], "k must be positive"),
        (["fit", str(SAMPLE / "annotations.json"), "--k", "x"], "invalid int value"),
        (["fit", str(SAMPLE / "labels"), "--image", "640"], "expected HEIGHTxWIDTH"),
        (["fit", str(SAMPLE / "annotations.json"), "--format", "kitti"], "invalid choice"),
        (["fit", str(SAMPLE / "annotations.json"), "--threshold", "0.5"], "threshold must be >= 1"),
    ],
)
def test_fit_errors_are_one_line_with_status_2(argv, words, assert_usage_error):
    assert_usage_error(argv, words)
