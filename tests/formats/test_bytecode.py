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
        assert canonical_digest(a) == canonical_digest(b)  # ... and its text ignored by the digest
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


@pytest.mark.parametrize(("code", "same"), [("z", "u"), ("a", "u"), ("Z", "t"), ("A", "t")])
def test_string_types_read_alike_where_the_loader_makes_the_same_string(code: str, same: str) -> None:
    assert canonical_digest(_z(b"a b", code)) == canonical_digest(_z(b"a b", same))
    assert canonical_digest(_z(b"a b", code)) != canonical_digest(_z(b"nope", same))


def test_interned_ness_is_kept_except_for_the_loader_s_one_character_singletons() -> None:
    # red team 20f-3: marshal interns t/A/Z, sys.intern(s) is s tells them apart
    assert canonical_digest(_z(b"a b", "u")) != canonical_digest(_z(b"a b", "t"))
    assert canonical_digest(_z(b"{", "z")) == canonical_digest(_z(b"{", "Z"))
    assert canonical_digest(_z(b"", "z")) == canonical_digest(_z(b"", "Z"))


def _ref(n: int) -> bytes:
    return b"r" + n.to_bytes(4, "little")


def test_references_keep_object_identity_but_not_the_flag() -> None:
    # red team 20f-3: (x, x) with one object is not (x, copy of x): `t[0] is t[1]` differs
    shared = b")\x02" + _z(b"a b", "z", 0x80) + _ref(0)
    copies = b")\x02" + _z(b"a b") + _z(b"a b")
    assert canonical_digest(shared) != canonical_digest(copies)
    # FLAG_REF on an object nothing refers to changes nothing (the writer's reference counts)
    assert canonical_digest(b")\x02" + _z(b"a b", "z", 0x80) + _z(b"c")) == canonical_digest(b")\x02" + _z(b"a b") + _z(b"c"))
    # a reference names the object by where it is, not by its slot number
    two = b")\x03" + _z(b"x", "z", 0x80) + _z(b"y", "z", 0x80) + _ref(1)
    skip = b")\x03" + _z(b"x") + _z(b"y", "z", 0x80) + _ref(0)
    assert canonical_digest(two) == canonical_digest(skip)
    assert canonical_digest(two) != canonical_digest(b")\x03" + _z(b"x", "z", 0x80) + _z(b"y", "z", 0x80) + _ref(0))


def test_ints_by_value_and_cache_and_sets_in_marshal_order() -> None:
    small = b"i" + (70000).to_bytes(4, "little", signed=True)
    digits = 70000 & 0x7FFF, 70000 >> 15
    long_form = b"l" + (2).to_bytes(4, "little", signed=True) + b"".join(d.to_bytes(2, "little") for d in digits)
    assert canonical_digest(small) != canonical_digest(long_form)  # marshal never writes the second
    assert canonical_digest(b"i" + (5).to_bytes(4, "little")) != canonical_digest(b"l\x01\x00\x00\x00\x05\x00")
    assert canonical_digest(marshal.dumps(-5)) != canonical_digest(marshal.dumps(5))
    assert canonical_digest(marshal.dumps(2**100)) == canonical_digest(marshal.dumps(2**100))
    # red team 20f-3: a frozenset iterates in marshal order when its elements collide
    a = b">" + (2).to_bytes(4, "little") + _z(b"x") + _z(b"y")
    b = b">" + (2).to_bytes(4, "little") + _z(b"y") + _z(b"x")
    assert canonical_digest(a) != canonical_digest(b)
    assert not canonical_digest(a).is_code


def test_an_equal_frozenset_reads_like_a_reference_to_one() -> None:
    """Genuine compiles of one file merge equal frozenset constants or not (seen in pip's pycs
    of torch, sklearn, networkx): a frozenset is compared by value."""
    fs = b"\xbe" + (2).to_bytes(4, "little") + _z(b"cuda", "Z", 0x80) + _z(b"xpu", "Z", 0x80)
    merged = b")\x02" + fs + _ref(0)
    copied = b")\x02" + fs + b">" + (2).to_bytes(4, "little") + _ref(1) + _ref(2)
    assert canonical_digest(merged) == canonical_digest(copied)
    other = b")\x02" + fs + b">" + (2).to_bytes(4, "little") + _ref(2) + _ref(1)
    assert canonical_digest(merged) != canonical_digest(other)


def test_a_dict_ends_at_a_null_key_or_a_null_value_as_in_marshal() -> None:
    # red team 20f-1: r_object's TYPE_DICT stops at either
    for data in (b"{N0", b"{0", b"{NNN0"):
        assert marshal.loads(data) == marshal.loads(data)  # marshal reads it ...
        canonical_digest(data)  # ... and so does the reader
    assert canonical_digest(b"{N0") != canonical_digest(b"{0")


@pytest.mark.parametrize("data", [
    b"",                                              # nothing
    b"c" + b"\x00" * 10,                               # a code object cut short
    b"\x01",                                          # unknown type code
    b"?",                                             # TYPE_UNKNOWN
    b"0",                                             # NULL where an object is expected
    b"r" + (3).to_bytes(4, "little"),                 # reference to nothing
    b"(" + (0x7FFFFFFF).to_bytes(4, "little"),        # a 2-billion tuple in 5 bytes
    b"s" + (0x7FFFFFFF).to_bytes(4, "little"),        # a 2 GiB bytes object in 5 bytes
    b"(" + (0xFFFFFFFF).to_bytes(4, "little"),        # negative size
    b"l" + (1).to_bytes(4, "little") + b"\xff\xff",   # digit out of range
    b"l" + (1).to_bytes(4, "little") + b"\x00\x00",   # unnormalized
    b"u" + (1).to_bytes(4, "little") + b"\xff",       # not UTF-8
    b"\xbe\x01\x00\x00\x00" + _ref(0),              # a frozenset holding itself (marshal: None, refused)
    b"f\x031_0",                                       # float text marshal refuses (float() takes it)
    b")\x01" * 5000 + b"N",                           # nested past the bound
])
def test_hostile_data_is_a_bytecode_error(data: bytes) -> None:
    with pytest.raises(BytecodeError):
        canonical_digest(data)


def test_a_tuple_holding_itself_is_read_as_marshal_reads_it() -> None:
    data = b"\xa9\x01" + _ref(0)
    got = marshal.loads(data)
    assert got[0] is got
    canonical_digest(data)


_DIFFERENTIAL = r"""
import marshal, random, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # a mutated size: MemoryError at once, not 16 GB
from mlbom.formats.bytecode import BytecodeError, canonical_digest
rng = random.Random(int(sys.argv[1]))
seeds = []
for src in sys.argv[2:]:
    with open(src, "rb") as fh:
        seeds.append(marshal.dumps(compile(fh.read(), src, "exec", dont_inherit=True)))
seeds.append(marshal.dumps(compile("d = {1: (2, 'x')}\nfor v in {0, 8, 'a'}: pass\nz = 2**70, 1.5, 2j, b'q'\n",
                                   "m.py", "exec", dont_inherit=True)))
refused = agreed = 0
for i in range(1500):
    seed = rng.choice(seeds)
    data = bytearray(seed)
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(len(data))
        if rng.random() < 0.5:
            data[k] = rng.randrange(256)
        else:
            data[k:k] = bytes([rng.choice(b"0N{}()<>rizZaAuts")])
    data = bytes(data)
    try:
        marshal.loads(data)
        ok = True
    except Exception:
        ok = False
    try:
        canonical_digest(data)
        mine = True
    except BytecodeError as exc:  # different co_filenames: stricter by design (20f-6)
        mine = "name different files" in exc.reason
    if ok and not mine:
        print("REFUSED", data.hex())
        refused += 1
    agreed += ok == mine
print("agreed", agreed, "refused", refused)
"""


def test_the_reader_accepts_what_marshal_accepts() -> None:
    """Red team 20f-1: a differential of the reader against :func:`marshal.loads` (run on
    mutated real pyc bodies in a throw-away interpreter: marshal is not safe on hostile data).
    The reader must never refuse what marshal reads (but code objects naming different files,
    refused by design); where it is laxer (hashability of set elements and dict keys,
    code-object validation) the body is a mismatch all the same: no compile holds such data."""
    import subprocess
    import sys

    sources = [os.path.join(os.path.dirname(os.__file__), n) for n in ("keyword.py", "colorsys.py", "bisect.py")]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _DIFFERENTIAL, "20", *sources], capture_output=True, text=True,
                          timeout=120, check=False, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "REFUSED" not in proc.stdout, proc.stdout[:2000]
    assert "agreed" in proc.stdout


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
