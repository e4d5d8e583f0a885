"""The static marshal reader behind ``--verify-record``'s pyc check (mlbom.formats.bytecode).

It reads hostile bytes: every failure is a :class:`BytecodeError`, never another exception,
and what it calls equal must be the same code (fresh compiles of the stdlib, by two paths).
"""

from __future__ import annotations

import contextlib
import glob
import marshal
import os
import random
import sysconfig
from pathlib import Path

import pytest

from mlbom.formats import bytecode
from mlbom.formats.bytecode import BytecodeError, canonical_digest

pytestmark = pytest.mark.skipif(bytecode.LAYOUT is None, reason="no code-object layout for this Python")


def _stdlib_sources(n: int) -> list[str]:
    lib = sysconfig.get_paths()["stdlib"]
    return sorted(glob.glob(os.path.join(lib, "*.py")))[:n]


def test_fresh_compiles_by_two_paths_are_equal_and_another_source_differs() -> None:
    checked = 0
    for src in _stdlib_sources(40):
        with open(src, "rb") as fh:
            data = fh.read()
        try:
            a = marshal.dumps(compile(data, src, "exec", dont_inherit=True))
        except SyntaxError:
            continue
        b = marshal.dumps(compile(data, "/elsewhere/relocated.py", "exec", dont_inherit=True))
        c = marshal.dumps(compile(data + b"\n_extra = 1\n", src, "exec", dont_inherit=True))
        assert a != b  # co_filename is in the bytes ...
        assert canonical_digest(a) == canonical_digest(b)  # ... and ignored by the digest
        assert canonical_digest(a).is_code
        assert canonical_digest(a) != canonical_digest(c)
        checked += 1
    assert checked >= 30


def test_optimize_levels_and_docstrings_are_part_of_the_code() -> None:
    src = b'"""doc"""\nassert x\ndef f():\n    "fdoc"\n    return 1\n'
    digests = {canonical_digest(marshal.dumps(compile(src, "m.py", "exec", dont_inherit=True, optimize=o))).digest
               for o in (0, 1, 2)}
    assert len(digests) == 3


def _z(text: bytes, code: str = "z", flag: int = 0) -> bytes:
    c = ord(code) | flag
    if code in "zZ":
        return bytes([c, len(text)]) + text
    return bytes([c]) + len(text).to_bytes(4, "little") + text


@pytest.mark.parametrize("code", ["z", "Z", "a", "A", "u", "t"])
def test_every_string_type_and_interning_read_alike(code: str) -> None:
    assert canonical_digest(_z(b"name", code)) == canonical_digest(_z(b"name", "u"))
    assert canonical_digest(_z(b"name", code)) != canonical_digest(_z(b"other", "u"))


def test_references_resolve_to_what_they_name() -> None:
    # (FLAG_REF 'name', r 0) against ('name', 'name'): the same tuple
    shared = b")\x02" + _z(b"name", "Z", 0x80) + b"r" + (0).to_bytes(4, "little")
    plain = b")\x02" + _z(b"name") + _z(b"name")
    assert canonical_digest(shared) == canonical_digest(plain)
    other = b")\x02" + _z(b"name") + _z(b"nope")
    assert canonical_digest(shared) != canonical_digest(other)


def test_ints_read_alike_in_either_encoding_and_sets_in_any_order() -> None:
    small = b"i" + (70000).to_bytes(4, "little", signed=True)
    digits = 70000 & 0x7FFF, 70000 >> 15
    long_form = b"l" + (2).to_bytes(4, "little", signed=True) + b"".join(d.to_bytes(2, "little") for d in digits)
    assert canonical_digest(small) == canonical_digest(long_form)
    assert canonical_digest(marshal.dumps(-5)) != canonical_digest(marshal.dumps(5))
    assert canonical_digest(marshal.dumps(2**100)) == canonical_digest(marshal.dumps(2**100))
    a = b">" + (2).to_bytes(4, "little") + _z(b"x") + _z(b"y")
    b = b">" + (2).to_bytes(4, "little") + _z(b"y") + _z(b"x")
    assert canonical_digest(a) == canonical_digest(b)
    assert not canonical_digest(a).is_code


@pytest.mark.parametrize(("data", "malformed"), [
    (b"", True),                                             # nothing
    (b"c" + b"\x00" * 10, True),                              # a code object cut short
    (b"\x01", True),                                          # unknown type code
    (b"?", True),                                             # TYPE_UNKNOWN
    (b"0", True),                                             # NULL where an object is expected
    (b"r" + (3).to_bytes(4, "little"), True),                 # reference to nothing
    (b"(" + (0x7FFFFFFF).to_bytes(4, "little"), True),        # a 2-billion tuple in 5 bytes
    (b"s" + (0x7FFFFFFF).to_bytes(4, "little"), True),        # a 2 GiB bytes object in 5 bytes
    (b"(" + (0xFFFFFFFF).to_bytes(4, "little"), True),        # negative size
    (b"l" + (1).to_bytes(4, "little") + b"\xff\xff", True),   # digit out of range
    (b"l" + (1).to_bytes(4, "little") + b"\x00\x00", True),   # unnormalized
    (b"u" + (1).to_bytes(4, "little") + b"\xff", True),       # not UTF-8
    (b"\xa9\x01" + b"r" + (0).to_bytes(4, "little"), False),  # a tuple holding itself
    (b")\x01" * 5000 + b"N", False),                          # nested past the bound
])
def test_hostile_data_is_a_bytecode_error(data: bytes, malformed: bool) -> None:
    with pytest.raises(BytecodeError) as info:
        canonical_digest(data)
    assert info.value.malformed is malformed


def test_random_and_mutated_bytes_raise_only_bytecode_error() -> None:
    rng = random.Random(18)
    seed = marshal.dumps(compile(b"import os\ndef f(a, *, b=1.5):\n    return {a, b, 'x', 2**80}\n",
                                 "m.py", "exec", dont_inherit=True))
    for i in range(3000):
        if i % 2:
            data = bytearray(seed)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            if i % 3 == 0:
                data = data[:rng.randrange(len(data))]
        else:
            data = bytearray(rng.randbytes(rng.randint(0, 64)))
        with contextlib.suppress(BytecodeError):
            canonical_digest(bytes(data))


def test_trailing_bytes_are_ignored_as_marshal_ignores_them() -> None:
    body = marshal.dumps(compile(b"x = 1\n", "m.py", "exec", dont_inherit=True))
    assert canonical_digest(body + b"garbage") == canonical_digest(body)


@pytest.mark.parametrize(("name", "want"), [
    ("mod.cpython-311.pyc", ("mod", 0)),
    ("mod.cpython-311.opt-1.pyc", ("mod", 1)),
    ("mod.cpython-311.opt-2.pyc", ("mod", 2)),
    ("mod.cpython-311.opt-3.pyc", ("mod", 2)),
    ("a.b.cpython-311.pyc", ("a.b", 0)),
    ("mod.cpython-310.pyc", None),
    ("mod.cpython-311.opt-x.pyc", None),
    ("mod.pyc", None),
    ("mod.cpython-311.py", None),
])
def test_split_name(name: str, want: tuple[str, int] | None) -> None:
    assert bytecode.split_name(name, "cpython-311") == want


def test_check_pycs_in_worker_processes_gives_the_same_answers_in_order(tmp_path: Path) -> None:
    import importlib.util
    import py_compile

    items: list[tuple[str, str, int]] = []
    for i in range(150):
        src = tmp_path / f"m{i}.py"
        src.write_text(f"X = {i}\n")
        pyc = importlib.util.cache_from_source(str(src))
        py_compile.compile(str(src), cfile=pyc, doraise=True)
        if i % 7 == 0:  # forge some: the genuine header, another module's bytecode
            with open(pyc, "r+b") as fh:
                fh.seek(16)
                fh.write(marshal.dumps(compile(f"X = {i + 1}\n", str(src), "exec", dont_inherit=True)))
        items.append((pyc, str(src), 0))
    one = bytecode.check_pycs(items, bytecode.MAGIC)
    assert [c.outcome for c in one] == ["mismatch" if i % 7 == 0 else "match" for i in range(150)]
    assert bytecode.check_pycs(items, bytecode.MAGIC, workers=2) == one
