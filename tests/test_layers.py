"""Layering: no module of the library imports the package root ``mlbom`` (whose lazy
``__getattr__`` would hide an import cycle through it); only the command line, the shell over
the library's public API, does (issue 14)."""

from __future__ import annotations

import ast
from pathlib import Path

import mlbom.collectors

PKG = Path(mlbom.collectors.__file__).resolve().parent.parent
ROOT_CLIENTS = {"__init__.py", "__main__.py", "cli.py"}


def _submodules() -> set[str]:
    names = {p.stem for p in PKG.glob("*.py")} | {p.name for p in PKG.iterdir() if (p / "__init__.py").is_file()}
    return names - {"__init__"}


def test_no_library_module_imports_the_package_root() -> None:
    subs = _submodules()
    offenders: list[str] = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if rel in ROOT_CLIENTS:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "mlbom" for a in node.names):
                offenders.append(f"{rel}:{node.lineno}: import mlbom")
            if isinstance(node, ast.ImportFrom) and node.module == "mlbom" and node.level == 0:
                offenders += [f"{rel}:{node.lineno}: from mlbom import {a.name}" for a in node.names if a.name not in subs]
    assert offenders == []


def test_the_version_lives_in_a_leaf_module() -> None:
    import mlbom
    import mlbom.version

    assert mlbom.__version__ == mlbom.version.__version__
    tree = ast.parse((PKG / "version.py").read_text("utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
