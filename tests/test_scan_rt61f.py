"""Red team 61f-1: a pickle with no PROTO header whose only global names a module that is no
Python identifier was read as "not a pickle". ``__import__`` takes any name a module file on
``sys.path`` has: CPython's ``_sysconfigdata__linux_x86_64-linux-gnu`` (hyphens), mypyc's
``6ec57f84c680d3a3778b__mypyc`` (a leading digit). ``N0``, a mid-stream ``PROTO 4``, then
``STACK_GLOBAL`` of that module and ``__builtins__.get`` reach ``exec``: ``pickle.load`` ran the
code while mlbom said ``unknown`` (and, inside a cut LZMA stream of a level-4 MAT-file, ``safe``).
Text whose first line has a space or a comma (what INST and GLOBAL read as a module name from
"import os" or a CSV header) stays text: no installed module's file name has one."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats.pickle import could_resolve, read_pickle
from mlbom.formats.pickle_start import may_unpickle, reading
from mlbom.scanner import scan_bytes


def _str(s: str) -> bytes:
    raw = s.encode()
    return b"\x8c" + bytes([len(raw)]) + raw  # SHORT_BINUNICODE


def _hyphen_pickle(module: str, marker: str) -> bytes:
    code = f"open({marker!r}, 'w').write('ran')"
    return (b"N0" + b"\x80\x04" + _str(module) + _str("__builtins__.get") + b"\x93"
            + b"(" + _str("exec") + b"tR" + b"(" + _str(code) + b"tR" + b"\xff")


@pytest.mark.parametrize("module", ["_sysconfigdata__linux_x86_64-linux-gnu", "6abc__mypyc", "x-y.z"])
def test_a_module_name_import_takes_is_a_pickle(module: str) -> None:
    data = _hyphen_pickle(module, "/nonexistent/never")
    assert reading(read_pickle(io.BytesIO(data), len(data), joblib=True)) == "pickle"
    assert may_unpickle(data[:1024])
    r = scan_bytes(data, "model.bin")
    assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_the_hyphen_module_really_runs_code(tmp_path: Path) -> None:
    import sysconfig

    module = sysconfig._get_sysconfigdata_name()  # type: ignore[attr-defined]
    if module.isidentifier():
        pytest.skip("this Python's sysconfigdata module name is an identifier")
    marker = tmp_path / "ran"
    data = _hyphen_pickle(module, str(marker))
    run = subprocess.run([sys.executable, "-c", "import pickle, sys\ntry: pickle.loads(sys.stdin.buffer.read())\n"
                          "except Exception: pass"], input=data, capture_output=True, timeout=60)
    assert run.returncode == 0
    assert marker.read_text() == "ran"  # the loader ran it: the scan must not call it anything less than unsafe
    assert scan_bytes(data, "model.pkl").verdict == "unsafe"


@pytest.mark.parametrize(("module", "name", "resolvable"), [
    ("os", "system", True), ("x-y", "f", True), ("6abc", "f", True), ("café", "thé", False), ("os", "thé", False),
    ("a.b-c", "d.e", True),
    ("", "f", False), (".x", "f", False), ("a..b", "f", False), ("mport os", "mport sys", False),
    ("d,label,text", "1,2,3", False), ("a/b", "f", False), ("x\x00", "f", False), ("test_build", "----------", False)])
def test_could_resolve(module: str, name: str, resolvable: bool) -> None:
    assert could_resolve(module, name) is resolvable


@pytest.mark.parametrize("text", [b"import os\nimport sys\nprint(1)\n", b"caption,label\nx,y\n",
                                  b"create a model\nthen train it\n", b"id,label,text\n1,2,3\n",
                                  b"ctest_build\n-----------\n\nRun the build.\n",
                                  b"click-8.5.1.dist-info/INSTALLER,sha256=zuuue4knoyJ,4\nclick/__init__.py,,\n"])
def test_text_that_starts_like_opcodes_stays_text(text: bytes) -> None:
    r = scan_bytes(text, "notes.txt")
    assert r.verdict == "safe", [f.message for f in r.findings]
