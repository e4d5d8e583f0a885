"""Red team 119pk-7: torch's legacy (pre-1.6) checkpoint was recognised by decoding its first 64 bytes with
pickletools; ``_legacy_load`` unpickles the first pickle and compares its VALUE with the magic number. A memoised
(BINPUT 0), blank-padded or hex-written magic number (``int(s, 0)`` in both unpicklers) made mlbom read the file
as one pickle and one trailing pickle: the object pickle's ``os.system`` was never walked (suspicious, passing
the default policy). Now the first pickle's value, as the walker models it, decides; and bytes after a pickle
are walked as the loader reading on would read them, up to five pickles in all. Nothing here is loaded."""

from __future__ import annotations

import pickle

import pytest

from mlbom.scanner import scan_bytes

MAGIC = 0x1950A86A20F9469CFC6C
PAY = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R."  # os.system('true')
STD = pickle.dumps(MAGIC, protocol=2)


def _legacy(obj: bytes, magic: bytes = STD) -> bytes:
    return (magic + pickle.dumps(1001, protocol=2)
            + pickle.dumps({"protocol_version": 1001, "little_endian": True,
                            "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
            + obj + pickle.dumps([], protocol=2))


@pytest.mark.parametrize("magic", [
    STD,
    STD[:-1] + b"q\x00.",  # memoised
    b"I" + b" " * 70 + str(MAGIC).encode() + b"\n.",  # blank-padded INT line
    b"I" + hex(MAGIC).encode() + b"\n.",  # base 0: hex
    b"L" + hex(MAGIC).encode() + b"L\n.",
    b"I1_19547037146038801333356\n.",  # base 0: underscores
    pickle.dumps(MAGIC, protocol=4),  # in a FRAME
])
def test_the_magic_number_is_read_by_its_value(magic: bytes) -> None:
    r = scan_bytes(_legacy(PAY, magic), "model.pt")
    assert r.verdict == "unsafe" and r.format == "pytorch-legacy", (r.format, r.findings)
    assert any("os" in f.message and "system" in f.message and "object pickle" in f.message for f in r.findings)


def test_a_harmless_legacy_checkpoint_with_a_memoised_magic_is_one() -> None:
    r = scan_bytes(_legacy(pickle.dumps({"a": 1}, protocol=2), STD[:-1] + b"q\x00."), "model.pt")
    assert r.verdict == "safe" and r.format == "pytorch-legacy", r.findings


def test_every_pickle_after_the_first_is_walked() -> None:
    """Not torch's magic: bytes after STOP are a differential, and each pickle a reader reading on meets is judged."""
    data = pickle.dumps(5, protocol=2) + pickle.dumps(6, protocol=2) + pickle.dumps([1], protocol=2) + PAY
    r = scan_bytes(data, "x.pkl")
    assert r.verdict == "unsafe", r.findings
    assert any("fourth pickle" in f.message and "system" in f.message for f in r.findings), r.findings
