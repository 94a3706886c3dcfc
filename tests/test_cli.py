"""Tests of the command line (python -m anchorlib)."""

import subprocess
import sys

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
    ],
)
def test_bad_arguments_one_line_and_status_2(argv, words):
    result = subprocess.run(
        [sys.executable, "-m", "anchorlib", *argv], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("anchorlib: error:") and words in lines[0]
