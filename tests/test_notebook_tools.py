"""tools.notebooks.stored_vs_built: the comparison that replaces a second execution of every chapter.

The executed copies are written here by hand in the shape myst-nb 1.4 saves them (its
``coalesce_streams`` appends later stream chunks to the first block *and* leaves those chunks in the
saved notebook: ``myst_nb/core/utils.py`` and ``core/render.py``, read from the installed package).
"""

import nbformat
import pytest

from tools.notebooks import stored_vs_built

PNG = "iVBORw0KGgo="


def _notebook(source, outputs):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(source)
    cell.execution_count = 1
    cell.outputs = [nbformat.from_dict(out) for out in outputs]
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter"), cell]
    return nb


def _stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def _figure(png):
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": png, "text/plain": "<Figure size 400x300 with 1 Axes>"}}


# What one cell printed ("a\nb\n", then a figure): stored as nbclient coalesces it, and as the site
# build saves it after printing in two chunks.
STORED = [_stream("a\nb\n"), _figure(PNG)]
BUILT = [_stream("a\nb\n"), _stream("b\n"), _figure(PNG)]  # merged first block, leftover chunk "b\n"
# print("a"); print("b") flushed between "a" and its newline: chunks "a" and "\nb\n", which myst-nb
# merges into "a\n" + "\nb\n" (a blank line that was never printed).
GLUE = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "count"}},
        "data": {"application/papermill.record/text/plain": "42"}}  # glue("count", 42, display=False)
SPLIT = [_stream("a\n\nb\n"), _stream("\nb\n"), _figure(PNG)]


@pytest.mark.parametrize(
    "stored_source, stored, built, problem",
    [
        ("print(1)", STORED, BUILT, None),
        ("print(1)", [_stream("a\nc\n"), _figure(PNG)], BUILT, "stored outputs are stale (image/png, text"),
        ("print(1)", [_stream("a\nb\n"), _figure(PNG + "AA")], BUILT, "stored outputs are stale"),
        ("print(2)", STORED, BUILT, "stale build"),
        ("print(1)", STORED, SPLIT, None),
        ("print(1)", [_stream("a\n\nb\n"), _figure(PNG)], SPLIT, None),  # lost whitespace: not judged
        ("print(1)", [_stream("a\nc\n"), _figure(PNG)], SPLIT, "stored outputs are stale"),
        ("print(1)", [_stream("ab\n"), _figure(PNG)], SPLIT, "stored outputs are stale"),  # a newline lost
        ("print(1)", [_figure(PNG), _stream("a\nb\n")], BUILT, None),  # streams are merged, as nbval does
        ("print(1)", [_stream("a\nb\n")], BUILT, "stored outputs are stale"),  # the figure is missing
        ("print(1)", STORED + [GLUE], BUILT, None),  # myst-nb keeps glue records out of its copy
        ("print(1)", [_stream("a\nb\n"), GLUE], BUILT, "stored outputs are stale"),  # still no figure
    ],
)
def test_stored_vs_built(tmp_path, stored_source, stored, built, problem):
    nbformat.write(_notebook(stored_source, stored), tmp_path / "stored.ipynb")
    nbformat.write(_notebook("print(1)", built), tmp_path / "built.ipynb")
    problems = stored_vs_built(tmp_path / "stored.ipynb", tmp_path / "built.ipynb")
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems
