"""Layering of the package, read from the source with ``ast`` (nothing is imported):

- no import cycle among ``mlbom``'s modules, function-level and ``TYPE_CHECKING`` imports
  included (a lazy import hides a cycle from the interpreter, not from the design);
- no module inside the package imports the package root (``import mlbom``, or ``from mlbom
  import NAME`` where NAME is not a submodule: the root's namespace is the public API, built
  lazily, and importing it from inside made a 13-module cycle invisible);
- no ``from mlbom.a import _private``: a module's ``_`` names are its own.

``from mlbom import jsf`` imports the submodule ``mlbom.jsf`` and counts as that module.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "mlbom"

KNOWN_ROOT_IMPORTS = {
    # The command line is the shell over the public API (mlbom.generate, mlbom.validate…).
    ("mlbom.cli", "mlbom"),
}
"""(module, what it imports from the root) pairs not yet fixed: each is a known debt, and the
test fails when one is fixed but still listed here, so the list only shrinks."""

KNOWN_CYCLES: set[frozenset[str]] = set()
"""Import cycles not yet broken (same rule: the list only shrinks)."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str, path: Path) -> tuple[set[str], list[tuple[str, str]], list[str]]:
    """(modules imported, root imports as (module, name), private names imported) of one file."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    edges: set[str] = set()
    root: list[tuple[str, str]] = []
    private: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "mlbom":
                    root.append((module, "mlbom"))
                elif alias.name.startswith("mlbom."):
                    edges.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module, path)
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target != "mlbom" and not target.startswith("mlbom."):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    edges.add(sub)
                    continue
                if target == "mlbom":
                    root.append((module, alias.name))
                    continue
                edges.add(target)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    private.append(f"{module}: from {target} import {alias.name}")
    edges.discard(module)
    return edges, root, private


@functools.cache
def _parsed() -> tuple[dict[str, frozenset[str]], tuple[tuple[str, str], ...], tuple[str, ...]]:
    graph: dict[str, frozenset[str]] = {}
    roots: list[tuple[str, str]] = []
    private: list[str] = []
    for module, path in MODULES.items():
        edges, root, priv = _imports(module, path)
        graph[module] = frozenset(e for e in edges if e in MODULES)
        roots += root
        private += priv
    return graph, tuple(roots), tuple(private)


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str]], list[str]]:
    """A fresh copy of the import graph (callers change it), the root imports and private imports."""
    graph, roots, private = _parsed()
    return {m: set(e) for m, e in graph.items()}, list(roots), list(private)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                scc = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    scc.append(m)
                    if m == node:
                        break
                if len(scc) > 1:
                    out.append(sorted(scc))
    return out


def test_no_import_cycle_inside_the_package() -> None:
    graph, roots, _ = _graph()
    # A known root import is an edge to the root; the root's own lazy imports lead everywhere, so
    # the root's outgoing edges are the public API's, and only count when something imports it.
    if not any(m != "mlbom" for m, _ in roots):
        graph["mlbom"] = set()
    else:
        for m, _name in roots:
            graph[m].add("mlbom")
        for m, _name in KNOWN_ROOT_IMPORTS:
            graph[m].discard("mlbom")
    found = {frozenset(c) for c in _cycles(graph)}
    assert found - KNOWN_CYCLES == set(), "an import cycle: move what both need to a lower module"
    assert KNOWN_CYCLES - found == set(), "fixed: take it off KNOWN_CYCLES"


def test_no_module_imports_the_package_root() -> None:
    _, roots, _ = _graph()
    found = set(roots)
    assert found - KNOWN_ROOT_IMPORTS == set(), "import the submodule that defines the name instead"
    assert KNOWN_ROOT_IMPORTS - found == set(), "fixed: take it off KNOWN_ROOT_IMPORTS"


def test_no_module_imports_another_modules_private_names() -> None:
    _, _, private = _graph()
    assert private == []


def test_property_names_are_defined_only_in_properties_py() -> None:
    offenders = []
    for module, path in MODULES.items():
        if module == "mlbom.properties":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("mlbom:") \
                    and len(node.value) > len("mlbom:") and not node.value[len("mlbom:")].isspace():
                offenders.append(f"{module}: {node.value!r}")
    assert offenders == []


def test_the_checks_see_what_they_check(tmp_path: Path) -> None:
    """The graph is not empty and a cycle is found when there is one."""
    graph, _, _ = _graph()
    assert "mlbom.readmodel" in graph["mlbom.diff"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_properties_page_is_what_its_generator_writes() -> None:
    """docs/properties.md says it is generated from mlbom/properties.py: it was once edited by
    hand and the two drifted apart (two descriptions longer in the page than in the source)."""
    from mlbom.properties import markdown

    page = Path(__file__).resolve().parents[1] / "docs" / "properties.md"
    assert page.read_text("utf-8") == markdown(), "run: python -m mlbom.properties > docs/properties.md"
