"""The names a standard-library module binds at its top level, read from its source text (never
imported): :func:`binds` answers whether ``import_object("module.name")`` could find an
attribute there. A module mlbom cannot read statically (written in C, a package whose
``__init__`` star-imports, a module-level ``__getattr__``, ``globals()`` written to) binds any
name as far as mlbom knows (None)."""

from __future__ import annotations

import ast
import sys
import sysconfig
from functools import cache
from pathlib import Path

MAX_SOURCE = 1 << 21  # bytes of one module's source read (platform.py: 47 KB; the largest stdlib module is < 1 MB)
# stdlib modules another package replaces at import time (setuptools' ``_distutils_hack`` puts its own
# distutils in ``sys.modules``, red team 58f-2): their source here is not what ``import`` gives
_REPLACED = frozenset({"distutils"})
# CPython's own test package: installed with the interpreter (the deny list covers ``test.*``), left
# out of sys.stdlib_module_names; YOLO data configs say ``test: test.txt``, which names no module of it
_TEST_PACKAGES = frozenset({"test"})
# calls that bind module names at run time when the module's own code makes them (ssl's
# ``IntEnum._convert_`` makes its CERT_*/OP_*/PROTOCOL_* constants, 58f-2); ``globals()`` anywhere
# (a function may write the module's names through it)
_DYNAMIC_BINDERS = frozenset({"vars", "setattr", "exec", "eval", "_convert_", "_convert", "__import__"})


def binds(module: str, name: str) -> bool | None:
    """Whether the top-level stdlib ``module`` binds ``name`` (a function, class, assignment or
    import at its top level or in a top-level ``if``/``try``/``with``/loop, a ``global`` in a
    function, a submodule of a package; every dunder name, which the import system sets:
    ``__loader__``, ``__spec__``, ``__builtins__`` …); None where mlbom cannot tell."""
    if name.startswith("__"):
        return True
    names = _top_names(module)
    if names is None:
        return None
    return name in names


@cache  # bounded by sys.stdlib_module_names (about 300): a smaller cache is thrashed (59f-1)
def _top_names(module: str) -> frozenset[str] | None:
    if (module not in sys.stdlib_module_names and module not in _TEST_PACKAGES) or "." in module \
            or module in _REPLACED:
        return None
    root = Path(sysconfig.get_paths()["stdlib"])
    package = root / module
    source = package / "__init__.py" if package.is_dir() else root / f"{module}.py"
    try:
        if not source.is_file() or source.stat().st_size > MAX_SOURCE:
            return None
        tree = ast.parse(source.read_bytes(), filename=str(source))
    except (OSError, SyntaxError, ValueError):
        return None
    names: set[str] = set()
    if not _collect(tree.body, names):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            names.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "globals":
            return None  # names written at run time
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name) and node.slice.id == "__name__":
            return None  # sys.modules[__name__]: the module may put another object in its place
    if any(_dynamic(node) for node in _module_level(tree.body)):
        return None
    if "__getattr__" in names:
        return None
    if package.is_dir():
        names.update(p.stem for p in package.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file())
    return frozenset(names)


def _collect(body: list[ast.stmt], names: set[str]) -> bool:
    """Add the names ``body`` binds at its level; False on a star import (any name)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                return False
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor | ast.With
                        | ast.AsyncWith):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [i.optional_vars for i in node.items if i.optional_vars is not None]
                if isinstance(node, ast.With | ast.AsyncWith) else [node.target])
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        scoped = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for part in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, part, None)
            if not isinstance(inner, list) or scoped:
                continue
            stmts = [s for s in inner if isinstance(s, ast.stmt)]
            stmts += [s for h in inner if isinstance(h, ast.ExceptHandler) for s in h.body]
            if not _collect(stmts, names):
                return False
        for h in getattr(node, "handlers", None) or ():
            if isinstance(h, ast.ExceptHandler) and h.name:
                names.add(h.name)
        if isinstance(node, ast.Match):
            for case in node.cases:
                if not _collect(case.body, names):
                    return False
        if not scoped:  # (x := ...) at the top level binds x
            names.update(n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr)
                         and isinstance(n.target, ast.Name))
    return True


def _module_level(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node the module's own code runs at import: all but the bodies of functions and classes'
    methods (a class body runs at import too)."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _dynamic(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id in _DYNAMIC_BINDERS)
        or (isinstance(node.func, ast.Attribute) and node.func.attr in _DYNAMIC_BINDERS))
