"""The PDF of the whole book (`make pdf`) builds with XeLaTeX and holds every chapter.

Needs Debian's TeX toolchain (`make tex` installs it: about 180 MB of packages). On CI (`CI=true`)
`make test` installs it first and a missing toolchain fails this test; on a developer machine without
it the test is skipped with the reason, like the browser test.

To stay within a few minutes the test builds from the notebooks' stored outputs (execution off): the
freshness test (tests/test_notebooks.py) proves they are exactly what a fresh run gives, so this is the
same book `make pdf` typesets.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def _toolchain_missing() -> str | None:
    for program in ("xelatex", "latexmk", "kpsewhich", "pdftotext", "rsvg-convert"):
        if shutil.which(program) is None:
            return f"{program} not found (run `make tex`)"
    found = subprocess.run(["kpsewhich", "xeCJK.sty"], capture_output=True, text=True, check=False)
    if not found.stdout.strip():
        return "xeCJK.sty not found (run `make tex`)"
    return None


MISSING = _toolchain_missing()
pytestmark = [
    pytest.mark.slow,  # a whole LaTeX build: `make test` runs it, `make unit` does not
    pytest.mark.skipif(MISSING is not None and os.environ.get("CI") != "true", reason=f"TeX toolchain: {MISSING}"),
]


def _title(entry: str) -> str:
    """The first heading of a page of the table of contents (notebook or Markdown)."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{entry}{suffix}"
        if path.exists():
            text = nbformat.read(path, as_version=4).cells[0].source if suffix == ".ipynb" else path.read_text()
            return re.search(r"^# (.+)$", text, flags=re.M).group(1).strip()
    raise FileNotFoundError(entry)


def _words(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces (PDF extraction breaks lines and
    may turn typographic characters into others)."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    assert MISSING is None, f"TeX toolchain missing on CI: {MISSING}"
    out = tmp_path_factory.mktemp("pdf")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"  # stored outputs (see the module docstring)
    # paths in a configuration passed with --config are read relative to that file
    config["sphinx"]["local_extensions"] = {name: str(ROOT / folder)
                                            for name, folder in config["sphinx"]["local_extensions"].items()}
    config["bibtex_bibfiles"] = [str(ROOT / name) for name in config["bibtex_bibfiles"]]
    config["sphinx"]["config"]["latex_additional_files"] = [
        str(ROOT / name) for name in config["sphinx"]["config"]["latex_additional_files"]]
    (out / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "--all", "-W", "-n", "--keep-going", "--builder", "pdflatex",
         "--config", str(out / "_config.yml"), "--path-output", str(out), str(ROOT)],
        capture_output=True, text=True, check=False, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    path = out / "_build" / "latex" / "anchors.pdf"
    assert path.exists() and path.stat().st_size > 100_000
    return path


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_pdf_holds_every_chapter_title(pdf):
    text = _words(_text(pdf))
    entries = [TOC["root"]] + [chapter["file"] for part in TOC["parts"] for chapter in part["chapters"]]
    missing = [_title(entry) for entry in entries if _words(_title(entry)) not in text]
    assert not missing, f"chapter titles not found in the PDF: {missing}"


def test_the_pdf_shows_the_glossarys_chinese_terms(pdf):
    # xeCJK with a CJK font: the characters are in the text layer, not dropped or boxed.
    text = _text(pdf)
    for term in ("锚框", "步长", "交并比"):
        assert term in text, term


def test_no_code_line_runs_off_the_page(pdf):
    # Sphinx wraps long verbatim lines (sphinxsetup verbatimforcewraps in _config.yml); an overfull box
    # inside a code block would be a line cut at the margin. The LaTeX log reports overfull boxes
    # with the line of the .tex file; none may fall inside a sphinxVerbatim environment.
    tex = (pdf.parent / "anchors.tex").read_text().splitlines()
    log = (pdf.parent / "anchors.log").read_text(errors="replace")
    inside = []
    depth = 0
    for line in tex:
        if line.startswith(r"\begin{sphinxVerbatim}"):
            depth += 1
        inside.append(depth > 0)
        if line.startswith(r"\end{sphinxVerbatim}"):
            depth -= 1
    cut = []
    for match in re.finditer(r"Overfull \\hbox \((\d+\.?\d*)pt too wide\).*?lines? (\d+)", log):
        width, line = float(match.group(1)), int(match.group(2))
        if width > 1.0 and 0 < line <= len(inside) and inside[line - 1]:
            cut.append((line, width, tex[line - 1][:80]))
    assert not cut, f"code lines wider than the page: {cut[:10]}"
