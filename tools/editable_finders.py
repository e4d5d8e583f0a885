"""Regenerate ``mlbom/data/editable-finders.json``: which setuptools editable finder modules
``verify --artifacts`` accepts (red team 32s-2), recorded as digests, never as setuptools' text.

    python tools/editable_finders.py [--cache FOLDER] [VERSION ...] > mlbom/data/editable-finders.json

With no VERSION, every final setuptools release >= 64.0.0 (the first with the PEP 660 finder) that
``pip index versions setuptools`` lists. Each release's wheel is fetched with
``pip download --no-deps --only-binary=:all:`` into the cache folder (default: a temporary one),
``setuptools/command/editable_wheel.py`` is read from it and its module-level ``_FINDER_TEMPLATE``
string taken from the syntax tree (setuptools is never imported or run), rendered as
``_finder_template()`` does (``str.format`` with ``name``, ``mapping`` and ``namespaces``), and
digested by :func:`mlbom.artifacts.editable_finder_digest` (the three values blanked, the tree's
shape hashed without positions). The table maps each digest to the releases that render it.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mlbom.artifacts import editable_finder_digest

FIRST = (64, 0, 0)
SOURCE = "setuptools/command/editable_wheel.py"
RENDER = {"name": "__editable__.example_pkg-1.0.finder", "mapping": {"example_pkg": "/src/example_pkg"},
          "namespaces": {}}
"""What the template is rendered with (``_finder_template`` passes the finder name, the sorted mapping
dict and the namespaces dict; their values are blanked before digesting, so any valid ones do)."""


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def releases() -> list[str]:
    got = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "setuptools"],
                         capture_output=True, text=True, check=True)
    line = next(x for x in got.stdout.splitlines() if x.startswith("Available versions:"))
    found = [v.strip() for v in line.split(":", 1)[1].split(",")]
    return sorted((v for v in found if re.fullmatch(r"\d+(\.\d+)*", v) and _key(v) >= FIRST), key=_key)


def template(source: bytes) -> str:
    """The module-level ``_FINDER_TEMPLATE = "..."`` string of ``editable_wheel.py`` (read, not run)."""
    found = [node.value.value for node in ast.parse(source).body
             if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant)
             and isinstance(node.value.value, str)
             and any(isinstance(t, ast.Name) and t.id == "_FINDER_TEMPLATE"
                     for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))]
    if len(found) != 1:
        raise ValueError(f"{len(found)} module-level _FINDER_TEMPLATE string assignments")
    return found[0]


def digest_of(version: str, cache: str) -> str:
    wheels = [n for n in os.listdir(cache) if n.startswith(f"setuptools-{version}-") and n.endswith(".whl")]
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--dest", cache, f"setuptools=={version}"], check=True)
        wheels = [n for n in os.listdir(cache) if n.startswith(f"setuptools-{version}-") and n.endswith(".whl")]
    with zipfile.ZipFile(os.path.join(cache, sorted(wheels)[0])) as z:
        source = z.read(SOURCE)
    rendered = template(source).format(**RENDER)
    got = editable_finder_digest(rendered)
    if got is None:
        raise ValueError("the rendered template does not hold MAPPING, NAMESPACES and PATH_PLACEHOLDER once each")
    return got


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", help="folder for the downloaded wheels (kept; reused on a rerun)")
    ap.add_argument("versions", nargs="*", help="setuptools releases (default: every final one >= 64.0.0)")
    args = ap.parse_args(argv)
    versions = sorted(args.versions, key=_key) if args.versions else releases()
    table: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or tmp
        os.makedirs(cache, exist_ok=True)
        for version in versions:
            try:
                digest = digest_of(version, cache)
            except (OSError, ValueError, KeyError, IndexError, SyntaxError, zipfile.BadZipFile,
                    subprocess.CalledProcessError) as exc:
                print(f"setuptools {version}: skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
                continue
            table.setdefault(digest, []).append(version)
            print(f"setuptools {version}: {digest}", file=sys.stderr)
    done = sorted((v for vs in table.values() for v in vs), key=_key)
    doc = {
        "about": ("SHA-256 digests of setuptools' editable finder module (_FINDER_TEMPLATE of "
                  f"{SOURCE}, rendered as _finder_template() does, MAPPING/NAMESPACES/PATH_PLACEHOLDER "
                  "blanked, syntax tree hashed without positions: mlbom.artifacts.editable_finder_digest), "
                  "each with the setuptools releases that write it. verify --artifacts accepts a listed "
                  "__editable___<name>_finder.py only when its digest is a key here (red team 32s-2). "
                  "Facts about setuptools, not its code."),
        "tool": "tools/editable_finders.py",
        "generated": datetime.date.today().isoformat(),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "rerun": "python tools/editable_finders.py > mlbom/data/editable-finders.json",
        "releases": f"{len(done)} ({done[0]} .. {done[-1]}), every final release >= 64.0.0 listed by the package "
                    "registry when generated" if done and not args.versions else
                    f"{len(done)} chosen releases: {', '.join(done)}",
        "finders": {k: sorted(v, key=_key) for k, v in sorted(table.items())},
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0 if done else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
