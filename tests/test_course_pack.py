"""The course pack (tools/course_pack.py): what a reader with only the website downloads.

The pack is built by `make html` (the Sphinx extension builds it into `_build/html/course-pack/`);
these tests read that build when it is there and build the pack into a temporary folder otherwise.
The real-JupyterLab test of the pack's chapters is tests/test_lab.py.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from tools.course_pack import FOLDER, SOLUTION_NOTE, ZIP_NAME, _note, pack_chapters, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"


def _members(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zipped:
        return {name.split("/", 1)[1]: zipped.read(name) for name in zipped.namelist()}


def test_strip_solutions_removes_markdown_and_code_between_the_markers():
    # A hand-written exercise in the book's layout: the solution starts inside a markdown cell, goes
    # on with a code cell and ends in the next markdown cell, which also holds the next exercise.
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(":::{exercise}\n:label: e1\nHow much?\n:::\n\n"
                                      ":::{solution-start} e1\n:class: dropdown\n:::\nSecret text."),
        nbformat.v4.new_code_cell("print('secret code')"),
        nbformat.v4.new_markdown_cell(":::{solution-end}\n:::\n\n:::{exercise}\n:label: e2\nAnd now?\n:::"),
        nbformat.v4.new_code_cell("print('kept')"),
    ]
    out = strip_solutions(nb)
    assert [cell.source for cell in out.cells] == [
        ":::{exercise}\n:label: e1\nHow much?\n:::\n\n" + SOLUTION_NOTE,
        ":::{exercise}\n:label: e2\nAnd now?\n:::",
        "print('kept')",
    ]
    nb.cells = nb.cells[:2]
    with pytest.raises(ValueError, match="no solution-end"):
        strip_solutions(nb)


@pytest.mark.slow  # builds the wheel when `make html` has not
def test_pack_holds_wheel_requirements_readme_and_solution_free_chapters(pack_zip):
    members = _members(pack_zip)
    wheels = [name for name in members if name.endswith(".whl")]
    assert len(wheels) == 1 and wheels[0].startswith("anchorlib-")
    with zipfile.ZipFile(io.BytesIO(members[wheels[0]])) as wheel:
        metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        assert "Name: anchorlib" in wheel.read(metadata).decode()
        assert "anchorlib/design.py" in wheel.namelist()
    requirements = members["requirements.txt"].decode().splitlines()
    assert requirements[0] == f"./{wheels[0]}"
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==\S+", line) for line in requirements[1:])
    assert any(line.startswith("jupyterlab-myst==") for line in requirements)
    assert "jupyter lab" in members["README.md"].decode()
    for chapter in pack_chapters():
        source = nbformat.read(chapter, as_version=4)
        solutions = sum(cell.source.count(":::{solution-start}") for cell in source.cells)
        packed = nbformat.reads(members[chapter.name].decode(), as_version=4)
        text = "\n".join(cell.source for cell in packed.cells)
        assert "solution-start" not in text and "solution-end" not in text, chapter.name
        assert text.count(SOLUTION_NOTE) == solutions > 0 or chapter.stem == "explorer", chapter.name
        assert packed.metadata == source.metadata  # the kernelspec JupyterLab would otherwise rewrite
    assert "data/sample/annotations.json" in members  # what anchors_from_data reads


def test_note_links_the_pack_and_the_repository_once_set():
    def render(url: str) -> str:
        app = SimpleNamespace(config=SimpleNamespace(html_theme_options={"repository_url": url}))
        context = {"body": "<h1>x</h1>", "pathto": lambda target, resource: f"../{target}"}
        _note(app, "book/x", "page.html", context, None)
        return context["body"]

    assert f'href="../{FOLDER}/{ZIP_NAME}"' in render("") and "Source:" not in render("")
    assert 'Source: <a href="https://example.org/anchors">' in render("https://example.org/anchors")


@pytest.mark.slow
def test_every_page_of_the_built_site_links_the_pack():
    if not (SITE / FOLDER / ZIP_NAME).exists():
        pytest.skip("no built site with a course pack in _build/html (run `make html`)")
    pages = sorted(SITE.glob("book/*.html")) + [SITE / "index.html"]
    for page in pages:
        text = page.read_text()
        if 'http-equiv="Refresh"' in text:
            continue  # the root index.html only redirects to the intro
        links = re.findall(r'class="course-pack-link" href="([^"]+)"', text)
        assert links, f"{page.name} does not link the course pack"
        assert (page.parent / links[0]).resolve() == (SITE / FOLDER / ZIP_NAME).resolve(), page.name


@pytest.mark.slow  # builds the wheel when `make html` has not
def test_packed_notebooks_are_valid_json_notebooks(pack_zip):
    for name, data in _members(pack_zip).items():
        if name.endswith(".ipynb"):
            nbformat.validate(nbformat.reads(data.decode(), as_version=4))
            assert json.loads(data)["nbformat"] == 4
