"""The course apparatus: glossary, teaching plan, reference pages, launch buttons, widget cells."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from tools.toc import toc_parts

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
PARTS = toc_parts()

# The chapters planned in book/intro.md's map, by file name (issues 3-7 and the foundation; issue 16).
PLANNED_CHAPTERS = [
    "refinement_cascade", "base_size_scale_ratio", "shifts_offsets",
    "padding_asymmetry", "small_objects", "anchors_from_data",
    "yolo_anchors",
]
# Terms the source notes use, with the Chinese the notes use for them.
REQUIRED_TERMS = {
    "anchor": "锚框", "stride": "步长", "receptive field": "感受野", "feature map": "特征图",
    "aspect ratio": "宽高比", "scale": "尺度", "offset": "偏移", "cascade": "级联",
}


def _glossary_entries() -> list[list[str]]:
    """The glossary's entries, each the list of its terms (English first, then Chinese, ...)."""
    text = (ROOT / "book" / "glossary.md").read_text()
    block = re.search(r"```\{glossary\}\n(.*?)```", text, flags=re.S).group(1)
    entries, terms = [], []
    for line in block.splitlines():
        if line and not line.startswith(" "):
            terms.append(line.strip())
        elif terms:
            entries.append(terms)
            terms = []
    return entries


def test_glossary_gives_the_chinese_term_beside_each_english_one():
    entries = {terms[0]: terms for terms in _glossary_entries()}
    for english, chinese in REQUIRED_TERMS.items():
        assert english in entries, f"glossary has no entry {english!r}"
        assert entries[english][1] == chinese, f"{english}: {entries[english]}"
    for terms in entries.values():
        assert len(terms) >= 2 and re.search(r"[\u4e00-\u9fff]", terms[1]), f"no Chinese term: {terms}"


def test_reference_part_holds_the_course_pages():
    reference = PARTS["Reference"]
    for page in ("book/teaching", "book/glossary", "book/bibliography", "book/api"):
        assert page in reference, f"{page} is not in the Reference part of _toc.yml"


def test_teaching_plan_has_a_session_per_chapter():
    teaching = (ROOT / "book" / "teaching.md").read_text()
    sessions = re.findall(r"^\(teach-(\w+)\)=\n## Session \d+: (.+)$", teaching, flags=re.M)
    covered = [name for name, _ in sessions]
    chapters = [Path(entry).name for entry in PARTS["Chapters"]]
    assert covered == PLANNED_CHAPTERS
    assert set(chapters) <= set(covered), f"chapters without a session plan: {set(chapters) - set(covered)}"
    for name, title in sessions:
        section = teaching.split(f"(teach-{name})=")[1].split("\n(teach-")[0]
        for heading in ("**Question**", "| time | activity |", "**Run live**", "**Misconceptions**"):
            assert heading in section, f"session {title!r} lacks {heading}"


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_widget_cells_are_kept_out_of_the_build_and_nbval(path):
    # A cell that displays ipywidgets would store widget state (the website would then load
    # JavaScript from a CDN) and give nbval an output that depends on the front end.
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(r"ipywidgets|anchor_explorer\(|interact\(", cell.source):
            tags = set(cell.metadata.get("tags", []))
            assert {"skip-execution", "nbval-skip"} <= tags, f"{path.name}: {cell.source[:60]!r}"
            assert not cell.outputs, f"{path.name}: a widget cell with stored outputs"


@pytest.mark.slow  # builds a book
def test_launch_buttons_open_jupyterlab_once_the_repository_is_set(tmp_path):
    # The book has no public address yet (the real build, with `-W`, proves that an empty
    # `repository.url` builds without a warning); with one set (a placeholder here), a chapter page
    # must link to JupyterLab on Binder (`lab/tree/...`) and offer its notebook for download.
    url = "https://github.com/placeholder-org/placeholder-repo"
    (tmp_path / "book").mkdir()
    (tmp_path / "tools").mkdir()
    for extension in yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["local_extensions"]:
        shutil.copy(ROOT / "tools" / f"{extension}.py", tmp_path / "tools")  # the site's own extensions
    for folder in ("_static", "_templates"):  # the favicon, style sheet and page layout _config.yml names
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "references.bib", tmp_path)
    config, count = re.subn(r'(?m)^  url: ""$', f'  url: "{url}"', (ROOT / "_config.yml").read_text())
    assert count == 1, "_config.yml has no empty `repository: url:` line"
    (tmp_path / "_config.yml").write_text(config)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapter\n")
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter"), nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(nb, tmp_path / "book" / "chapter.ipynb")
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "-W", "-n", "--keep-going", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    html = (tmp_path / "_build" / "html" / "book" / "chapter.html").read_text()
    binder = "https://mybinder.org/v2/gh/placeholder-org/placeholder-repo/main?urlpath=lab/tree/book/chapter.ipynb"
    assert binder in html, re.findall(r'href="(https://mybinder[^"]*)"', html)
    assert "_sources/book/chapter.ipynb" in html
