"""The site build fails loudly: a notebook that raises, or a warning, makes it exit non-zero.

The real book is built with the same flags by `make html` / `make test`; this test proves the flags
and the execution settings in _config.yml would catch a broken chapter.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def _mini_book(tmp_path: Path, code: str) -> Path:
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    (tmp_path / "tools").mkdir()
    for extension in yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["local_extensions"]:
        shutil.copy(ROOT / "tools" / f"{extension}.py", tmp_path / "tools")  # the site's own extensions
    for folder in ("_static", "_templates"):  # the favicon, style sheet and page layout it names
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n\nA page.\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter"), nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, tmp_path / "book" / "chapter.ipynb")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapter\n"
    )
    return tmp_path


def _build(book: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(JUPYTER_BOOK), "build", "-W", "-n", "--keep-going", str(book)],
        capture_output=True, text=True, check=False, timeout=300,
    )


# A good book builds with the same flags and _config.yml: `make test` builds the real one first.
@pytest.mark.slow
def test_a_raising_notebook_fails_the_build(tmp_path):
    result = _build(_mini_book(tmp_path, "1 / 0"))
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr
