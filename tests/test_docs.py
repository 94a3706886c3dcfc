"""The API reference documents the whole public API, and every README command exists."""

import re
from pathlib import Path

import anchorlib

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_is_in_the_api_reference():
    api = (ROOT / "book" / "api.md").read_text()
    documented = set(re.findall(r"^\.\. auto(?:function|data|class):: (\w+)", api, flags=re.M))
    assert set(anchorlib.__all__) <= documented, set(anchorlib.__all__) - documented


def test_every_public_name_has_a_docstring_with_an_example():
    for name in anchorlib.__all__:
        obj = getattr(anchorlib, name)
        if callable(obj):
            assert obj.__doc__ and ">>> " in obj.__doc__, f"{name} has no runnable example"


def test_readme_quick_start_targets_exist():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make (\w+)", readme, flags=re.M):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"README mentions `make {target}`"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in readme
