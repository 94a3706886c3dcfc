"""Configuration and helpers shared by the test modules (no test module imports another)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from browsers import CHROMIUM, CHROMIUM_FLAGS, unavailable
from hypothesis import HealthCheck, settings

from tools.course_pack import FOLDER, ZIP_NAME, build_pack

# No wall-clock deadline (a loaded 2-core CI machine is slow, not wrong); derandomised on CI so a
# failure reproduces, while local runs keep exploring new examples.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def _assert_usage_error(argv: list[str], words: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "anchorlib", *argv], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("anchorlib: error:") and words in lines[0], lines


@pytest.fixture
def assert_usage_error():
    """``assert_usage_error(argv, words)``: ``python -m anchorlib *argv`` exits with status 2, prints
    nothing on stdout and one line ``anchorlib: error: ...`` containing ``words`` on stderr."""
    return _assert_usage_error


@pytest.fixture(scope="session")
def executed_copies():
    """The folder of the notebooks the site build executed (``_build/jupyter_execute/book``).

    Missing (no `make html` yet): a failure on CI, where `make test` builds the site first, and a
    skip with the reason on a developer's machine.
    """
    folder = Path(__file__).resolve().parents[1] / "_build" / "jupyter_execute" / "book"
    if not folder.is_dir():
        reason = "no executed notebooks in _build/jupyter_execute: run `make html` first"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return folder


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (tests/browsers.py says how it is started)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the python package playwright is not installed (pip install -r requirements.txt)")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (run `make browser`, or apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def pack_zip(tmp_path_factory) -> Path:
    """The course pack's zip: the one `make html` built, or one built now into a temporary folder."""
    built = Path(__file__).resolve().parents[1] / "_build" / "html" / FOLDER / ZIP_NAME
    if built.exists():
        return built
    return build_pack(tmp_path_factory.mktemp("site"))
