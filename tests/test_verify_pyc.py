"""``--verify-record`` proves each ``__pycache__`` pyc importlib would load is its source's
bytecode (the forged-pyc hole: pip writes pyc rows in RECORD without a hash, and importlib
checks only the header — the source's mtime and size, or its hash — never the bytecode).

Each test builds a small environment in ``tmp_path`` (``victim`` 1.0 with a RECORD), compiles
its module with :mod:`py_compile` the way pip does, forges or damages the pyc, and reads the
findings; the attack tests prove in a subprocess that Python runs the forged code.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import marshal
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import bytecode
from tests.helpers import verify_record_findings

pytestmark = pytest.mark.skipif(bytecode.LAYOUT is None, reason="no code-object layout for this Python")

GOOD = b"VALUE = 1\n"
MODES = {
    "timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
    "checked-hash": py_compile.PycInvalidationMode.CHECKED_HASH,
}


def _b64(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _env(root: Path) -> Path:
    """A venv for this Python at ``root`` with ``victim`` 1.0; returns victim/__init__.py."""
    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    site = root / "lib" / f"python{ver}" / "site-packages"
    (site / "victim").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(f"home = /usr/bin\ninclude-system-site-packages = false\nversion = {ver}.0\n")
    src = site / "victim" / "__init__.py"
    src.write_bytes(GOOD)
    info = site / "victim-1.0.dist-info"
    info.mkdir()
    meta = b"Metadata-Version: 2.1\nName: victim\nVersion: 1.0\n"
    (info / "METADATA").write_bytes(meta)
    rows = [f"victim/__init__.py,{_b64(GOOD)},{len(GOOD)}",
            f"victim-1.0.dist-info/METADATA,{_b64(meta)},{len(meta)}",
            f"victim/__pycache__/{os.path.basename(importlib.util.cache_from_source(str(src)))},,",
            "victim-1.0.dist-info/RECORD,,"]
    (info / "RECORD").write_text("\n".join(rows) + "\n")
    return src


def _compile(src: Path, mode: str = "timestamp", optimize: int = -1, dfile: str | None = None) -> Path:
    opt = "" if optimize <= 0 else optimize
    cfile = importlib.util.cache_from_source(str(src), optimization=opt)
    py_compile.compile(str(src), cfile=cfile, dfile=dfile, doraise=True, invalidation_mode=MODES[mode],
                       optimize=optimize)
    return Path(cfile)


def _forge(pyc: Path, source: bytes, filename: str, optimize: int = 0) -> None:
    """Keep the genuine header (so importlib validates it), replace the bytecode."""
    head = pyc.read_bytes()[:16]
    code = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
    pyc.write_bytes(head + marshal.dumps(code))


def _findings(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    return verify_record_findings(root, tmp_path, capsys)


def _with(findings: list[str], finding_id: str) -> list[str]:
    return [f for f in findings if finding_id in f]


def _import_victim(site: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """Import ``victim`` the way the environment would (a throw-away interpreter)."""
    return subprocess.run([sys.executable, "-I", *flags, "-c", f"import sys; sys.path.insert(0, {str(site)!r}); "
                           "import victim; print(victim.VALUE)"],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("optimize", [0, 1])
def test_a_forged_pyc_with_the_genuine_header_runs_and_is_found(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str, optimize: int) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src, mode, optimize)
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-"), "untouched pyc is fine"
    marker = tmp_path / "pwned"
    _forge(pyc, f"open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n".encode(), str(src), optimize)
    # the proof: Python runs the forged bytecode, while every RECORD row still verifies
    proc = _import_victim(src.parent.parent, *(["-O"] if optimize else []))
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()
    found = _findings(root, tmp_path, capsys)
    hits = _with(found, "python.pyc-mismatch")
    assert len(hits) == 1 and "high" in hits[0] and pyc.name in hits[0]
    assert "does not hold" in hits[0]
    assert not _with(found, "python.record-mismatch")


def test_a_forged_pyc_whose_header_no_longer_validates_is_not_used_and_not_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    marker = tmp_path / "pwned"
    _forge(pyc, f"open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n".encode(), str(src))
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # the source is newer: stale
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")
    proc = _import_victim(src.parent.parent, "-B")
    assert proc.returncode == 0 and not marker.exists()  # importlib recompiled the source


def test_a_relocated_environment_compiled_under_another_path_is_fine(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src, dfile="/opt/elsewhere/site-packages/victim/__init__.py")
    fresh = marshal.dumps(compile(GOOD, str(src), "exec", dont_inherit=True))
    assert pyc.read_bytes()[16:] != fresh  # only co_filename differs: the canonical reading decides
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")


def test_an_unchecked_hash_pyc_stays_its_own_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    py_compile.compile(str(src), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    found = _findings(root, tmp_path, capsys)
    assert len(_with(found, "python.pyc-unchecked")) == 1
    assert not _with(found, "python.pyc-mismatch") and not _with(found, "python.pyc-unverified")


def test_a_source_that_does_not_compile_with_a_valid_pyc_runs_the_pyc(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    head = pyc.read_bytes()[:16]
    broken = b"VALUE = (\n"
    assert len(broken) == len(GOOD)
    st = src.stat()
    src.write_bytes(broken)  # same size, same mtime: the header still validates
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert pyc.read_bytes()[:16] == head
    assert _import_victim(src.parent.parent).stdout.strip() == "1"  # the pyc ran
    hits = _with(_findings(root, tmp_path, capsys), "python.pyc-mismatch")
    assert len(hits) == 1 and "does not compile" in hits[0]


def test_a_truncated_body_is_a_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The import fails here, but the reader's opinion of what marshal does is never a reason
    for leniency (red team 20f-1): a body that is not the source's compile is high."""
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    pyc.write_bytes(pyc.read_bytes()[:40])
    proc = _import_victim(src.parent.parent)
    assert proc.returncode != 0 and ("EOFError" in proc.stderr or "ValueError" in proc.stderr)
    found = _findings(root, tmp_path, capsys)
    hits = _with(found, "python.pyc-mismatch")
    assert len(hits) == 1 and "high" in hits[0] and "not the source's compile" in hits[0]
    assert not _with(found, "python.pyc-unverified")


def test_bytecode_of_another_magic_is_not_what_this_environment_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The environment's Python is mlbom's minor version (pyvenv.cfg ``version``), so its magic
    is known: a pyc with another magic fails importlib's ``_classify_pyc`` and the source is
    compiled instead. Nothing to report (red team 20d: the folder's interpreter is never run)."""
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    data = pyc.read_bytes()
    other = (int.from_bytes(bytecode.MAGIC[:2], "little") - 1).to_bytes(2, "little") + bytecode.MAGIC[2:]
    pyc.write_bytes(other + data[4:])
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")


def test_bytecode_for_another_python_cannot_be_compared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An environment of another minor version: its magic is not known here, and a pyc under its
    cache tag cannot be compared with a compile by mlbom's Python."""
    root = tmp_path / "venv"
    src = _env(root)
    other_minor = f"{sys.version_info[0]}.{sys.version_info[1] - 1}"
    cfg = root / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace(f"version = {sys.version_info[0]}.{sys.version_info[1]}.0",
                                           f"version = {other_minor}.0"))
    pyc = _compile(src)
    data = pyc.read_bytes()
    tag = f"cpython-{other_minor.replace('.', '')}"
    other = (int.from_bytes(bytecode.MAGIC[:2], "little") - 1).to_bytes(2, "little") + bytecode.MAGIC[2:]
    forged = pyc.with_name(pyc.name.replace(sys.implementation.cache_tag, tag))
    forged.write_bytes(other + data[4:])
    pyc.unlink()
    hits = _with(_findings(root, tmp_path, capsys), "python.pyc-unverified")
    assert len(hits) == 1 and "another Python" in hits[0] and "environment's interpreter" in hits[0]


def test_pycs_of_another_cache_tag_or_without_source_are_not_looked_at(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    junk = b"\x00" * 40
    (pyc.parent / "victim.cpython-29.pyc").write_bytes(junk)  # another interpreter's cache
    (pyc.parent / f"gone.{sys.implementation.cache_tag}.pyc").write_bytes(pyc.read_bytes()[:16] + junk)
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")


def test_a_top_level_module_pyc_in_site_packages_is_compared_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``site-packages/__pycache__/solo.<tag>.pyc`` for a distribution's top-level ``solo.py``
    lies outside every package folder the RECORD walk visits."""
    root = tmp_path / "venv"
    src = _env(root)
    site = src.parent.parent
    solo = site / "solo.py"
    solo.write_bytes(GOOD)
    record = site / "victim-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + f"solo.py,{_b64(GOOD)},{len(GOOD)}\n")
    pyc = _compile(solo)
    assert pyc.parent == site / "__pycache__"
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")
    marker = tmp_path / "pwned"
    _forge(pyc, f"open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n".encode(), str(solo))
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); import solo"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and marker.exists()
    hits = _with(_findings(root, tmp_path, capsys), "python.pyc-mismatch")
    assert len(hits) == 1 and "victim 1.0" in hits[0] and "solo" in hits[0]


def test_a_stale_pyc_of_another_python_is_not_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    data = pyc.read_bytes()
    other = (int.from_bytes(bytecode.MAGIC[:2], "little") - 1).to_bytes(2, "little") + bytecode.MAGIC[2:]
    pyc.write_bytes(other + data[4:8] + b"\x00" * 8 + data[16:])  # mtime 0, size 0: stale
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")
