"""Keep the book's notebooks deterministic and their stored outputs fresh.

    python tools/notebooks.py run book/*.ipynb      # re-execute in place (fresh kernel, top to bottom)
    python tools/notebooks.py check book/*.ipynb    # exit 1 if a re-run changes any stored output
    python tools/notebooks.py to-py book/x.ipynb    # print a percent-format script (for editing)
    python tools/notebooks.py from-py x.py book/x.ipynb   # build a notebook from such a script

``run`` executes with nbclient, in the notebook's own folder (as Jupyter Book and JupyterLab do),
without timing metadata, so two runs give byte-identical files. ``check`` compares everything a fresh
run gives, figures included, with the stored outputs; the test suite makes the same comparison
against the site build's own execution (:func:`stored_vs_built`), so no chapter runs twice.

Percent format: a line ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose lines
start with ``# ``; ``# %% tags=["raises-exception"]`` sets cell tags.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "python3"
_HEADER = re.compile(r"^# %%(?: \[(?P<kind>markdown)\])?(?: tags=(?P<tags>\[.*\]))?\s*$")


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Fix the metadata that would otherwise differ between machines or runs."""
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": KERNEL}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


def execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel and return it (the file is not written)."""
    nb = normalise(nbformat.read(path, as_version=4))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=300,
        record_timing=False,
        coalesce_streams=True,  # one stream output per cell, however the kernel chunked it
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return normalise(nb)


def dumps(nb: nbformat.NotebookNode) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _comparable(outputs: list) -> str:
    """Outputs as compared by the freshness check: everything, except that an error's traceback is
    reduced to its type and message (like nbval), since it holds file paths of the machine that ran it."""
    kept = [
        {"output_type": "error", "ename": out.ename, "evalue": out.evalue} if out.output_type == "error" else out
        for out in outputs
    ]
    return json.dumps(kept, sort_keys=True)


def _summary(outputs: list) -> str:
    """A short, readable digest of a cell's outputs for error messages."""
    parts = []
    for out in outputs:
        if out.output_type == "stream":
            parts.append(f"{out.name}: {out.text[:200]!r}")
        elif out.output_type == "error":
            parts.append(f"error {out.ename}: {out.evalue[:120]}")
        else:
            parts.append(", ".join(f"{k} ({len(str(v))} chars)" for k, v in out.get("data", {}).items()))
    return " | ".join(parts) or "(none)"


def _same_outputs(stored: list, fresh: list) -> bool:
    return _comparable(stored) == _comparable(fresh)


def _differences(stored: nbformat.NotebookNode, fresh: nbformat.NotebookNode, same=_same_outputs) -> list[str]:
    """Describe every code cell whose outputs differ (as ``same`` judges them) between two runs."""
    problems = []
    code_stored = [c for c in stored.cells if c.cell_type == "code"]
    code_fresh = [c for c in fresh.cells if c.cell_type == "code"]
    if [c.source for c in code_stored] != [c.source for c in code_fresh]:
        return ["the code cells differ from the executed copy's (a stale build?)"]
    for index, (old, new) in enumerate(zip(code_stored, code_fresh)):
        if old.get("execution_count") != new.get("execution_count"):
            problems.append(f"code cell {index}: execution count {old.get('execution_count')} "
                            f"!= {new.get('execution_count')} (not run top to bottom)")
        elif not same(old.outputs, new.outputs):
            kinds = sorted({key for out in new.outputs for key in out.get("data", {"text": 0})})
            first_line = old.source.splitlines()[0] if old.source else ""
            problems.append(
                f"code cell {index} ({first_line!r}): stored outputs are stale ({', '.join(kinds)})\n"
                f"  stored: {_summary(old.outputs)}\n  fresh:  {_summary(new.outputs)}"
            )
    return problems


def stored_vs_fresh(path: Path) -> list[str]:
    """Describe every code cell whose stored outputs differ from a fresh run (empty when fresh)."""
    return _differences(normalise(nbformat.read(path, as_version=4)), execute(path))


def _streams(outputs: list) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for out in outputs:
        if out.output_type == "stream":
            texts.setdefault(out.name, []).append(out.text)
    return texts


def _is_glue(output) -> bool:
    """A value recorded by myst-nb's ``glue`` for the prose: myst-nb keeps it out of its executed copy
    (the website's prose shows the build's own value, so it cannot be stale there)."""
    data = output.get("data", {})
    return bool(data) and all(key.startswith("application/papermill.record/") for key in data)


def _same_as_built(stored: list, built: list) -> bool:
    """Stored outputs (one stream block per run of chunks, as nbclient coalesces them) against the
    site build's executed copy of the same cell.

    myst-nb (``nb_merge_streams``) merges a cell's stdout (stderr) chunks into its first block, each
    chunk right-stripped and ended by a newline, and saves the merged block *and* the later chunks
    unchanged. The later chunks and the stripped first chunk are therefore known exactly; only the
    whitespace the first chunk ended with is lost. So a stream's stored text must be the first
    chunk's text, then only whitespace, then the later chunks, character for character; every other
    output (figures included) must be equal, in order, except the stored ``glue`` records
    (:func:`_is_glue`), which myst-nb leaves out of its copy.
    """
    if _comparable([o for o in stored if o.output_type != "stream" and not _is_glue(o)]) != _comparable(
        [o for o in built if o.output_type != "stream"]
    ):
        return False
    stored_text, built_chunks = _streams(stored), _streams(built)
    if set(stored_text) != set(built_chunks):
        return False
    for name, (merged, *later) in built_chunks.items():
        suffix = "".join(chunk.rstrip() + "\n" for chunk in later if chunk.rstrip())
        if not merged.endswith("\n" + suffix):
            return False  # not myst-nb's merge: compare nothing rather than something wrong
        head, tail = merged[: len(merged) - len(suffix) - 1], "".join(later)
        text = "".join(stored_text[name])
        if not (text.startswith(head) and text.endswith(tail) and len(text) >= len(head) + len(tail)):
            return False
        if text[len(head) : len(text) - len(tail)].strip():
            return False
    return True


def stored_vs_built(path: Path, built: Path) -> list[str]:
    """Describe every code cell whose stored outputs differ from the site build's execution of it.

    ``built`` is the executed copy Jupyter Book writes (``_build/jupyter_execute/book/<name>.ipynb``)
    when it runs the notebook for the website, so the test suite checks the stored outputs (figures
    included) without executing the notebook a second time; see :func:`_same_as_built`.
    """
    stored = normalise(nbformat.read(path, as_version=4))
    executed = normalise(nbformat.read(built, as_version=4))
    return _differences(stored, executed, same=_same_as_built)


def to_py(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        suffix = f" tags={json.dumps(tags)}" if tags else ""
        if cell.cell_type == "markdown":
            body = "\n".join(("# " + line) if line else "#" for line in cell.source.splitlines())
            parts.append(f"# %% [markdown]{suffix}\n{body}\n")
        else:
            parts.append(f"# %%{suffix}\n{cell.source}\n")
    return "\n".join(parts)


def from_py(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells: list[tuple[str, list[str], list[str]]] = []
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            tags = json.loads(match.group("tags")) if match.group("tags") else []
            cells.append((match.group("kind") or "code", tags, []))
        elif cells:
            cells[-1][2].append(line)
    for kind, tags, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        if kind == "markdown":
            source = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return normalise(nb)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"run", "check", "to-py", "from-py"}:
        print(__doc__)
        return 2
    command, paths = argv[0], [Path(p) for p in argv[1:]]
    if command == "run":
        for path in paths:
            path.write_text(dumps(execute(path)))
            print(f"executed {path}")
        return 0
    if command == "check":
        failed = False
        for path in paths:
            for problem in stored_vs_fresh(path):
                failed = True
                print(f"{path}: {problem}")
        return 1 if failed else 0
    if command == "to-py":
        sys.stdout.write(to_py(nbformat.read(paths[0], as_version=4)))
        return 0
    paths[1].write_text(dumps(from_py(paths[0].read_text())))
    print(f"wrote {paths[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
