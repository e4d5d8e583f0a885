"""Red team 21e: a torch-zip record that names or configs call "raw tensor bytes" was skipped
unjudged — but torch matches names by their BYTES (miniz), not by zipfile's cp437/UTF-8 decoding
(21e-1: a pt2 config entry that says ``use_pickle`` reached a record mlbom matched to another
entry saying raw; 21e-3: a root folder decoded two ways hid the pt2 as a torch.save archive whose
``data/`` records are raw), and shared bytes were scanned once in the FIRST entry's role (21e-2).
The class is fixed by content: a record is skipped as raw only when its bytes cannot be what
``torch.load(io.BytesIO(...))`` reads — no zip (``PK\\x03\\x04`` with an end record), no pickle
whose walk is not proven to fail before any call; the dedupe of shared bytes runs after the role
is decided. Also: torch refuses a stored member with the encryption flag (``zip.encrypted-flag``)."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

_CALL = b"cbuiltins\nprint\n(S'RAN-21E'\ntR."
_META = {"dtype": 1, "sizes": [{"as_int": 1}], "requires_grad": False, "device": {"type": "cpu", "index": None},
         "strides": [{"as_int": 1}], "storage_offset": {"as_int": 0}, "layout": 5}


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


_EVIL = _zip([("archive/data.pkl", _CALL), ("archive/byteorder", b"little"), ("archive/version", b"3\n")])


def _pt2(root: str, weights: list[tuple[str, bytes]], config: dict[str, tuple[str, bool]],
         extra: list[tuple[str, bytes]] = ()) -> list[tuple[str, bytes]]:  # type: ignore[assignment]
    cfg = {"config": {k: {"path_name": path, "is_param": True, "use_pickle": pk, "tensor_meta": None if pk else _META}
                      for k, (path, pk) in config.items()}}
    return [(f"{root}/archive_format", b"pt2"), (f"{root}/archive_version", b"0"),
            (f"{root}/models/model.json", json.dumps({"graph_module": {"graph": {"nodes": []}}}).encode()),
            *((f"{root}/data/weights/{n}", d) for n, d in weights),
            (f"{root}/data/weights/model_weights_config.json", json.dumps(cfg).encode()),
            (f"{root}/data/constants/model_constants_config.json", b'{"config": {}}'),
            (f"{root}/byteorder", b"little"), *extra]


def _clear_utf8_flag(data: bytes, name: bytes) -> bytes:
    """Clear the UTF-8 flag (bit 11) of the member ``name`` in its local and central headers."""
    out = bytearray(data)
    for sig, flags_at, name_at in ((b"PK\x03\x04", 7, 30), (b"PK\x01\x02", 9, 46)):  # the flags' high byte
        i = out.find(sig)
        while i >= 0:
            if out[i + name_at:i + name_at + len(name)] == name:
                out[i + flags_at] &= ~0x08 & 0xFF
            i = out.find(sig, i + 4)
    return bytes(out)


def _verdict(data: bytes, name: str = "m.pt2") -> tuple[str, list[str]]:
    res = scan_bytes(data, name)
    return res.verdict, sorted({f.id for f in res.findings})


def test_21e1_name_decoded_otherwise_than_torch_matches_it() -> None:
    s1 = "w\u251c\u2310ight"  # zipfile's cp437 reading of b"w\xc3\xa9ight" (no UTF-8 flag)
    s2 = "w\u00e9ight"  # torch's byte match of the same name: its UTF-8
    assert s2.encode().decode("cp437") == s1
    members = _pt2("base", [("wQQight", _EVIL), ("w" + "R" * (len(s1.encode()) - 5) + "ight", b"\0")],
                   {"w": (s1, False), "evil": (s2, True)})
    data = _zip(members)
    data = data.replace(b"wQQight", s2.encode()).replace(("w" + "R" * (len(s1.encode()) - 5) + "ight").encode(),
                                                         s1.encode())
    data = _clear_utf8_flag(data, b"base/data/weights/" + s2.encode())
    arc = zipfile.ZipFile(io.BytesIO(data))
    held = [i.filename for i in arc.infolist() if arc.read(i) == _EVIL]
    assert held == ["base/data/weights/" + s1]  # zipfile's (and mlbom's) name for it: the raw entry's
    verdict, ids = _verdict(data)
    assert verdict == "unsafe", ids


def test_21e2_entries_sharing_a_record_judged_in_their_worst_role() -> None:
    data = _zip(_pt2("base", [("weight_0", _EVIL), ("weight_1", _EVIL)],
                     {"w": ("weight_0", False), "evil": ("weight_1", True)}))
    arc = zipfile.ZipFile(io.BytesIO(data))
    first = arc.getinfo("base/data/weights/weight_0").header_offset
    out = bytearray(data)
    cd = out.find(b"PK\x01\x02")
    while cd >= 0:  # point weight_1's directory entry at weight_0's local header
        if out[cd + 46:cd + 46 + len(b"base/data/weights/weight_1")] == b"base/data/weights/weight_1":
            out[cd + 42:cd + 46] = first.to_bytes(4, "little")
        cd = out.find(b"PK\x01\x02", cd + 4)
    verdict, ids = _verdict(bytes(out))
    assert "zip.shared-data" in ids
    assert verdict == "unsafe", ids


def test_21e3_root_folder_decoded_two_ways_hides_a_pt2() -> None:
    root = "b\u00e9"
    members = _pt2(root, [("weight_0", _EVIL)], {"evil": ("weight_0", True)},
                   extra=[(f"{root}/data.pkl", pickle.dumps({}, protocol=2)), (f"{root}/version", b"3\n")])
    members.append(members.pop(0))  # archive_format last: the first member's root is the flagged one
    data = _clear_utf8_flag(_zip(members), f"{root}/archive_format".encode())
    res = scan_bytes(data, "m.pt2")
    assert res.format != "pt2"  # mlbom's reading: a torch.save archive (torch: the pt2 it is)
    assert res.verdict == "unsafe", sorted({f.id for f in res.findings})


@pytest.mark.parametrize("payload", [_CALL, pickle.dumps(print, protocol=2)[:-1] + b")R.", _EVIL],
                         ids=["protocol0", "protocol2", "zip"])
def test_pt2_raw_record_that_is_a_file_is_judged(payload: bytes) -> None:
    """(A torch.save archive's ``data/N`` storage is raw whatever it holds: torch never unpickles
    it, red team 23e-1, tests/test_scan_rt23e.py.)"""
    data = _zip(_pt2("m", [("weight_0", payload)], {"w": ("weight_0", False)}))
    verdict, ids = _verdict(data)
    assert verdict == "unsafe", ids


@pytest.mark.parametrize("payload", [b"N." + bytes(range(200)), b"].\xaa?\x15\x99\xcd\xbf",
                                     b"\x80\x02\x00\x00" * 4, b"\x00" + _CALL],
                         ids=["short-pickle-then-data", "list-pickle", "proto-header", "late"])
def test_raw_bytes_that_only_look_like_a_file_stay_raw(payload: bytes) -> None:
    """Tensor bytes that start like a pickle but that torch.load raises on before anything runs
    (or whose first pickle is plain data): no finding, not judged as a file. (Bytes that start
    with ``PK\\x03\\x04`` are a zip to torch.load: judged, red team 23e-2.)"""
    data = _zip([("archive/data.pkl", pickle.dumps({}, protocol=2)), ("archive/data/0", payload),
                 ("archive/version", b"3\n")])
    verdict, ids = _verdict(data, "m.pt")
    assert verdict == "safe", ids
    pt2 = _zip(_pt2("m", [("weight_0", payload)], {"w": ("weight_0", False)}))
    verdict, ids = _verdict(pt2)
    assert verdict == "suspicious" and ids == ["pt2.program"], ids


def test_pt2_raw_record_in_torchs_legacy_format_is_judged() -> None:
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    legacy = magic + pickle.dumps(1001, protocol=2) + pickle.dumps({}, protocol=2) + _CALL + pickle.dumps([], 2)
    data = _zip(_pt2("m", [("weight_0", legacy)], {"w": ("weight_0", False)}))
    verdict, ids = _verdict(data)
    assert verdict == "unsafe", ids


def test_encrypted_flag_message_says_torch_refuses() -> None:
    data = bytearray(_zip([("archive/data.pkl", pickle.dumps({}, protocol=2)), ("archive/version", b"3\n")]))
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i >= 0:
            data[i + at] |= 1
            i = data.find(sig, i + 4)
    res = scan_bytes(bytes(data), "m.pt")
    msgs = [f.message for f in res.findings if f.id == "zip.encrypted-flag"]
    assert msgs and all("refuses" in m and "torch reads the bytes" not in m for m in msgs)


_PROOF = r"""
import io, sys, zipfile, torch
data = open(sys.argv[1], "rb").read()
z = zipfile.ZipFile(io.BytesIO(data))
raw = z.read(sys.argv[2])
try:
    torch.load(io.BytesIO(raw), weights_only=False)
except Exception as exc:
    print("raised", type(exc).__name__)
"""


@pytest.mark.parametrize("payload", [_CALL, _EVIL], ids=["pickle", "zip"])
def test_torch_load_of_a_record_runs_it(tmp_path: Path, payload: bytes) -> None:
    """The premise: what torch.export.load does with a record a config reaching it declares
    pickled — ``torch.load(io.BytesIO(bytes), weights_only=False)`` — runs a pickle or a
    torch.save zip found there, whatever other names say of the record."""
    pytest.importorskip("torch")
    f = tmp_path / "a.zip"
    f.write_bytes(_zip([("m/data/weights/weight_0", payload)]))
    out = subprocess.run([sys.executable, "-c", _PROOF, str(f), "m/data/weights/weight_0"], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert "RAN-21E" in out.stdout, (out.stdout, out.stderr[-2000:])


def test_torch_refuses_a_stored_member_with_the_encryption_flag(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    data = bytearray(_zip([("a/version", b"3\n"), ("a/archive_format", b"pt2")]))
    i = data.find(b"PK\x03\x04", data.find(b"a/version"))
    data[i + 6] |= 1
    j = data.find(b"PK\x01\x02")
    j = data.find(b"PK\x01\x02", j + 4)
    data[j + 8] |= 1
    f = tmp_path / "e.zip"
    f.write_bytes(bytes(data))
    code = ("import io, sys, torch\nr = torch._C.PyTorchFileReader(io.BytesIO(open(sys.argv[1], 'rb').read()))\n"
            "try:\n    r.get_record('archive_format'); print('read')\nexcept RuntimeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(f)], capture_output=True, text=True, timeout=300)
    assert "unsupported encryption" in out.stdout, (out.stdout, out.stderr[-2000:])
