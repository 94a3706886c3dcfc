"""The course pack: everything a reader with only the website needs to run the chapters.

    python tools/course_pack.py _build/html      # build the pack into _build/html/course-pack/

The pack (``course-pack/anchors-course-pack.zip``, with the wheel and the sdist also offered on their
own) holds

* the ``anchorlib`` wheel, built with ``python -m build`` and checked with ``twine check --strict``;
* the chapters as notebooks **without solutions** (each exercise's solution, markdown and code cells
  between ``solution-start`` and ``solution-end``, is replaced by a pointer to the website), with the
  sample data they read;
* ``requirements.txt``: the wheel and the pinned packages the chapters import, plus JupyterLab and
  jupyterlab-myst, which renders the book's MyST markup (admonitions, exercises, citations);
* a short ``README.md``.

As a Sphinx extension (``local_extensions`` in ``_config.yml``) the same module puts a line on every
page of the website linking to the pack, and to the repository once ``repository.url`` is set in
``_config.yml``; when the HTML build finishes it builds the pack into the output folder.
"""

from __future__ import annotations

import copy
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
FOLDER = "course-pack"
ZIP_NAME = "anchors-course-pack.zip"
# What the chapters import (and their server): pinned to the versions in the repository's requirements.txt.
# myst-nb for `glue`, with which the chapters hand numbers to the website's prose.
PACK_PACKAGES = ("numpy", "scipy", "matplotlib", "pillow", "tqdm", "ipywidgets", "ipykernel", "myst-nb",
                 "jupyterlab", "jupyterlab-myst")
# Appendices that read the repository itself (benchmark results, conformance goldens): not in the pack.
REPOSITORY_ONLY = ("performance", "conformance")
SOLUTION_NOTE = "*The solution is on the book website, under this exercise.*"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed, so two builds of the same sources give the same zip

_START = re.compile(r"^:::\{solution-start\}")
_END = re.compile(r"^:::\{solution-end\}")


def pack_chapters(root: Path = ROOT) -> list[Path]:
    """The notebooks a student runs: every notebook of ``_toc.yml`` but those of
    :data:`REPOSITORY_ONLY`, which read files of the repository outside ``book/``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    entries = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    notebooks = [root / f"{entry}.ipynb" for entry in entries]
    return [path for path in notebooks if path.exists() and path.stem not in REPOSITORY_ONLY]


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without what lies between ``:::{solution-start}`` and ``:::{solution-end}``.

    A solution starts with a directive ``:::{solution-start} label`` (options, then its closing
    ``:::``) inside a markdown cell and ends at ``:::{solution-end}`` (and its ``:::``), possibly
    several cells later; every line and cell in between, code included, is removed and a one-line
    pointer to the website takes its place. Cells left empty are dropped.
    """
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.nbformat, out.nbformat_minor = nb.nbformat, nb.nbformat_minor
    inside = False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not inside:
                out.cells.append(cell)
            continue
        kept: list[str] = []
        lines = cell.source.splitlines()
        k = 0
        while k < len(lines):
            line = lines[k]
            if not inside and _START.match(line):
                inside = True
                kept.append(SOLUTION_NOTE)
            elif inside and _END.match(line):
                inside = False
                k += 1
                while k < len(lines) and lines[k].startswith(":") and lines[k].strip() != ":::":
                    k += 1  # options of the end directive
                if k < len(lines) and lines[k].strip() == ":::":
                    k += 1  # its closing fence
                continue
            elif not inside:
                kept.append(line)
            k += 1
        source = "\n".join(kept).strip("\n")
        if source:
            out.cells.append(copy.deepcopy(cell))  # the caller's notebook stays as it was
            out.cells[-1].source = source
    if inside:
        raise ValueError("a solution-start has no solution-end")
    return out


def _pins(root: Path) -> list[str]:
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower()] = line.strip()
    missing = [name for name in PACK_PACKAGES if name not in pins]
    if missing:
        raise SystemExit(f"course pack: requirements.txt pins no version of {', '.join(missing)}")
    return [pins[name] for name in PACK_PACKAGES]


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` of ``_config.yml`` (empty until the book has a public address)."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    return str((config.get("repository") or {}).get("url") or "")


def build_distributions(root: Path, dist: Path) -> list[Path]:
    """Wheel and sdist of anchorlib from a clean copy of the package sources, metadata checked."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(root / name, source / name)
        shutil.copytree(root / "anchorlib", source / "anchorlib", ignore=shutil.ignore_patterns("__pycache__"))
        # --no-isolation: the pinned setuptools of requirements.txt, no download at build time
        subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
                       check=True, capture_output=True, text=True)
    built = sorted(dist.glob("anchorlib-*"))
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, built)],
                           capture_output=True, text=True, check=False)
    if check.returncode:
        raise SystemExit(f"course pack: twine check failed:\n{check.stdout}{check.stderr}")
    return built


def _readme(wheel: str, chapters: list[Path], url: str) -> str:
    where = f"The book's repository: <{url}>.\n\n" if url else ""
    listing = "\n".join(f"* `{path.name}`" for path in chapters)
    return f"""# Anchor boxes in object detection: course pack

The chapters of the book as Jupyter notebooks, without the exercises' solutions (they are on the
book's website, under each exercise), and the `anchorlib` library they compute with ({wheel}).

{where}## Run the chapters

With Python 3.11 or later, in this folder:

```bash
python3 -m venv .venv
. .venv/bin/activate             # on Windows: .venv\\Scripts\\activate
pip install -r requirements.txt  # anchorlib from the wheel here, JupyterLab, jupyterlab-myst
jupyter lab
```

then open a chapter and run it top to bottom (Run > Run All Cells). jupyterlab-myst shows the
book's notes, exercises and references as on the website. The chapters read their sample data from
`data/`.

## What is here

{listing}
* `data/`: the sample dataset of the chapter on anchors from data
* `{wheel}`: the library (`import anchorlib`; also a command line, `anchorlib --help`)
* `requirements.txt`: the pinned packages the chapters were run with
"""


def build_pack(out: Path, root: Path = ROOT) -> Path:
    """Build ``out/course-pack/`` (the zip, the wheel and the sdist); return the zip's path."""
    target = out / FOLDER
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    built = build_distributions(root, target)
    wheel = next(path for path in built if path.suffix == ".whl")
    chapters = pack_chapters(root)
    url = repository_url(root)
    members: dict[str, bytes] = {}
    for path in chapters:
        nb = strip_solutions(nbformat.read(path, as_version=4))
        members[path.name] = (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    for file in sorted((root / "book" / "data").rglob("*")):
        if file.is_file():
            members[f"data/{file.relative_to(root / 'book' / 'data').as_posix()}"] = file.read_bytes()
    members[wheel.name] = wheel.read_bytes()
    members["requirements.txt"] = ("\n".join([f"./{wheel.name}", *_pins(root)]) + "\n").encode()
    members["README.md"] = _readme(wheel.name, chapters, url).encode()
    archive = target / ZIP_NAME
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in sorted(members):
            info = zipfile.ZipInfo(f"anchors-course-pack/{name}", date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, members[name])
    return archive


# --- Sphinx extension: a link on every page, the pack built with the site ----------------------------

def _note(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "body" not in context:
        return
    link = context["pathto"](f"{FOLDER}/{ZIP_NAME}", 1)
    url = app.config.html_theme_options.get("repository_url") or ""
    source = f' Source: <a href="{html.escape(url)}">{html.escape(url)}</a>.' if url else ""
    context["body"] = (
        f'<p class="course-pack-note">Run the chapters in your own JupyterLab: download the '
        f'<a class="course-pack-link" href="{link}" download>course pack</a> (the <code>anchorlib</code> '
        f"library, the chapters without solutions, a requirements file).{source}</p>\n" + context["body"]
    )


def _build_finished(app, exception) -> None:
    source = Path(app.srcdir)
    if exception is not None or app.builder.format != "html":
        return
    if not (source / "pyproject.toml").exists() or not (source / "anchorlib").is_dir():
        print("course pack: not built (no anchorlib package beside this book)")  # e.g. the tests' mini books
        return
    print(f"course pack: {build_pack(Path(app.outdir), source)}")


def setup(app) -> dict:
    app.connect("html-page-context", _note)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        raise SystemExit(2)
    print(build_pack(Path(sys.argv[1])))
