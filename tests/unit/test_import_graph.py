"""The package's modules import each other without a circle.

Every import of an ``mlpt`` module counts, those inside functions too: a deferred import hides a
circle from Python at import time, not from a reader. There is no exception.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

def _modules(src: Path = SRC) -> dict[str, tuple[Path, bool]]:
    """{dotted name: (file, is a package)} of every module under ``src/mlpt``."""
    found = {}
    for file in sorted((src / "mlpt").rglob("*.py")):
        parts = list(file.relative_to(src).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (file, package)
    return found


def _imports(tree: ast.Module):
    """(import node, inside a function?) for every import statement of a module."""
    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    yield from walk(tree, False)


def import_graph(src: Path = SRC) -> dict[str, dict[str, bool]]:
    """{module: {imported mlpt module: imported at module level (not inside a function)?}}, by ``ast``."""
    modules = _modules(src)
    graph: dict[str, dict[str, bool]] = {}
    for name, (file, package) in modules.items():
        here = (name if package else name.rpartition(".")[0]).split(".")
        edges: dict[str, bool] = {}
        for node, in_function in _imports(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                anchor = here[: len(here) - node.level + 1] if node.level else []
                base = ".".join(anchor + ([node.module] if node.module else []))
                # `from . import x` imports the module x; `from .x import y` imports x (y is a name in it)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    edges[target] = edges.get(target, False) or not in_function
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, bool]]) -> list[str] | None:
    """One circle of imports (its modules in order, the first repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_mlpt_modules_import_each_other_without_a_circle():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_check_sees_a_circle_closed_by_a_function_level_import(tmp_path):
    """The check counts imports inside functions (here b -> a, as config -> mixtures once was)."""
    package = tmp_path / "mlpt"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import B\n")
    (package / "b.py").write_text("B = 1\n\n\ndef check():\n    from . import a  # deferred\n")
    (package / "c.py").write_text("from mlpt import a\n")
    graph = import_graph(tmp_path)
    assert graph["mlpt.a"] == {"mlpt.b": True} and graph["mlpt.b"] == {"mlpt.a": False}
    assert graph["mlpt.c"] == {"mlpt.a": True}
    assert find_cycle(graph) == ["mlpt.a", "mlpt.b", "mlpt.a"]
