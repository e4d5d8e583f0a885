"""Red team 48f: the 47f fixes, attacked.

48f-1: a getattr-fetched unlisted function set as a defaultdict's factory with BUILD's setattr,
then reached by an allowlisted class's ``__setstate__`` on a missing key (torch's Adam reads
``group["params"]``): called at load, but the factory path never handed it to
``judge_callable`` — ``suspicious`` where it writes a file. 48f-2: fifteen 65 KB external-data
locations were each resolved component by component (6 s for a 983 KB ``.pb``).
"""

from __future__ import annotations

from pathlib import Path

from mlbom.scanner import scan_bytes, scan_file
from tests.test_scan_onnx_tensors import _varint


def _s(text: str) -> bytes:
    b = text.encode()
    return b"X" + len(b).to_bytes(4, "little") + b


def test_48f_1_a_getattr_factory_set_with_setattr_is_unsafe() -> None:
    p = b"\x80\x02"
    p += b"cbuiltins\ngetattr\n" + b"crlcompleter\nreadline\n" + _s("write_history_file") + b"\x86R" + b"q\x010"
    p += b"ccollections\ndefaultdict\n)R" + b"N}" + _s("default_factory") + b"h\x01s\x86b" + b"q\x020"
    p += b"ctorch.optim.adam\nAdam\n)\x81" + b"}" + _s("defaults") + b"}s" + _s("state") + b"}s" \
        + _s("param_groups") + b"]h\x02as" + b"b."
    r = scan_bytes(p, "optimizer.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("getattr fetched" in f.message for f in r.findings)


def test_48f_2_long_external_locations_are_not_resolved(tmp_path: Path) -> None:
    def entry(loc: bytes) -> bytes:
        body = b"\x0a\x08location\x12" + _varint(len(loc)) + loc
        return b"\x6a" + _varint(len(body)) + body

    locations = [("a/" * 32760 + f"f{i}").encode() for i in range(3)]
    data = b"\x08\x04\x10\x01" + b"".join(entry(loc) for loc in locations) + b"\x70\x01"
    path = tmp_path / "input_0.pb"
    path.write_bytes(data)
    r = scan_file(path)
    assert r.format == "onnx-tensor" and r.verdict == "suspicious", [f.message for f in r.findings]
    assert any(f.id == "onnx.external-data-too-long" for f in r.findings)
