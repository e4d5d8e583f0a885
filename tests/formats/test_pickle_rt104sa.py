"""Red team 104sa: two load-time resource bombs judged safe.

104sa-1: ``collections.deque(range(0, 10**15), 1)`` (60 bytes) walks the whole range on load:
``deque`` (and ``Counter``, which hashes each item) were missing from the materialisers that
``list``/``set``/``bytearray`` of a huge range already were. 104sa-2: 64 levels of tuples each
holding the level below twice through the memo (1 KB) are 2**64 values to CPython's tuple hash
(no cache) and repr: hashed as a frozenset item, a set item, a dict key, or given to ``str``,
no loader finishes. Pickles are written as bytes here and never loaded.
"""

from __future__ import annotations

import struct

import pytest

from mlbom.scanner import scan_bytes


def _global(module: str, name: str) -> bytes:
    m, n = module.encode(), name.encode()
    return b"\x8c" + bytes([len(m)]) + m + b"\x8c" + bytes([len(n)]) + n + b"\x93"


def _range_call(ctor: str, n: int, *extra: bytes) -> bytes:
    rng = _global("builtins", "range") + b"K\x00\x8a\x08" + n.to_bytes(8, "little") + b"\x86R"
    args = rng + b"".join(extra)
    return b"\x80\x04" + _global(*ctor.split(".")) + args + (b"\x86R." if extra else b"\x85R.")


def _dag(depth: int) -> bytes:
    """t0 = 1; t(i) = (t(i-1), t(i-1)) through the memo: 2**depth leaves in 17 bytes a level."""
    body = b"K\x01r" + struct.pack("<I", 0) + b"0"
    for i in range(1, depth):
        body += (b"j" + struct.pack("<I", i - 1)) * 2 + b"\x86r" + struct.pack("<I", i) + b"0"
    return body + b"j" + struct.pack("<I", depth - 1)


BOMBS = {
    "deque-maxlen": _range_call("collections.deque", 10**15, b"K\x01"),
    "deque": _range_call("collections.deque", 10**15),
    "counter": _range_call("collections.Counter", 10**15),
    "frozenset": b"\x80\x04(" + _dag(64) + b"\x91.",
    "dict-key": b"\x80\x04}" + _dag(64) + b"K\x00s.",
    "set-add": b"\x80\x04\x8f(" + _dag(64) + b"\x90.",
    "str": b"\x80\x04" + _global("builtins", "str") + _dag(64) + b"\x85R.",
    "set-call": b"\x80\x04" + _global("builtins", "set") + b"(" + _dag(40) + b"l\x85R.",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_rt104sa_bombs_are_suspicious(name: str) -> None:
    result = scan_bytes(BOMBS[name], f"{name}.pkl")
    assert result.verdict == "suspicious", (name, result.findings)
    assert any(f.id == "pickle.bomb" for f in result.findings), result.findings


@pytest.mark.parametrize("data", [
    _range_call("collections.deque", 1000, b"K\x05"),
    b"\x80\x04(" + _dag(16) + b"\x91.",  # 65,536 values: hashing it is quick
    b"\x80\x04]" + _dag(64) + b"a.",  # a list item is not hashed
], ids=["small-deque", "shallow-dag", "dag-in-a-list"])
def test_rt104sa_what_is_not_a_bomb_stays_safe(data: bytes) -> None:
    result = scan_bytes(data, "x.pkl")
    assert result.verdict == "safe", result.findings
