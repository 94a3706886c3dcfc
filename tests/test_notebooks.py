"""The book's notebooks: stored outputs equal the site build's execution, and the book's conventions.

Each notebook is executed once per `make test`, by the site build (`make html`, Jupyter Book with
`execute_notebooks: force`), which saves its executed copy under `_build/jupyter_execute/`. The test
below compares the stored outputs with that copy: text as nbval would (streams merged), figures and
every other output exactly, so the website never shows a stale number or picture and a chapter
opened in JupyterLab shows what a fresh run prints.
"""

from pathlib import Path

import nbformat
import pytest

from tools.notebooks import stored_vs_built
from tools.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").glob("*.ipynb"))
LIBRARY = sorted((ROOT / "anchorlib").glob("*.py"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under book/"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_equal_the_site_builds_execution(path, executed_copies):
    built = executed_copies / path.name
    assert built.exists(), f"the site build did not execute {path.name} (is it in _toc.yml?)"
    newer = [p.name for p in (path, *LIBRARY) if p.stat().st_mtime > built.stat().st_mtime]
    assert not newer, f"{', '.join(newer)} changed after the site was built: run `make html` first"
    problems = stored_vs_built(path, built)
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
    assert f"book/{path.stem}" in toc_pages()


def test_every_toc_entry_exists():
    for entry in toc_pages():
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
