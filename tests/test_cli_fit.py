"""Tests of `python -m anchorlib fit`: anchors and their metrics for an annotated dataset."""

import ast
import json
import re
import subprocess
import sys
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
    expected = anchorlib.kmeans_anchors(wh, 3, seed=0, restarts=10)
    np.testing.assert_allclose(rows[:, :2], expected, atol=0.005)
    fit = anchorlib.anchor_fit(wh, expected)
    metrics = out[header + 4]
    assert f"BPR {fit['bpr']:.4f}" in metrics and f"fitness {fit['fitness']:.4f}" in metrics


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


# --- issue 17: baseline, score, snippets, JSON, plot; every bad input one line ----------------------

def _voc_csv(tmp_path, rows):
    """A CSV in datitran/raccoon_dataset's layout, rows (w, h) of boxes in 640x640 images."""
    lines = ["filename,width,height,class,xmin,ymin,xmax,ymax"]
    lines += [f"i{k}.jpg,640,640,x,1,1,{w},{h}" for k, (w, h) in enumerate(rows)]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    return str(tmp_path / "labels.csv")


def test_score_by_hand(capsys, tmp_path):
    # Boxes 10x10 and 40x10 (VOC 1..10 covers 10 pixels) against one 10x10 anchor, by hand:
    # x = min(w/wa, wa/w, h/ha, ha/h) = 1 and 1/4; 1/4 is not above 1/4, so BPR 0.5, fitness 0.5;
    # IoU 1 and 100/400, mean 0.625.
    path = _voc_csv(tmp_path, [(10, 10), (40, 10)])
    assert main(["score", path, "--anchors", "10,10", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["bpr"], report["fitness"], report["aat"], report["mean_best_iou"]) == (0.5, 0.5, 0.5, 0.625)
    assert main(["score", path, "--anchors", "10,10"]) == 0
    assert "mean best IoU 0.6250, BPR 0.5000" in capsys.readouterr().out


def test_fit_reports_the_yolov5_baseline_and_the_autoanchor_verdict(capsys, tmp_path):
    # Every box is 320x320 at 640: YOLOv5's largest default anchor 373x326 gives x = 320/373 > 1/4
    # (BPR 1, AutoAnchor keeps them); a 4x4 anchor gives x = 4/320 < 1/4 (BPR 0).
    path = _voc_csv(tmp_path, [(320, 320), (320, 320), (300, 330)])
    assert main(["fit", path, "--k", "1", "--long-side", "640"]) == 0
    out = capsys.readouterr().out
    assert "baseline: YOLOv5 default anchors" in out and "AutoAnchor would keep these anchors" in out
    assert main(["fit", path, "--k", "1", "--long-side", "640", "--against", "4,4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["baseline"]["bpr"] == 0.0 and report["baseline"]["autoanchor_keeps_it"] is False
    assert report["fitted"]["bpr"] == 1.0


def test_fit_reports_worst_case_coverage_of_a_preset_baseline(capsys, tmp_path):
    # By hand, boxes in original pixels against keras-retinanet (positive IoU 0.5, its
    # compute_gt_annotations): a 16x16 box has IoU at most 16**2 / 32**2 = 0.25 with any anchor (the
    # smallest is 32x32), so no position is covered. A 32x32 box is at most 4 px from a P3 centre
    # along each axis (stride 8, centres at (i + 0.5) * 8), and the 32 * 2**(1/3) = 40.3 px anchor
    # then still contains it: IoU 32**2 / 40.3**2 = 0.63 >= 0.5 everywhere.
    path = _voc_csv(tmp_path, [(16, 16), (16, 16), (32, 32), (32, 32), (32, 32)])
    assert main(["fit", path, "--k", "2", "--against", "keras-retinanet", "--json"]) == 0
    coverage = json.loads(capsys.readouterr().out)["baseline"]["worst_case_coverage"]
    assert coverage["iou"] == 0.5 and coverage["sampled"] is False
    assert coverage["by_size"] == {"small": {"boxes": 2, "covered": 0.0}, "medium": {"boxes": 3, "covered": 1.0},
                                   "large": {"boxes": 0, "covered": None}}
    assert main(["fit", path, "--k", "2", "--against", "keras-retinanet"]) == 0
    out = capsys.readouterr().out
    assert "worst-case coverage (boxes with an anchor of IoU >= 0.5 wherever they lie): small 0% of 2, " \
           "medium 100% of 3\n" in out
    # py-faster-rcnn's RPN labels from IoU 0.7 (its config.py), and its smallest anchor is 128 px
    assert main(["fit", path, "--k", "2", "--against", "py-faster-rcnn", "--json"]) == 0
    coverage = json.loads(capsys.readouterr().out)["baseline"]["worst_case_coverage"]
    assert coverage["iou"] == 0.7 and coverage["by_size"]["medium"]["covered"] == 0.0
    # YOLOv5's anchors are shapes without placement: no coverage, and the text says nothing of it
    assert main(["fit", path, "--k", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["baseline"]["worst_case_coverage"] is None


def test_fit_ratios_scales_reports_the_coverage_of_the_fitted_configuration(capsys):
    argv = ["fit", str(SAMPLE / "annotations.json"), "--short-side", "800", "--ratios-scales", "--maxiter", "3",
            "--json", "--against", "torchvision-retinanet"]  # torchvision: strides from the 800 x 1333 input
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    for part in ("baseline", "fitted"):
        coverage = report[part]["worst_case_coverage"]
        assert coverage["iou"] == 0.5 and sum(c["boxes"] for c in coverage["by_size"].values()) == 265
        assert all(0 <= c["covered"] <= 1 for c in coverage["by_size"].values() if c["boxes"])


def test_fit_ratios_scales_needs_one_stride_per_size(assert_usage_error):
    assert_usage_error(["fit", str(SAMPLE / "annotations.json"), "--ratios-scales", "--strides", "8,16"],
                       "--strides needs one stride per --sizes level (5), got 2")


def test_emit_yolov5_rows_are_the_fitted_anchors_per_level(capsys):
    argv = ["fit", str(SAMPLE / "annotations.json"), "--long-side", "640", "--emit", "yolov5", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    lines = report["emit"]["snippet"].splitlines()
    assert lines[1] == "anchors:" and [line.split("#")[1].strip() for line in lines[2:]] == ["P3/8", "P4/16", "P5/32"]
    rows = [ast.literal_eval(line.split("#")[0].strip()[2:]) for line in lines[2:]]
    fitted = np.round(report["fitted"]["anchors"]).astype(int).reshape(3, 6).tolist()
    assert rows == fitted  # smallest three anchors at P3, by area, as YOLOv5 expects


def test_emit_mmdet_lists_levels_largest_stride_first(capsys):
    argv = ["fit", str(SAMPLE / "annotations.json"), "--long-side", "640", "--emit", "mmdet"]
    assert main(argv) == 0
    snippet = capsys.readouterr().out.split("anchor_generator=")[1]
    config = eval("dict" + snippet.split("dict", 1)[1].rstrip().rstrip(","))  # noqa: S307 (our own output)
    # mmdetection's YOLOv3 configs list base_sizes and strides from stride 32 down (read from
    # configs/yolo/yolov3_d53_8xb8-ms-608-273e_coco.py, not run).
    assert config["type"] == "YOLOAnchorGenerator" and config["strides"] == [32, 16, 8]
    areas = [sum(w * h for w, h in level) for level in config["base_sizes"]]
    assert areas == sorted(areas, reverse=True)


@pytest.mark.parametrize("target", ["mmdet", "torchvision", "detectron2", "keras-retinanet"])
def test_emit_ratios_and_scales(capsys, target):
    argv = ["fit", str(SAMPLE / "annotations.json"), "--short-side", "800", "--ratios-scales",
            "--maxiter", "3", "--emit", target, "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    ratios, scales = report["fitted"]["ratios"], report["fitted"]["scales"]
    snippet = report["emit"]["snippet"]
    after = snippet.split("ratios" if target != "detectron2" else "ASPECT_RATIOS")[-1]
    shown = [float(v) for v in re.findall(r"\d+\.?\d*", after)[:3]]
    if target == "torchvision":
        shown = [float(v) for v in re.findall(r"aspect_ratios=\(\((.*?)\)", snippet)[0].split(",")]
    np.testing.assert_allclose(shown, ratios, rtol=1e-3)
    if target == "keras-retinanet":
        line = next(line for line in snippet.splitlines() if line.startswith("scales"))
        np.testing.assert_allclose([float(v) for v in line.split("=")[1].split()], scales, rtol=1e-3)


def test_plot_is_written(tmp_path, capsys):
    target = tmp_path / "fit.png"
    assert main(["fit", str(SAMPLE / "annotations.json"), "--k", "3", "--plot", str(target)]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_boxes_are_filtered_and_warned_about(capsys, tmp_path):
    # 1x1 (both sides < 2: left out of the fit), 2x10 (a side < 3: warned), two large boxes.
    path = _voc_csv(tmp_path, [(1, 1), (2, 10), (100, 100), (200, 50)])
    assert main(["fit", path, "--k", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["boxes"], report["boxes_fitted"], report["boxes_under_3px"]) == (4, 3, 2)
    assert main(["fit", path, "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "warning: 2 of 4 boxes have a side under 3 pixels" in out and "1 boxes with both sides under 2" in out


def test_head_closing_the_pipe_is_not_a_traceback():
    command = (f"{sys.executable} -m anchorlib show --image 800x1333 --preset mmdet-retinanet | head -1; "
               f"{sys.executable} -m anchorlib compare --image 800x1333 --presets "
               "keras-retinanet,torchvision-retinanet,mmdet-retinanet | head -c 10")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    assert result.stderr == ""


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "images_elsewhere.csv").write_text("a.jpg,1,2,30,40,cat\n")  # keras-retinanet layout
    (tmp_path / "yolo" / "labels").mkdir(parents=True)
    (tmp_path / "yolo" / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (tmp_path / "empty.json").write_text('{"images": [{"id": 1, "width": 4, "height": 4}], '
                                          '"annotations": [], "categories": []}')
    (tmp_path / "latin1.json").write_bytes("{\"caf\u00e9\": 1}".encode("latin-1"))
    (tmp_path / "root" / "annotations").mkdir(parents=True)
    (tmp_path / "root" / "annotations" / "a.xml").write_text(
        "<annotation><size><width>9</width><height>9</height></size></annotation>")
    coco = '{{"images": [{images}], "categories": [{{"id": 1, "name": "a"}}], "annotations": [{{"id": 1, ' \
           '"image_id": 1, "category_id": 1, "bbox": {bbox}}}]}}'
    image = '{"id": 1, "width": 64, "height": 48}'
    (tmp_path / "huge.json").write_text(coco.format(images=image, bbox="[1e308, 0, 1e308, 10]"))
    (tmp_path / "twice.json").write_text(coco.format(images=f"{image}, {image}", bbox="[0, 0, 9, 9]"))
    (tmp_path / "bool.json").write_text(coco.format(images=image, bbox="[true, 0, 9, 9]"))
    (tmp_path / "text.json").write_text(coco.format(images=image, bbox='["10", 0, 9, 9]'))
    return {p.stem: p for p in [*tmp_path.glob("*.*"), tmp_path / "yolo", tmp_path / "root"]}


BAD_FIT_INPUTS = [
    # issue 17, item 6
    (["fit", "{images_elsewhere}", "--long-side", "640"], "image size unknown for 1 boxes (no image 'a.jpg'"),
    (["fit", "{yolo}"], "give the image size (--image HEIGHTxWIDTH"),
    (["fit", "{empty}"], "empty.json: no boxes to fit (1 images read, 0 boxes left out)"),
    (["fit", "{latin1}"], "latin1.json: not UTF-8 text"),
    (["fit", "{root}"], "annotations (1 .xml file): pass one of those"),
    # item 7
    (["fit", "{huge}"], "huge.json: annotations[0] (id 1): box area overflows"),
    (["fit", "{twice}"], "twice.json: images[1]: id 1 appears twice"),
    (["fit", "{bool}"], "bbox must be a JSON number, got True"),
    (["fit", "{text}"], "bbox must be a JSON number, got '10'"),
    (["fit", "{twice}", "--image", "10x10"], "--image applies to YOLO labels and CSV files only: COCO"),
    (["fit", "{root}/annotations", "--image", "10x10"], "--image applies to YOLO labels and CSV files only: VOC"),
    (["score", "{images_elsewhere}", "--image", "-5x10"], "image sides must be positive, got '-5x10'"),
    # the options of fit and score
    (["fit", "{images_elsewhere}", "--emit", "yolov5"], "--emit needs the network's input size"),
    (["fit", "{images_elsewhere}", "--image", "99x99", "--long-side", "640", "--k", "1", "--emit", "torchvision"],
     "add --ratios-scales"),
    (["fit", "{images_elsewhere}", "--image", "99x99", "--long-side", "64", "--k", "2", "--emit", "yolov5"],
     "k must be at most the number of distinct box shapes"),
    (["fit", "{images_elsewhere}", "--plot", "/no/such/folder/x.png", "--k", "1"], "--plot /no/such/folder/x.png"),
    (["fit", "{images_elsewhere}", "--long-side", "-1"], "expected a positive number, got '-1'"),
    (["fit", "{images_elsewhere}", "--long-side", "9", "--short-side", "9", "--image", "99x99"], "exclude each other"),
    (["fit", "{images_elsewhere}", "--image", "99x99", "--long-side", "64", "--k", "1", "--levels", "0"],
     "expected a positive integer, got '0'"),
    (["fit", "{images_elsewhere}", "--restarts", "0"], "expected a positive integer, got '0'"),
    (["fit", "{images_elsewhere}", "--image", "99x99", "--short-side", "64", "--ratios-scales", "--maxiter", "1",
      "--emit", "mmdet", "--strides", "8,16"], "--strides needs one stride per --sizes level (5), got 2"),
    (["score", "{images_elsewhere}", "--anchors", "1,2;3"], "expected a preset"),
    (["score", "{images_elsewhere}", "--anchors", "0,2"], "must be positive"),
]


@pytest.mark.parametrize("argv, words", BAD_FIT_INPUTS, ids=lambda v: v if isinstance(v, str) else None)
def test_bad_datasets_and_options_one_line_status_2(tmp_path, argv, words, assert_usage_error):
    files = _bad_files(tmp_path)
    assert_usage_error([arg.format(**files) for arg in argv], words)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["shapes", "--base-size", "1e308", "--ratios", "1e-300"], "anchor sides beyond float64"),
        (["show", "--image", "100000x100000", "--preset", "mmdet-retinanet"], "would place 1,873,193,562 anchors"),
        (["compare", "--image", "20000x20000", "--presets", "keras-retinanet,mmdet-retinanet"], "at most 5,000,000"),
        (["show", "--image", "-5x10", "--preset", "mmdet-retinanet"], "image sides must be positive, got '-5x10'"),
    ],
)
def test_sizes_beyond_reason_one_line_status_2(argv, words, assert_usage_error):
    # 100000x100000 with mmdet-retinanet, by hand: 9 anchors per cell on ceil(100000 / s)^2 cells for
    # s = 8 .. 128: 9 * (12500^2 + 6250^2 + 3125^2 + 1563^2 + 782^2) = 1,873,193,562.
    assert_usage_error(argv, words)


def test_coverage_of_a_large_dataset_is_a_seeded_sample(capsys, tmp_path):
    # 2,500 boxes, more than the 2,000 the worst case is computed for: the report says so
    path = _voc_csv(tmp_path, [(32 + k % 50, 32) for k in range(2500)])
    argv = ["fit", path, "--k", "2", "--restarts", "1", "--against", "keras-retinanet", "--json"]
    assert main(argv) == 0
    coverage = json.loads(capsys.readouterr().out)["baseline"]["worst_case_coverage"]
    assert coverage["sampled"] is True and coverage["boxes"] == 2000
    assert sum(c["boxes"] for c in coverage["by_size"].values()) == 2000
    assert main(argv[:-1]) == 0
    assert "on a seeded sample of 2000 boxes" in capsys.readouterr().out
