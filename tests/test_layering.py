"""The package's layering, read from its source with ``ast``: the core modules never import the
edge (``plot``, ``cli``), and the modules import each other without cycles."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "anchorlib"
EDGE = {"plot", "cli", "__main__"}


def imports_of(source: str) -> set[str]:
    """The anchorlib modules a module's source imports (relative or absolute, at any depth)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from .boxes import x
                found.add(node.module.split(".")[0])
            elif node.level == 1:  # from . import plot
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.split(".")[0] == "anchorlib":
                parts = node.module.split(".")
                found.update([parts[1]] if len(parts) > 1 else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("anchorlib."))
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = {path.stem: path for path in package.glob("*.py") if path.stem != "__init__"}
    return {name: imports_of(path.read_text()) & set(modules) for name, path in modules.items()}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path (first node repeated at the end), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_imports_of_reads_every_spelling():
    # Hand-written sources, one per import form the package could use.
    assert imports_of("from .boxes import box_iou") == {"boxes"}
    assert imports_of("from . import plot, cli") == {"plot", "cli"}
    assert imports_of("def f():\n    from anchorlib.plot import new_axes") == {"plot"}
    assert imports_of("import anchorlib.cli as c\nimport numpy") == {"cli"}
    assert imports_of("from anchorlib import plot") == {"plot"}


def test_cycle_finds_a_planted_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


@pytest.mark.parametrize("module", sorted(set(import_graph()) - EDGE))
def test_core_never_imports_the_edge(module):
    assert not import_graph()[module] & EDGE, f"anchorlib.{module} imports {import_graph()[module] & EDGE}"


def test_no_import_cycles():
    assert cycle(import_graph()) is None
