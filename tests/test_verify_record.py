"""``generate --env --verify-record``: what it checks in an environment (red team 15b-1, 15b-2).

Each test builds a small fake environment in ``tmp_path`` (``pyvenv.cfg`` and one
site-packages folder with a distribution ``victim`` whose RECORD is written here), tampers
with it the way the red team did, and reads the findings of the BOM.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from tests.helpers import verify_record_findings

GOOD = b"VALUE = 1\n"
EVIL = b"open('/tmp/pwned', 'w').write('x')\nVALUE = 1\n"


def _b64(alg: str, data: bytes) -> str:
    return f"{alg}=" + base64.urlsafe_b64encode(hashlib.new(alg, data).digest()).rstrip(b"=").decode()


def _env(root: Path, *, alg: str = "sha256", extra_rows: str = "") -> Path:
    """A venv at ``root`` with ``victim`` 1.0 installed and its RECORD hashed with ``alg``."""
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "victim").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    (site / "victim" / "__init__.py").write_bytes(GOOD)
    info = site / "victim-1.0.dist-info"
    info.mkdir()
    meta = b"Metadata-Version: 2.1\nName: victim\nVersion: 1.0\n"
    (info / "METADATA").write_bytes(meta)
    rows = [f"victim/__init__.py,{_b64(alg, GOOD)},{len(GOOD)}",
            f"victim-1.0.dist-info/METADATA,{_b64(alg, meta)},{len(meta)}",
            "victim-1.0.dist-info/RECORD,,"]
    (info / "RECORD").write_text("\n".join(rows) + "\n" + extra_rows)
    return site


def _findings(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    return verify_record_findings(root, tmp_path, capsys)


def _ids(findings: list[str], prefix: str) -> list[str]:
    return [f for f in findings if prefix in f]


# --- 15b-1: every row is checked with its own algorithm ------------------------------------------

@pytest.mark.parametrize("alg", ["sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b", "blake2s"])
def test_15b1_a_module_changed_after_install_is_found_whatever_the_record_algorithm(
        alg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env", alg=alg)
    assert not _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-")  # intact: silent
    (site / "victim" / "__init__.py").write_bytes(EVIL)
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-mismatch")
    assert len(found) == 1 and "victim/__init__.py" in found[0] and alg in found[0], found


@pytest.mark.parametrize("alg", ["md5", "sha1", "sha224"])
def test_15b1_a_weak_record_hash_is_reported_and_still_checked(alg: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env", alg=alg)
    found = _findings(tmp_path / "env", tmp_path, capsys)
    assert len(_ids(found, "python.record-weak-hash")) == 1 and not _ids(found, "python.record-mismatch")
    (site / "victim" / "__init__.py").write_bytes(EVIL)
    assert _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-mismatch")


@pytest.mark.parametrize("field", ["shake_128=AAAA", "whirlpool=AAAA", ""])
def test_15b1_a_row_with_an_unknown_algorithm_or_no_hash_is_unverified_not_skipped(
        field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env", extra_rows=f"victim/extra.py,{field},3\n")
    (site / "victim" / "extra.py").write_text("x=1")
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-unverified")
    assert len(found) == 1 and "victim/extra.py" in found[0], found


# --- 15b-2: code the interpreter runs that no RECORD row vouches for -----------------------------

def _pth_row(site: Path, name: str, data: bytes) -> None:
    (site / name).write_bytes(data)
    with (site / "victim-1.0.dist-info" / "RECORD").open("a") as f:
        f.write(f"{name},{_b64('sha256', data)},{len(data)}\n")


@pytest.mark.parametrize("text", [b"import os\n", b"# c\n\nimport\tos; print(1)\n", b"foo\rimport os\n", b"a\r\nimport os"])
def test_15b2_a_pth_with_an_import_line_no_record_lists_is_high(text: bytes, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env")
    (site / "zzz-evil.pth").write_bytes(text)
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pth-code")
    assert len(found) == 1 and found[0].startswith("high") and "zzz-evil.pth" in found[0] and "import" in found[0]


@pytest.mark.parametrize("text", [b"extra\n", b" import os\n", b"#import os\n", b"importos\n"])
def test_15b2_a_pth_that_site_does_not_execute_is_not_reported(text: bytes, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env")
    (site / "paths.pth").write_bytes(text)
    assert not _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pth-code")


def test_15b2_a_recorded_pth_is_low_and_a_changed_one_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env")
    _pth_row(site, "victim.pth", b"import victim\n")
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pth-code")
    assert len(found) == 1 and found[0].startswith("low") and "matches RECORD" in found[0]
    (site / "victim.pth").write_bytes(b"import os; os.system('id')\n")
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pth-code")
    assert len(found) == 1 and found[0].startswith("high")


def test_15b2_a_pth_the_interpreter_runs_is_the_one_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Proof on the real loader: ``site.addsitedir`` (in a throw-away subprocess) runs the line."""
    import subprocess
    import sys

    site = _env(tmp_path / "env")
    marker = tmp_path / "marker"
    (site / "zzz-evil.pth").write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n")
    subprocess.run([sys.executable, "-S", "-c", f"import site; site.addsitedir({str(site)!r})"], check=True, timeout=60)
    assert marker.exists()
    assert _ids(_findings(tmp_path / "env", tmp_path, capsys), "high python.pth-code")


def _pyc(site: Path, mode: str) -> Path:
    import py_compile
    import sys

    src = site / "victim" / "__init__.py"
    cache = site / "victim" / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc"
    py_compile.compile(str(src), cfile=str(cache), doraise=True,
                       invalidation_mode=getattr(py_compile.PycInvalidationMode, mode))
    with (site / "victim-1.0.dist-info" / "RECORD").open("a") as f:
        f.write(f"victim/__pycache__/{cache.name},,\n")  # what pip writes for bytecode
    return cache


def test_15b2_b_an_unchecked_hash_pyc_is_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    site = _env(tmp_path / "env")
    marker = tmp_path / "marker"
    real = site / "victim" / "__init__.py"
    real.write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n")
    _pyc(site, "UNCHECKED_HASH")
    real.write_bytes(GOOD)  # the source matches RECORD again; the cached bytecode does not
    subprocess.run([sys.executable, "-c", "import victim"], check=True, timeout=60, env={"PYTHONPATH": str(site)})
    assert marker.exists()  # the real importer ran the bytecode, not the source
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pyc-unchecked")
    assert len(found) == 1 and found[0].startswith("high") and "__init__" in found[0]


@pytest.mark.parametrize("mode", ["TIMESTAMP", "CHECKED_HASH"])
def test_15b2_b_a_pyc_importlib_revalidates_is_not_reported(mode: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env")
    _pyc(site, mode)
    found = _findings(tmp_path / "env", tmp_path, capsys)
    assert not _ids(found, "python.pyc-unchecked") and not _ids(found, "python.unrecorded-code")


@pytest.mark.parametrize("name", ["evil.py", "sub/evil.py", "_c.cpython-311-x86_64-linux-gnu.so", "old.pyc"])
def test_15b2_c_an_importable_file_no_record_lists_is_high(name: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env")
    target = site / "victim" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"x")
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high") and name in found[0], found


@pytest.mark.parametrize("name", ["sitecustomize.py", "usercustomize.py"])
def test_15b2_c_an_unrecorded_startup_module_is_high(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env")
    (site / name).write_text("import os\n")
    (site / "victim" / "data.txt").write_text("not code")  # not importable: not reported
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and name in found[0], found


@pytest.mark.parametrize(("text", "severity"), [
    (b"import _virtualenv\n", "medium"),
    (b"# virtualenv\nimport _virtualenv\n", "medium"),
    (b"import _virtualenv; import os\n", "high"),  # more than virtualenv's hook runs
    (b"import _virtualenv\nimport os\n", "high"),
    (b"import _virtualenv\n/somewhere/else\n", "high"),  # a path entry virtualenv never writes
])
def test_virtualenvs_own_startup_hook_is_medium_with_its_module_digest(
        text: bytes, severity: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """virtualenv writes ``_virtualenv.pth`` (``import _virtualenv``) and ``_virtualenv.py`` into
    every environment it makes; no RECORD lists them. That exact hook is reported below the usual
    gate (medium) with the module's SHA-256; anything more in the file is high like any other."""
    site = _env(tmp_path / "env")
    (site / "_virtualenv.pth").write_bytes(text)
    (site / "_virtualenv.py").write_bytes(b"# virtualenv's patches\n")
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pth-code")
    assert len(found) == 1 and found[0].startswith(severity), found
    if severity == "medium":
        digest = hashlib.sha256(b"# virtualenv's patches\n").hexdigest()
        assert f"(SHA-256 {digest})" in found[0] and "FileDigest" not in found[0]
