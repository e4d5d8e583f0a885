"""Red team 20f: the pyc proof of ``generate --env --verify-record``.

Each test builds a small environment (``victim`` 1.0, RECORD-installed; the helpers of
tests/test_verify_pyc.py), writes the genuine pyc with :mod:`py_compile` as pip does, forges the
body (keeping the genuine header, so importlib validates it) and reads the findings. Where the
forgery changes behaviour, a throw-away interpreter proves it.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from mlbom.collectors import _verify_record
from mlbom.formats import bytecode
from tests.test_verify_pyc import _compile, _env, _findings, _import_victim, _with

pytestmark = pytest.mark.skipif(bytecode.LAYOUT is None or sys.version_info[:2] != (3, 11),
                                reason="the forged bodies are built for CPython 3.11's marshal layout")


def _write(src: Path, text: str) -> Path:
    """``text`` as the recorded source (its RECORD row rewritten) and its genuine pyc."""
    import base64
    import hashlib

    data = text.encode()
    src.write_bytes(data)
    record = src.parent.parent / "victim-1.0.dist-info" / "RECORD"
    digest = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    rows = [f"victim/__init__.py,{digest},{len(data)}" if r.startswith("victim/__init__.py,") else r
            for r in record.read_text().splitlines()]
    record.write_text("\n".join(rows) + "\n")
    return _compile(src)


def _replace_body(pyc: Path, body: bytes) -> None:
    pyc.write_bytes(pyc.read_bytes()[:16] + body)


def _mismatch(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    found = _findings(root, tmp_path, capsys)
    hits = _with(found, "python.pyc-mismatch")
    assert len(hits) == 1 and "high" in hits[0], found
    assert not _with(found, "python.pyc-unverified"), found
    return hits[0]


# --- 20f-1: the reader accepts what marshal accepts; "unreadable" is never lenient -------------

def test_20f_1_a_dict_ending_in_a_null_value_loads_runs_and_is_a_mismatch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    marker = tmp_path / "pwned"
    evil = compile(f"open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n", str(src), "exec", dont_inherit=True)
    body = marshal.dumps(evil.replace(co_consts=(*evil.co_consts, 12345)))
    flag = next(f for f in (0, 0x80) if bytes([ord("i") | f]) + (12345).to_bytes(4, "little") in body)
    tail = bytes([ord("i") | flag]) + (12345).to_bytes(4, "little")
    assert body.count(tail) == 1
    # {None: <NULL>}: marshal's r_object ends the dict at a NULL value as at a NULL key
    body = body.replace(tail, bytes([ord("{") | flag]) + b"N0")
    assert marshal.loads(body).co_consts[-1] == {}  # (a test may call the real loader)
    _replace_body(pyc, body)
    proc = _import_victim(src.parent.parent)
    assert proc.returncode == 0 and marker.exists(), proc.stderr
    _mismatch(root, tmp_path, capsys)


def test_20f_1_a_body_marshal_refuses_is_a_mismatch_not_a_medium(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    pyc.write_bytes(pyc.read_bytes()[:40])
    assert _import_victim(src.parent.parent).returncode != 0
    assert "not the source's compile" in _mismatch(root, tmp_path, capsys)


# --- 20f-2: a __pycache__ linked out of the environment ----------------------------------------

@pytest.mark.parametrize("where", ["package", "site"])
def test_20f_2_a_pycache_linked_outside_is_still_compared(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    site = src.parent.parent
    if where == "site":  # a top-level module's pyc: site-packages/__pycache__
        top = site / "solo.py"
        top.write_bytes(b"VALUE = 1\n")
        record = site / "victim-1.0.dist-info" / "RECORD"
        import base64
        import hashlib
        digest = base64.urlsafe_b64encode(hashlib.sha256(b"VALUE = 1\n").digest()).rstrip(b"=").decode()
        record.write_text(record.read_text() + f"solo.py,sha256={digest},10\n")
        src = top
    pyc = _compile(src)
    outside = tmp_path / "outside-cache"
    pyc.parent.rename(outside)
    pyc.parent.symlink_to(outside, target_is_directory=True)
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")
    marker = tmp_path / "pwned"
    evil = compile(f"open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n", str(src), "exec", dont_inherit=True)
    _replace_body(pyc, marshal.dumps(evil))
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); "
                           f"import {src.stem if where == 'site' else 'victim'}"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and marker.exists(), proc.stderr
    _mismatch(root, tmp_path, capsys)


# --- 20f-3: marshal order and object identity are behaviour -------------------------------------

def test_20f_3_a_frozenset_written_in_another_order_is_a_mismatch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    marker = tmp_path / "pwned"
    pyc = _write(src, f"for x in {{0, 8}}:\n    pass\nif x < 4:\n    open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n")
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")
    body = pyc.read_bytes()[16:]
    at = next(body.index(k + (2).to_bytes(4, "little")) for k in (b">", b"\xbe") if k + (2).to_bytes(4, "little") in body)
    e1, e2 = body[at + 5:at + 10], body[at + 10:at + 15]
    assert e1[0] & 0x7F == e2[0] & 0x7F == ord("i")
    _replace_body(pyc, body[:at + 5] + e2 + e1 + body[at + 15:])
    proc = _import_victim(src.parent.parent)
    assert proc.returncode == 0 and marker.exists(), proc.stderr  # iterates 8, 0
    _mismatch(root, tmp_path, capsys)


def test_20f_3_an_equal_copy_of_a_merged_constant_is_a_mismatch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    marker = tmp_path / "pwned"
    text = ("def f():\n    return 'a b!'\n\ndef g():\n    return 'a b!'\n\n"
            f"if f() is not g():\n    open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n")
    pyc = _write(src, text)
    assert not _with(_findings(root, tmp_path, capsys), "python.pyc-")
    code = compile(text, str(src), "exec", dont_inherit=True)
    consts = list(code.co_consts)
    gi = next(i for i, c in enumerate(consts) if isinstance(c, types.CodeType) and c.co_name == "g")
    copy = "".join(["a b", "!"])  # equal, another object
    consts[gi] = consts[gi].replace(co_consts=tuple(copy if c == "a b!" else c for c in consts[gi].co_consts))
    _replace_body(pyc, marshal.dumps(code.replace(co_consts=tuple(consts))))
    proc = _import_victim(src.parent.parent)
    assert proc.returncode == 0 and marker.exists(), proc.stderr
    _mismatch(root, tmp_path, capsys)


# --- 20f-4: the cost is bounded by the source -----------------------------------------------------

def test_20f_4_a_huge_forged_body_is_a_quick_mismatch(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_bytes(b"VALUE = 1\n")
    body = b"(" + (1 << 20).to_bytes(4, "little") + b"N" * (1 << 20)
    start = time.process_time()
    got = bytecode.compare(body, src.read_bytes(), str(src), 0)
    assert time.process_time() - start < 0.3
    assert got.outcome == "mismatch" and "far larger" in got.reason
    # within the size bound, the object budget stops the reader: twice the compile's objects
    fresh = marshal.dumps(compile(b"VALUE = 1\n", str(src), "exec", dont_inherit=True))
    many = b"(" + (5000).to_bytes(4, "little") + b"N" * 5000
    assert len(many) < 2 * len(fresh) + bytecode.SIZE_SLACK
    got = bytecode.compare(many, src.read_bytes(), str(src), 0)
    assert got.outcome == "mismatch" and "objects" in got.reason


# --- 20f-5: compiled at a shallow stack, as importlib compiles -----------------------------------

def _deep(n: int, then: types.FunctionType) -> bytecode.PycCheck:
    return _deep(n - 1, then) if n else then()  # type: ignore[no-any-return]


def test_20f_5_a_deeply_nested_source_is_compared_even_from_a_deep_stack(tmp_path: Path) -> None:
    text = b"x = " + b"-" * 2900 + b"1\n"
    src = tmp_path / "m.py"
    src.write_bytes(text)
    genuine = subprocess.run([sys.executable, "-c", "import marshal, sys; sys.stdout.buffer.write(marshal.dumps("
                              f"compile(open({str(src)!r}, 'rb').read(), {str(src)!r}, 'exec', dont_inherit=True)))"],
                             capture_output=True, timeout=60, check=True).stdout
    forged = marshal.dumps(compile(b"x = 1\n", str(src), "exec", dont_inherit=True))
    depth = sys.getrecursionlimit() - 150  # deeper than the compile's AST limit allows here
    got = _deep(depth, lambda: bytecode.compare(genuine, text, str(src), 0))  # type: ignore[arg-type]
    assert got.outcome == "match", got
    got = _deep(depth, lambda: bytecode.compare(forged, text, str(src), 0))  # type: ignore[arg-type]
    assert got.outcome == "mismatch" and "differs" in got.reason, got


def test_20f_5_deeply_nested_constants_are_read_even_from_a_deep_stack(tmp_path: Path) -> None:
    text = b"x = " + b"(" * 150 + b"1," + b")," * 149 + b")\n"  # a constant tuple 150 deep
    src = tmp_path / "m.py"
    genuine = marshal.dumps(compile(text, "/build/m.py", "exec", dont_inherit=True))
    got = _deep(sys.getrecursionlimit() - 100, lambda: bytecode.compare(genuine, text, str(src), 0))  # type: ignore[arg-type]
    assert got.outcome == "match", got


def test_20f_5_a_source_that_cannot_be_compiled_here_is_high_not_medium(tmp_path: Path) -> None:
    text = b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n"  # the parser's own nesting limit: never compiles
    got = bytecode.compare(b"c", text, "m.py", 0)
    assert got.outcome == "mismatch"


# --- 20f-6: co_filename is ignored only where importlib rewrites it ------------------------------

def test_20f_6_a_nested_code_object_naming_another_file_is_a_mismatch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    text = "def f(x):\n    return x + 1\n\nVALUE = 1\n"
    pyc = _write(src, text)
    code = compile(text, str(src), "exec", dont_inherit=True)
    evil = tmp_path / "evil.py"
    consts = tuple(c.replace(co_filename=str(evil)) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    _replace_body(pyc, marshal.dumps(code.replace(co_consts=consts)))
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(src.parent.parent)!r}); "
                           "import victim; print(victim.f.__code__.co_filename)"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.strip() == str(evil), proc.stderr  # the import kept it: inspect/linecache read evil.py
    assert "name different files" in _mismatch(root, tmp_path, capsys)


def test_20f_6_a_pyc_compiled_under_another_path_everywhere_still_matches(tmp_path: Path) -> None:
    text = b"def f(x):\n    return lambda: x\n\nclass C:\n    def m(self):\n        pass\n"
    genuine = marshal.dumps(compile(text, "/opt/build/site-packages/victim/__init__.py", "exec", dont_inherit=True))
    assert bytecode.compare(genuine, text, str(tmp_path / "m.py"), 0).outcome == "match"


# --- the walk bound: a pyc for a recorded source is compared wherever the walk stopped -----------

def test_a_pyc_past_the_walk_bound_is_still_compared(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    pad = src.parent / "0data"  # walked before __pycache__ (sorted)
    pad.mkdir()
    for i in range(50):
        (pad / f"{i:03}.txt").write_bytes(b"")
    monkeypatch.setattr(_verify_record, "_MAX_WALK_FILES", 20)
    marker = tmp_path / "pwned"
    evil = compile(f"open({str(marker)!r}, 'w').write('x')\nVALUE = 1\n", str(src), "exec", dont_inherit=True)
    _replace_body(pyc, marshal.dumps(evil))
    found = _findings(root, tmp_path, capsys)
    assert _with(found, "python.record-unverified"), found  # the walk stopped ...
    hits = _with(found, "python.pyc-mismatch")  # ... and the pyc was compared all the same
    assert len(hits) == 1 and "high" in hits[0] and os.path.basename(pyc) in hits[0]
