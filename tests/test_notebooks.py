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
    # The first code cell sets up inline figures and makes the chapter work when opened on its own.
    assert code and code[0].source.splitlines()[0] == "%matplotlib inline"
    assert "import anchorlib" in code[0].source and "except ImportError" in code[0].source
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
