"""Checks of the book's notebooks that nbval does not make.

nbval (run with the whole suite) re-executes every notebook and compares its text outputs. These
tests add what it misses: figures (a stale PNG on the website), the book's conventions, and the
table of contents.
"""

from pathlib import Path

import nbformat
import pytest
import yaml

from tools.notebooks import stored_vs_fresh

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").glob("*.ipynb"))


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_fresh_figures_included(path):
    problems = stored_vs_fresh(path)
    assert not problems, "re-run with `make notebooks`:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    # The first code cell sets up inline figures and imports anchorlib, saying how to get it when
    # missing (test_setup_cell_without_anchorlib_says_how_to_get_it); it installs nothing.
    assert code and code[0].source.splitlines()[0] == "%matplotlib inline"
    assert "import anchorlib" in code[0].source and "except ModuleNotFoundError" in code[0].source
    assert "pip install -e" not in code[0].source and "%pip" not in code[0].source
    for cell in code:
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if errors:
            assert "raises-exception" in cell.metadata.get("tags", []), (
                f"{path.name}: a stored error in a cell not tagged raises-exception: {cell.source[:60]!r}"
            )
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_table_of_contents(path):
    assert f"book/{path.stem}" in _toc_files()


def test_every_toc_entry_exists():
    for entry in _toc_files():
        assert any((ROOT / f"{entry}{suffix}").exists() for suffix in (".md", ".ipynb")), entry


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_without_anchorlib_says_how_to_get_it(path, tmp_path):
    """Run the set-up cell's import in a Python that cannot import anchorlib: one sentence, no install."""
    import subprocess
    import sys

    setup = nbformat.read(path, as_version=4)
    source = next(cell.source for cell in setup.cells if cell.cell_type == "code")
    head = source.split("import numpy")[0].replace("%matplotlib inline", "")
    # -I: isolated mode, so neither the repository nor the editable install is on sys.path; a
    # blocker on sys.meta_path makes sure no other copy of anchorlib is found.
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'anchorlib':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, Block())\n" + head
    )
    result = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                            cwd=tmp_path, check=False)
    assert result.returncode == 1 and result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: anchorlib is not installed: download the course pack")
    assert "make lab" in last and "Traceback" in result.stderr and "During handling" not in result.stderr
