"""The students' edition (`make html-student`, tools/student_edition.py): exercises kept, solutions gone.

A mini book with one exercise and one gated solution (markdown, a code cell and its output inside the
solution) is built twice with the real configuration: as the students' edition, where no trace of the
solution may remain in the page, the search index or the downloadable notebook, and as the
instructors' edition, where it must all be there (so the first check cannot pass by building nothing).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from tools.student_edition import strip_solutions_from_notebook, strip_solutions_from_text

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")

EXERCISE = "Compute the answer to everything."
SOLUTION_TEXT = "The solution says forty-two."
SOLUTION_CODE = "print('SOLUTION-OUTPUT-' + str(6 * 7))"
SOLUTION_OUTPUT = "SOLUTION-OUTPUT-42"
AFTER = "Text after the solution stays."


def _cells():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return [
        md("# Chapter\n\nAn introduction."),
        code("print('kept-' + 'output')"),
        md(f":::{{exercise}}\n:label: ex-answer\n{EXERCISE}\n:::\n\n:::{{solution-start}} ex-answer\n"
           f":class: dropdown\n:::\n\n{SOLUTION_TEXT}"),
        code(SOLUTION_CODE),
        md(f":::{{solution-end}}\n:::\n\n{AFTER}"),
    ]


def _mini_book(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    (tmp_path / "tools").mkdir()
    for extension in yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["local_extensions"]:
        shutil.copy(ROOT / "tools" / f"{extension}.py", tmp_path / "tools")  # the book's own extensions
    for folder in ("_static", "_templates"):  # the style sheet and page layout the configuration names
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n\nA page.\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = _cells()
    nbformat.write(nb, tmp_path / "book" / "chapter.ipynb")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapter\n")
    return tmp_path


def _build(book: Path, edition: str | None) -> Path:
    env = {key: value for key, value in os.environ.items() if key != "BOOK_EDITION"}
    if edition:
        env["BOOK_EDITION"] = edition
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "-W", "-n", "--keep-going", str(book)],
        capture_output=True, text=True, check=False, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return book / "_build" / "html"


def _everything_readable(html: Path) -> str:
    """Every page, the search index and every downloadable source, as one string."""
    parts = [p.read_text(errors="replace") for p in html.rglob("*") if p.is_file()
             and p.suffix in (".html", ".js", ".ipynb", ".md", ".txt") and "_static" not in p.parts]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    student = _build(_mini_book(tmp_path_factory.mktemp("student")), "student")
    teacher = _build(_mini_book(tmp_path_factory.mktemp("teacher")), None)
    return student, teacher


@pytest.mark.slow  # two Sphinx builds of a mini book
def test_the_instructors_edition_shows_the_solution(builds):
    _, teacher = builds
    text = _everything_readable(teacher)
    for needle in (EXERCISE, SOLUTION_TEXT, SOLUTION_OUTPUT, AFTER):
        assert needle in text, needle


@pytest.mark.slow  # two Sphinx builds of a mini book
def test_the_students_edition_keeps_the_exercise_and_drops_the_solution(builds):
    student, _ = builds
    page = (student / "book" / "chapter.html").read_text()
    assert EXERCISE in page and AFTER in page and "kept-output" in page
    text = _everything_readable(student)
    for needle in (SOLUTION_TEXT, SOLUTION_OUTPUT, "SOLUTION-OUTPUT-"):
        assert needle not in text, f"{needle!r} is readable in the students' edition"


@pytest.mark.slow  # two Sphinx builds of a mini book
def test_the_students_download_is_a_valid_notebook_without_the_solution(builds):
    student, _ = builds
    notebook = nbformat.reads((student / "_sources" / "book" / "chapter.ipynb").read_text(), as_version=4)
    nbformat.validate(notebook)
    sources = [cell.source for cell in notebook.cells]
    assert any(EXERCISE in s for s in sources) and any(AFTER in s for s in sources)
    assert not any("{solution" in s or SOLUTION_TEXT in s or SOLUTION_CODE in s for s in sources), sources


def test_text_stripping_keeps_everything_outside_solutions():
    lines = ["a", "```{solution-start} x", "```", "hidden", "```{solution-end}", "```", "b",
             ":::{solution-start} y", ":class: dropdown", ":::", "hidden too", ":::{solution-end}", ":::", "c"]
    assert strip_solutions_from_text(lines) == (["a", "b", "c"], False)


def test_an_unclosed_solution_hides_the_rest_rather_than_leaking_it():
    kept, inside = strip_solutions_from_text(["a", ":::{solution-start} x", ":::", "answer"])
    assert kept == ["a"] and inside


def test_notebook_stripping_drops_the_cells_inside_a_solution():
    notebook = json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=_cells())))
    stripped = strip_solutions_from_notebook(notebook)
    assert [cell["cell_type"] for cell in stripped["cells"]] == ["markdown", "code", "markdown", "markdown"]
    assert SOLUTION_CODE not in json.dumps(stripped)
