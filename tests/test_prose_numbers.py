"""Numbers in the prose come from the cells that compute them.

The book promises that a changed result changes the sentence that quotes it, or breaks the build. nbval
re-checks what the cells print, but not what the markdown says. This test scans every markdown cell of
``book/*.ipynb`` and every page ``book/*.md`` for numbers with three or more significant digits. Each must
be either

* inserted with myst-nb's glue (``{glue:text}`name:.3f```): the value is stored in the notebook by the
  cell that computed it, nbval re-checks that output, and the build (warnings are errors) fails on a
  glue name no cell defines; or
* a literal constant listed below with the reason it is typed by hand (an input the text chooses, a
  paper's or library's constant, a quotation, a worked hand computation).

Skipped as not being results: years, issue numbers (``#1073``), source line numbers (``L144``,
``lines 155–160``), commit hashes, version numbers, links, arXiv numbers and citation keys.
Significant digits: ``0.1875`` has 4, ``22.63`` 4, ``1,500`` 2, ``800`` 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

POWERS_OF_TWO = "a power of two chosen as an input: image side, stride, base size or channel count"

#: Literal constants allowed anywhere, with the reason they are typed by hand.
ALLOWED: dict[str, str] = {
    **{str(2**k): POWERS_OF_TWO for k in range(7, 12)},
    "1333": "the longer image side of the 800 x 1333 resize used by every library (an input)",
    "813": "quoted from the RetinaNet paper, 'scale range 32 - 813 pixels'",
    "62.5": "1000 / 16, the growth limit of the decode clamp log(1000/16) (a library constant)",
    "0.333": "1/3 written to three decimals in a hand computation",
    "416": "YOLOv3's darknet input size (yolov3.cfg), quoted",
}

#: Literal constants allowed in one file only, with the reason.
ALLOWED_IN: dict[str, dict[str, str]] = {
    "base_size_scale_ratio.ipynb": {
        "11.31": "quoted from the source notes ('11.31 x 22.62'), the claim under test",
        "22.62": "quoted from the source notes, the claim under test",
        "11.5": "23 x 0.5, a hand computation of py-faster-rcnn's rounding",
        "50.5": "101 / 2, a hand computation in an exercise",
    },
    "padding_asymmetry.ipynb": {
        "257": "an input size of the table (odd, chosen to show the parity)",
        "333": "an input size of the table",
        "801": "the input size the exercise asks about",
        "401": "the exercise's worked hand computation, checked by the cell after it",
        "155": "a source line number (lines 155-160)",
    },
    "anchors_from_data.ipynb": {
        "1280": "an input resolution the cell tries",
    },
    "conformance.ipynb": {
        "2.21": "the TensorFlow version the goldens were recorded with (2.21)",
    },
    "yolo_anchors.ipynb": {
        **dict.fromkeys(
            ["0.7311", "0.2689", "0.8808", "1.4621", "190.79", "0.5379", "45.13", "1.7616", "614.4"],
            "the decode exercise's worked hand computation, checked by the cell after it",
        ),
        **dict.fromkeys(["156", "198"], "a YOLOv5 default anchor (models/yolov5s.yaml), a published constant"),
        **dict.fromkeys(["1.69", "2.34"], "54 / 32 and 75 / 32, a hand computation in the figure's text"),
        "3.25": "13 / 4, a hand computation (the 10 x 13 anchor over anchor_t = 4)",
        "112": "7 x 16, the first pixel of cell 7 at stride 16, a hand computation",
    },
    "teaching.md": {
        "101": "the argument of a call the class runs live",
        "145": "a time in minutes of the session plan (the plan's own choice)",
        "165": "a time in minutes of the session plan (the plan's own choice)",
    },
    "primer.ipynb": {
        "232": "a corner of the annotated button box, an input printed by the cell above",
        "224": "FPN's canonical object size in its level rule (eq. 1 of the paper), a constant",
    },
    "refinement_cascade.ipynb": {
        "114": "a corner of the box the exercise places, an input",
    },
}

_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")  # {glue:text}`...`, {cite}`...`, {doc}`...`, {term}`...`
_SKIP = re.compile(
    r"https?://\S+"  # links
    r"|\]\([^)]*\)"  # markdown link targets
    r"|arXiv:\S+|doi:\S+"
    r"|\b[0-9a-f]{7,40}\b"  # commit hashes
    r"|\bv?\d+\.\d+\.\d+(?:\.\w+)?\b"  # version numbers 0.29.1, 3.3.0
    r"|#\d+"  # issue and pull-request numbers
    r"|\bL\d+(?:\s*[–-]\s*\d+)?"  # source lines L144 or L144-145
    r"|\blines?\s+\d+(?:\s*[–-]\s*\d+)?"  # 'lines 155-160'
)
_NUMBER = re.compile(r"(?<![\w.])[−-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w.]\d|\w)")
_YEAR = re.compile(r"(?:19|20)\d\d[ab]?")
_DIRECTIVE = re.compile(r"^\s*(?::\w[\w-]*:|\(\w[\w-]*\)=|```|:::)")


def significant_digits(token: str) -> int:
    """Significant digits of a number as written: trailing zeros of an integer do not count."""
    digits = token.lstrip("−-").replace(",", "")
    if "." in digits:
        return len(digits.replace(".", "").lstrip("0"))
    return len(digits.lstrip("0").rstrip("0"))


def prose(book: Path):
    """(where, text) for every markdown cell of book/*.ipynb and every book/*.md page."""
    for path in sorted(book.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown":
                yield path.name, f"{path.name} cell {index}", cell.source
    for path in sorted(book.glob("*.md")):
        yield path.name, path.name, path.read_text()


def unglued_numbers(book: Path) -> list[str]:
    """Every number of three or more significant digits that is neither glued nor allowed."""
    found = []
    for name, where, text in prose(book):
        allowed = {**ALLOWED, **ALLOWED_IN.get(name, {})}
        for line in text.splitlines():
            if _DIRECTIVE.match(line):
                continue
            clean = _SKIP.sub(" ", _ROLE.sub(" ", line))
            for match in _NUMBER.finditer(clean):
                token = match.group()
                bare = token.lstrip("−-")
                if _YEAR.fullmatch(bare) or bare in allowed or significant_digits(token) < 3:
                    continue
                found.append(f"{where}: {token!r} in {line.strip()[:100]!r}")
    return found


def glued_names(path: Path) -> set[str]:
    """The glue names a notebook's stored outputs define."""
    names = set()
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                names.add(name)
    return names


def test_every_quoted_result_is_glued_or_an_allowed_constant():
    found = unglued_numbers(BOOK)
    assert not found, (
        "numbers typed by hand in the prose: glue them from the cell that computes them "
        "(myst_nb.glue), or add a literal constant to ALLOWED with its reason:\n" + "\n".join(found)
    )


@pytest.mark.parametrize("path", sorted(BOOK.glob("*.ipynb")), ids=lambda p: p.name)
def test_every_glue_reference_has_a_stored_value(path):
    nb = nbformat.read(path, as_version=4)
    used = {
        m.group(1)
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for m in re.finditer(r"\{glue(?::\w+)?\}`([\w.-]+)", cell.source)
    }
    missing = used - glued_names(path)
    assert not missing, f"{path.name} quotes glue names no cell stores: {sorted(missing)}"


# --- the scanner itself, on planted pages (expected values written by hand) -------------------------


def _write_notebook(folder: Path, markdown: str, code: str = "", outputs: list | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    if code:
        cell = nbformat.v4.new_code_cell(code)
        cell.outputs = [nbformat.from_dict(o) for o in outputs or []]
        nb.cells.append(cell)
    path = folder / "planted.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_planted_unglued_result_fails(tmp_path):
    _write_notebook(tmp_path, "The target is 0.1875 anchor widths, and the box is 22.63 wide.")
    found = unglued_numbers(tmp_path)
    assert len(found) == 2 and "'0.1875'" in found[0] and "'22.63'" in found[1]


def test_a_glued_result_passes(tmp_path):
    _write_notebook(tmp_path, "The target is {glue:text}`tx:.4f` anchor widths.")
    assert unglued_numbers(tmp_path) == []


def test_what_is_not_a_result_passes(tmp_path):
    text = (
        "Lin et al. 2017b, issue #1073, L144–145, lines 155–160 at @7ac91df in torchvision 0.29.1, "
        "arXiv:1708.02002, an 800 × 1333 image, 1,500 boxes, strides 8 to 128, ratio 0.5, "
        "[a link](https://example.org/1234.5)."
    )
    _write_notebook(tmp_path, text)
    assert unglued_numbers(tmp_path) == []


def test_a_page_is_scanned_too(tmp_path):
    (tmp_path / "page.md").write_text("# A page\n\nThe last column sits at 831.5 pixels.\n")
    assert [f.split(":")[0] for f in unglued_numbers(tmp_path)] == ["page.md"]


def test_significant_digits_by_hand():
    assert [significant_digits(t) for t in ("0.1875", "22.63", "1,500", "800", "−0.0625", "813", "2.05")] == [
        4, 4, 2, 1, 3, 3, 3]


def test_glue_names_are_read_from_stored_outputs(tmp_path):
    record = {
        "output_type": "display_data",
        "data": {"application/papermill.record/text/plain": "0.1875"},
        "metadata": {"scrapbook": {"name": "tx", "mime_prefix": "application/papermill.record/"}},
    }
    path = _write_notebook(tmp_path, "{glue:text}`tx:.4f`", "glue('tx', 0.1875, display=False)", [record])
    assert glued_names(path) == {"tx"}


def glue_inside_math(text: str) -> bool:
    """Whether a glue role sits inside $...$ or $$...$$, where MyST would print it literally."""
    inline = re.sub(r"\$\$.*?\$\$", lambda m: "" if "{glue" not in m.group() else "$$GLUE$$", text, flags=re.S)
    if "$$GLUE$$" in inline:
        return True
    return any("{glue" in part for part in inline.split("$")[1::2])


@pytest.mark.parametrize("path", sorted(BOOK.glob("*.ipynb")), ids=lambda p: p.name)
def test_no_glue_inside_math(path):
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    assert not [text[:80] for text in cells if glue_inside_math(text)]


def test_glue_inside_math_is_detected():
    assert glue_inside_math(r"$16\sqrt 2 = {glue:text}`x:.4f`$")
    assert not glue_inside_math(r"$16\sqrt 2 =$ {glue:text}`x:.4f` and $a$")
