"""Sphinx extension: the students' edition of the book, with every solution body removed.

``make html-student`` sets the environment variable ``BOOK_EDITION=student`` (the Sphinx config value
``student_edition`` defaults to it). The exercises stay; every solution goes, with the code cells and
outputs inside it, from three places a student could read it:

* the pages and the search index: after sphinx-exercise has merged each gated
  ``solution-start`` / ``solution-end`` pair into one solution node (its transform has priority 10),
  :class:`RemoveSolutions` (priority 20) deletes every solution node from the document tree, so its
  text, code and figures are neither written nor indexed nor copied;
* the sources each page offers for download (``_sources/**/*.ipynb`` and ``.md``): rewritten at the
  end of the build by :func:`strip_solutions_from_notebook` / :func:`strip_solutions_from_text`.

The instructors' build (``make html``, the PDF) does not set the variable and keeps everything.
``hide_solutions`` of sphinx-exercise is not enough: it drops the ``solution-start`` directive but
leaves the gated body between it and ``solution-end`` on the page (sphinx-exercise 1.2.1,
``SolutionDirective.run``), which is why this extension exists.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sphinx.transforms import SphinxTransform
from sphinx_exercise.nodes import solution_node

_START = re.compile(r"^\s*(:{3,}|`{3,})\{solution-start\}")
_END = re.compile(r"^\s*(:{3,}|`{3,})\{solution-end\}")


class RemoveSolutions(SphinxTransform):
    """Delete every (merged) solution node when building the students' edition."""

    default_priority = 20  # after sphinx_exercise.transforms.MergeGatedSolutions (10)

    def apply(self, **kwargs) -> None:
        if not self.config.student_edition:
            return
        for node in list(self.document.findall(solution_node)):
            node.parent.remove(node)


def strip_solutions_from_text(lines: list[str], inside: bool = False) -> tuple[list[str], bool]:
    """Drop the lines from each ``solution-start`` directive to its ``solution-end`` (both included).

    ``inside`` says whether the text starts within a solution (a notebook's solution spans cells);
    the state at the end is returned with the kept lines.

    Examples
    --------
    >>> text = ["Ex.", ":::{solution-start} ex", ":class: dropdown", ":::", "Answer 42.",
    ...         ":::{solution-end}", ":::", "Next."]
    >>> strip_solutions_from_text(text)
    (['Ex.', 'Next.'], False)
    """
    kept: list[str] = []
    closing: str | None = None  # the fence that closes a solution-end directive, to skip it too
    for line in lines:
        if closing is not None:
            if line.strip() == closing:
                closing = None
                continue
            closing = None
        if not inside:
            if _START.match(line):
                inside = True
            else:
                kept.append(line)
            continue
        end = _END.match(line)
        if end:
            inside = False
            closing = end.group(1)
    return kept, inside


def strip_solutions_from_notebook(notebook: dict) -> dict:
    """The notebook without its solutions: cells inside one are dropped, boundary cells trimmed."""
    cells, inside = [], False
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown":
            kept, inside_after = strip_solutions_from_text(text.split("\n"), inside)
            inside = inside_after
            body = "\n".join(kept).strip("\n")
            if body:
                cells.append({**cell, "source": body})
        elif not inside:
            cells.append(cell)
    return {**notebook, "cells": cells}


def _strip_downloadable_sources(app, exception) -> None:
    if exception is not None or not app.config.student_edition or app.builder.format != "html":
        return
    for path in Path(app.outdir, "_sources").rglob("*"):
        if path.suffix == ".ipynb":
            notebook = json.loads(path.read_text(encoding="utf-8"))
            path.write_text(json.dumps(strip_solutions_from_notebook(notebook), indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        elif path.suffix in (".md", ".txt"):
            lines = path.read_text(encoding="utf-8").split("\n")
            path.write_text("\n".join(strip_solutions_from_text(lines)[0]), encoding="utf-8")


def setup(app):
    app.add_config_value("student_edition", os.environ.get("BOOK_EDITION") == "student", "env")
    app.add_transform(RemoveSolutions)
    app.connect("build-finished", _strip_downloadable_sources)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
