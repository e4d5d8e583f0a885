"""Red team 32s-2: ``verify --artifacts`` reads a listed setuptools editable finder statically.

The accepted ``.pth`` line ``import __editable___X_finder; __editable___X_finder.install()`` imports
a finder module whose ``MAPPING``/``NAMESPACES`` name the folders ``import`` reads: the module must
be listed in the site folder, parse to setuptools' template shape, and every target is judged like a
``.pth`` path line (outside DIR fails in every mode). Real finders are made by the real setuptools
(``build_editable``, PEP 660), and each attack is proved with the venv's real interpreter.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlbom.artifacts import check_folder, editable_finder_digest
from tests.test_artifacts_rt26s import _doc, _project
from tests.test_artifacts_rt29s import _files, _site, _venv
from tests.test_artifacts_rt30s import _marker_runs

PAYLOAD = "import os; open(os.path.join(os.path.dirname(__file__), 'PWNED'), 'w').close()\nWHO = 'payload'\n"

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX layout")


def _editable(root: Path, src: Path, tmp: Path) -> tuple[Path, Path, Path]:
    """A real venv in ``root`` with project ``src`` (package ``mypkg``) installed editable by the real
    setuptools: ``build_editable`` in a subprocess, the wheel unpacked into site-packages as an
    installer does. Returns (venv, site folder, finder module)."""
    pytest.importorskip("setuptools")
    (src / "mypkg").mkdir(parents=True)
    (src / "mypkg" / "__init__.py").write_text("WHO = 'mypkg'\n")
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\nbuild-backend = '
                                        '"setuptools.build_meta"\n[project]\nname = "mypkg"\nversion = "1.0"\n'
                                        '[tool.setuptools]\npackages = ["mypkg"]\n')
    out = tmp / "wheel"
    out.mkdir()
    got = subprocess.run([sys.executable, "-c", "import sys, setuptools.build_meta as b; "
                          "print(b.build_editable(sys.argv[1]))", str(out)],
                         cwd=src, capture_output=True, text=True, timeout=300, check=False)
    if got.returncode != 0:
        pytest.skip(f"setuptools build_editable failed: {got.stderr[-300:]}")
    for junk in ("build", "mypkg.egg-info"):
        subprocess.run(["rm", "-rf", str(src / junk)], check=False)
    venv = _venv(root)
    site = _site(venv)
    with zipfile.ZipFile(out / got.stdout.strip().splitlines()[-1]) as z:
        z.extractall(site)
    (site / "helper.py").write_text("import mypkg\nWHO = 'listed helper'\n")
    finder = next(site.glob("__editable___*_finder.py"))
    return venv, site, finder


def _problems(root: Path, listed: list[str], **kw: object) -> list[str]:
    report = check_folder(_doc(root, listed), root, **kw)  # type: ignore[arg-type]
    return report.problems()


MODES: list[dict[str, object]] = [{}, {"listed_only": True}, {"exclude": ["x"]}]


def test_a_real_editable_install_inside_dir_verifies(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    venv, _s, finder = _editable(root, root / "model" / "src", tmp_path)
    assert "/model/src/mypkg" in finder.read_text()
    listed = _files(root)
    interp = venv / "bin" / "python"
    if interp.exists():
        got = subprocess.run([str(interp), "-B", "-c", "import helper, mypkg; print(mypkg.__file__)"],
                             capture_output=True, text=True, timeout=60, check=False)
        assert got.stdout.strip() == str(root / "model" / "src" / "mypkg" / "__init__.py"), got.stderr
    for kw in MODES:
        assert _problems(root, listed, **kw) == [], kw


def test_an_editable_finder_mapping_outside_dir_fails_every_mode(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    outside = tmp_path / "outside"
    venv, _s, finder = _editable(root, outside, tmp_path)
    listed = _files(root)
    (outside / "mypkg" / "__init__.py").write_text(PAYLOAD)  # the BOM does not cover it
    interp = venv / "bin" / "python"
    if interp.exists():  # the real interpreter imports the outside package for the listed helper
        assert _marker_runs(interp, "import helper", tmp_path / "outside" / "mypkg")
    rel = finder.relative_to(root).as_posix()
    for kw in MODES:
        got = _problems(root, listed, **kw)
        assert any(f"{rel}: MAPPING['mypkg']" in p and "outside the checked folder" in p for p in got), (kw, got)


def _rewrite(finder: Path, old: str, new: str) -> None:
    text = finder.read_text()
    assert old in text
    finder.write_text(text.replace(old, new, 1))


def test_an_editable_finder_namespace_outside_dir_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    venv, site, finder = _editable(root, root / "model" / "src", tmp_path)
    (tmp_path / "elsewhere" / "ns").mkdir(parents=True)
    (tmp_path / "elsewhere" / "ns" / "evil.py").write_text(PAYLOAD)
    text = finder.read_text()
    ns = re.search(r"^NAMESPACES: dict\[str, list\[str\]\] = \{\}$", text, re.M)
    assert ns is not None
    _rewrite(finder, ns.group(0), f"NAMESPACES: dict[str, list[str]] = {{'ns': [{str(tmp_path / 'elsewhere' / 'ns')!r}]}}")
    (site / "helper.py").write_text("import ns.evil\n")
    listed = _files(root)
    interp = venv / "bin" / "python"
    if interp.exists():
        assert _marker_runs(interp, "import helper", tmp_path / "elsewhere")
    for kw in MODES:
        assert any("NAMESPACES['ns']" in p and "outside the checked folder" in p
                   for p in _problems(root, listed, **kw)), kw


@pytest.mark.parametrize("extra", [
    "import sys; sys.path.insert(0, {out!r})\n",  # module-level code beyond the template
    "def install():\n    import sys; sys.path.insert(0, {out!r})\n",  # a second install()
])
def test_an_editable_finder_not_in_setuptools_shape_fails(tmp_path: Path, extra: str) -> None:
    root = _project(tmp_path, {})
    venv, _s, finder = _editable(root, root / "model" / "src", tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "sitecustomize.py").write_text(PAYLOAD)
    finder.write_text(finder.read_text() + extra.format(out=str(tmp_path / "elsewhere")))
    listed = _files(root)
    interp = venv / "bin" / "python"
    if interp.exists():
        assert _marker_runs(interp, "import helper; import sitecustomize", tmp_path / "elsewhere")
    rel = finder.relative_to(root).as_posix()
    for kw in MODES:
        assert any(p.startswith(f"artifact refused: {rel}: not the setuptools editable finder")
                   for p in _problems(root, listed, **kw)), kw


@pytest.mark.parametrize("old,new", [
    ("MAPPING: dict[str, str] = {", "MAPPING: dict[str, str] = dict(**{"),  # not a literal
    ("PATH_PLACEHOLDER = '", "PATH_PLACEHOLDER = '/elsewhere/"),  # install() appends it to sys.path
])
def test_an_editable_finder_with_odd_values_fails(tmp_path: Path, old: str, new: str) -> None:
    root = _project(tmp_path, {})
    _v, _s, finder = _editable(root, root / "model" / "src", tmp_path)
    text = finder.read_text()
    if new.endswith("{"):
        text = re.sub(r"^(MAPPING: dict\[str, str\] = )(\{.*\})$", r"\1dict(**\2)", text, flags=re.M)
        finder.write_text(text)
    else:
        _rewrite(finder, old, new)
    listed = _files(root)
    rel = finder.relative_to(root).as_posix()
    for kw in MODES:
        assert any(p.startswith(f"artifact refused: {rel}:") for p in _problems(root, listed, **kw)), kw


def test_an_unlisted_or_shadowed_editable_finder_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    _v, site, finder = _editable(root, root / "model" / "src", tmp_path)
    listed = [p for p in _files(root) if not p.endswith("_finder.py")]
    pth = next(site.glob("__editable__.*.pth")).relative_to(root).as_posix()
    assert any(p.startswith(f"artifact refused: {pth}: imports") for p in _problems(root, listed, listed_only=True))
    (site / (finder.stem + ".abi3.so")).write_bytes(b"\x7fELF")  # an extension module wins over the .py
    listed = _files(root)
    assert any(p.startswith(f"artifact refused: {pth}:") and ".abi3.so could be imported" in p
               for p in _problems(root, listed))


@pytest.mark.parametrize("drop", ["model/src/mypkg/sub.py", "model/src/mypkg.py"])
def test_a_mapped_folder_inside_dir_is_an_import_folder(tmp_path: Path, drop: str) -> None:
    root = _project(tmp_path, {})
    venv, site, _f = _editable(root, root / "model" / "src", tmp_path)
    (site / "helper.py").write_text("import mypkg, mypkg.sub\n" if drop.endswith("sub.py") else "import mypkg\n")
    listed = _files(root)
    (root / drop).write_text(PAYLOAD)  # unlisted: --listed-only checks only what the BOM lists, and import folders
    if drop.endswith("mypkg.py"):
        (root / "model" / "src" / "mypkg" / "__init__.py").unlink()  # the finder's with_suffix candidate then
        listed.remove("model/src/mypkg/__init__.py")
    interp = venv / "bin" / "python"
    if interp.exists():
        assert _marker_runs(interp, "import helper", root / "model" / "src")
    assert any(p.startswith(f"artifact refused: {drop}") for p in _problems(root, listed, listed_only=True))


def _template_65(tmp_path: Path) -> str:
    """setuptools 65.5.0's ``_FINDER_TEMPLATE``, read (as text) from the wheel ensurepip bundles."""
    bundled = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "ensurepip" / "_bundled"
    wheels = sorted(bundled.glob("setuptools-65.5.0-*.whl"))
    if not wheels:
        pytest.skip("no setuptools 65.5.0 wheel bundled with this Python")
    with zipfile.ZipFile(wheels[0]) as z:
        text = z.read("setuptools/command/editable_wheel.py").decode()
    start = text.index('_FINDER_TEMPLATE = """\\\n') + len('_FINDER_TEMPLATE = """\\\n')
    return text[start:text.index('"""\n', start)]


@pytest.mark.parametrize("inside", [True, False])
def test_a_setuptools_65_finder_is_judged_the_same(tmp_path: Path, inside: bool) -> None:
    template = _template_65(tmp_path)
    root = _project(tmp_path, {})
    src = root / "model" / "src" if inside else tmp_path / "outside"
    venv, _s, finder = _editable(root, src, tmp_path)
    finder.write_text(template.format(name="__editable__.mypkg-1.0.finder", mapping={"mypkg": str(src / "mypkg")},
                                      namespaces={}))
    listed = _files(root)
    interp = venv / "bin" / "python"
    if interp.exists():  # the 65.5.0 finder imports the mapped package too
        (src / "mypkg" / "__init__.py").write_text(PAYLOAD)
        assert _marker_runs(interp, "import helper", src)
        (src / "mypkg" / "__init__.py").write_text("WHO = 'mypkg'\n")
        if inside:
            listed = _files(root)
    for kw in MODES:
        got = _problems(root, listed, **kw)
        assert (got == []) if inside else any("MAPPING['mypkg']" in p and "outside" in p for p in got), (kw, got)


# --- the finder table (mlbom/data/editable-finders.json, tools/editable_finders.py): digests, not setuptools' text


def _table() -> dict[str, object]:
    return json.loads((Path(__file__).parents[1] / "mlbom" / "data" / "editable-finders.json").read_text("utf-8"))


def test_the_finder_table_parses_and_every_key_is_a_sha256() -> None:
    doc = _table()
    finders = doc["finders"]
    assert isinstance(finders, dict) and finders
    for key, versions in finders.items():
        assert re.fullmatch(r"[0-9a-f]{64}", key), key
        assert isinstance(versions, list) and versions and all(re.fullmatch(r"\d+(\.\d+)*", v) for v in versions)
    assert doc["tool"] == "tools/editable_finders.py" and doc["rerun"] and doc["generated"]
    shipped = [v for vs in finders.values() for v in vs]
    assert len(shipped) == len(set(shipped)) and "64.0.0" in shipped and "65.5.0" in shipped


def _rendered() -> str:
    """The finder the venv's real setuptools renders (``_finder_template``, the function build_editable calls)."""
    pytest.importorskip("setuptools")
    from setuptools.command.editable_wheel import _finder_template  # the loader under test, not mlbom code

    return _finder_template("__editable__.mypkg-1.0.finder", {"mypkg": "/src/mypkg", "b": "/src/b"}, {"ns": ["/src/ns"]})


def test_the_real_setuptools_finder_digest_is_in_the_table() -> None:
    digest = editable_finder_digest(_rendered())
    assert digest is not None and digest in _table()["finders"]  # type: ignore[operator]


@pytest.mark.parametrize("extra", [
    "import os\n",  # one extra statement
    "MAPPING['x'] = '/elsewhere'\n",  # a value changed after the literal
    "# only a comment\n",  # layout and comments do not count: still the same digest
])
def test_one_extra_statement_changes_the_finder_digest(extra: str) -> None:
    text = _rendered()
    digest = editable_finder_digest(text + extra)
    assert (digest == editable_finder_digest(text)) if extra.startswith("#") else (digest not in _table()["finders"])  # type: ignore[operator]


def test_the_finder_digest_needs_each_value_once_and_survives_deep_trees() -> None:
    text = _rendered()
    assert editable_finder_digest(text.replace("NAMESPACES", "NAMESPACE")) is None
    assert editable_finder_digest(text + "MAPPING = {}\n") is None  # a second MAPPING at module level
    assert editable_finder_digest(text + "y = " + "+".join(["1"] * 100_000) + "\n") is None  # ast.parse gives up
    deep = editable_finder_digest(text + "y = " + "+".join(["1"] * 2000) + "\n")  # parses; ast.dump would recurse out
    assert deep is not None and deep not in _table()["finders"]  # type: ignore[operator]
    assert editable_finder_digest(b"\xff\xfe garbage") is None


def test_an_empty_namespace_also_in_mapping_fails(tmp_path: Path) -> None:
    """setuptools < 70 finders (here 65.5.0's, accepted by digest) give a name that NAMESPACES lists empty
    and MAPPING maps the str MAPPING[name] as __path__: the import system searches each character as a
    folder, '/' and working-folder-relative ones included, though the target lies inside DIR."""
    template = _template_65(tmp_path)
    root = _project(tmp_path, {})
    src = root / "model" / "src"
    venv, site, finder = _editable(root, src, tmp_path)
    (src / "mypkg" / "__init__.py").unlink()  # a namespace now: PathFinder asks the finder's path hook
    target = str(src / "mypkg")
    finder.write_text(template.format(name="__editable__.mypkg-1.0.finder", mapping={"mypkg": target},
                                      namespaces={"mypkg": []}))
    letter = next(c for c in target if c.isalpha())
    cwd = tmp_path / "cwd"
    (cwd / letter).mkdir(parents=True)
    (cwd / letter / "evil.py").write_text(PAYLOAD)
    (site / "helper.py").write_text("import mypkg.evil\n")
    listed = _files(root)
    interp = venv / "bin" / "python"
    if interp.exists():
        assert _marker_runs(interp, "import helper", cwd / letter)
    rel = finder.relative_to(root).as_posix()
    for kw in MODES:
        assert any(p.startswith(f"artifact refused: {rel}: NAMESPACES['mypkg'] is empty")
                   for p in _problems(root, listed, **kw)), kw
