"""Tests of the command line (python -m anchorlib)."""

import pytest

from anchorlib.cli import main


def test_shapes_table(capsys):
    assert main(["shapes", "--base-size", "16", "--ratios", "0.5", "--scales", "1"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    # By hand: 16 * sqrt(2) = 22.627, 16 / sqrt(2) = 11.314, sqrt(area) = 16.
    assert row == ["0.5", "1", "22.627", "11.314", "16.000"]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["shapes", "--base-size", "-3"], "base_size must be positive"),
        (["shapes", "--base-size", "16", "--ratios", "a,b"], "comma-separated numbers"),
        (["shapes"], "--base-size"),
        (["nonsense"], "invalid choice"),
        (["show", "--image", "800", "--preset", "keras-retinanet"], "expected HEIGHTxWIDTH"),
        (["show", "--image", "0x800", "--preset", "keras-retinanet"], "image sides must be positive"),
        (["show", "--image", "800x800", "--preset", "yolo"], "unknown preset 'yolo'"),
        (["show", "--image", "800x800"], "--preset"),
        (["compare", "--image", "800x800", "--presets", "keras-retinanet"], "at least two"),
        (["compare", "--image", "800x800", "--presets", "keras-retinanet,nope"], "unknown preset 'nope'"),
    ],
)
def test_bad_arguments_one_line_and_status_2(argv, words, assert_usage_error):
    assert_usage_error(argv, words)


def test_show_table(capsys):
    assert main(["show", "--image", "800x800", "--preset", "mmdet-retinanet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "c176bc8" in lines[1]  # the source commit
    rows = {line.split()[0]: line.split() for line in lines[3:8]}
    # By hand: P6 of an 800-px input has ceil(800 / 64) = 13 cells per side, 13 * 13 * 9 = 1521
    # anchors; mmdetection's centres are j * stride, so the last is 12 * 64 = 768.
    assert rows["P6"][:4] == ["P6", "13x13", "64", "1521"]
    assert "".join(rows["P6"][4:]) == "(0,0)(768,768)"
    assert lines[-1] == "total 120087 anchors"  # 9 * (100**2 + 50**2 + 25**2 + 13**2 + 7**2)


def test_compare_table(capsys):
    assert main(["compare", "--image", "800x1333", "--presets", "keras-retinanet,torchvision-retinanet"]) == 0
    out = capsys.readouterr().out
    p7 = out.split("P7")[1].splitlines()
    keras, torch = p7[2].split(), p7[3].split()
    # By hand: keras-retinanet's last P7 cell (6, 10) is centred at ((10 + .5) * 128, (6 + .5) * 128);
    # torchvision pads 1333 to 1344, strides 800 // 7 = 114 and 1344 // 11 = 122, centre (10 * 122, 6 * 114).
    assert keras[1:4] == ["7x11", "128", "693"] and "".join(keras[6:]) == "(1344,832)"
    assert torch[1:4] == ["7x11", "114x122", "693"] and "".join(torch[6:]) == "(1220,684)"
    gap = float(p7[4].split(":")[1].split()[0])
    assert 148 <= gap < 149  # the centres alone differ by 832 - 684 = 148 px
    p3_gap = float(out.split("P3")[1].splitlines()[4].split(":")[1].split()[0])
    assert 4 <= p3_gap < 5  # half a stride (4 px) plus torchvision's corner rounding (< 1 px)
