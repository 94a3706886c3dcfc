"""Sphinx extension: the API reference documents each public constant with its own comment, and a
module's docstring may name a public function by its short name.

``book/api.md`` documents the public names where readers import them, ``anchorlib.BOX_FORMATS``;
but the ``#:`` comment that documents a constant sits where it is defined (``anchorlib/boxes.py``),
so autodoc found none and showed the docstring of the constant's type (Python's ``tuple``
documentation under ``BOX_FORMATS``). This handler looks the comment up in the defining module.

The summary table at the top of the page lists every name the page documents, in the page's order:
the line ``(filled in by tools/api_docs.py ...)`` in its ``autosummary`` is replaced, when the page is
read, by the names of the ``autofunction``/``autoclass``/``autodata`` directives below it, so a name
added to a section is in the summary too.

Likewise a module docstring's :func:`encode` (in ``anchorlib.coding``) looks for
``anchorlib.coding.encode``, which is not documented: the public name is ``anchorlib.encode``. A
reference that finds nothing is tried once more as ``anchorlib.<name>``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer


def _defining_comment(package: str, attr: str, obj: object) -> list[str] | None:
    """The ``#:`` comment of ``attr`` in the submodule of ``package`` that defines ``obj``."""
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__, prefix=f"{package}."):
        if info.name.rpartition(".")[2].startswith("_"):
            continue  # private modules, and __main__, which runs the command line when imported
        module = importlib.import_module(info.name)
        if getattr(module, attr, None) is obj:
            docs = ModuleAnalyzer.for_module(info.name).find_attr_docs().get(("", attr))
            if docs:
                return list(docs)
    return None


def _constant_docs(app: Sphinx, what: str, name: str, obj: object, options, lines: list[str]) -> None:
    if what != "data":
        return
    package, _, attr = name.rpartition(".")
    if "." in package:  # documented where it is defined: autodoc already found its comment
        return
    comment = _defining_comment(package, attr, obj)
    if comment:
        lines[:] = comment


def _public_name(app: Sphinx, env, node, contnode):
    """Resolve an unresolved ``anchorlib`` Python reference by the public name, ``anchorlib.<name>``."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not (target.startswith("anchorlib.") or "." not in target):
        return None
    public = f"anchorlib.{target.rpartition('.')[2]}"
    if public == target:
        return None
    return env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder, node["reftype"], public,
                                             node, contnode)


_SUMMARY_SLOT = re.compile(r"^( +)\(filled in by tools/api_docs\.py[^)]*\)$", re.M)
_DOCUMENTED = re.compile(r"^\.\. auto(?:function|class|data):: (\w+)", re.M)


def _fill_summary(app: Sphinx, docname: str, source: list[str]) -> None:
    slot = _SUMMARY_SLOT.search(source[0])
    if slot is None:
        return
    names = list(dict.fromkeys(_DOCUMENTED.findall(source[0], slot.end())))
    listing = "\n".join(slot.group(1) + name for name in names)
    source[0] = source[0][:slot.start()] + listing + source[0][slot.end():]


def setup(app: Sphinx) -> dict:
    app.connect("source-read", _fill_summary)
    app.connect("autodoc-process-docstring", _constant_docs)
    app.connect("missing-reference", _public_name)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
