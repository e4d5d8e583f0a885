"""Red team 86s-1: archives every real loader refuses were scanned ``safe``.

- a torch zip whose ``version`` record is missing, does not parse as ``std::stoull`` parses it,
  or is outside torch's supported range (1 to 10), or whose ``byteorder`` record is not exactly
  ``little``/``big``: ``pytorch.invalid`` (``error``), and no weights-only claim;
- a zip member with general-purpose flag bit 5 (compressed patched data), 6 (strong encryption)
  or 13 (encrypted central directory): ``zip.encrypted`` (``error``), in any zip kind.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from mlbom.scanner import scan_bytes


def _set_flag(data: bytes, member: str, bit: int) -> bytes:
    """``data`` with ``bit`` set in ``member``'s local and central headers."""
    out = bytearray(data)
    name = member.encode()
    for sig, flag_at, name_len_at, name_at in ((b"PK\x03\x04", 6, 26, 30), (b"PK\x01\x02", 8, 28, 46)):
        i = out.find(sig)
        while i >= 0:
            (n,) = struct.unpack_from("<H", out, i + name_len_at)
            if bytes(out[i + name_at:i + name_at + n]) == name:
                (flags,) = struct.unpack_from("<H", out, i + flag_at)
                struct.pack_into("<H", out, i + flag_at, flags | bit)
                break
            i = out.find(sig, i + 4)
        else:
            raise AssertionError(f"{member} not found")
    return bytes(out)


def _npz(compressed: bool) -> bytes:
    np = pytest.importorskip("numpy")
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, x=np.arange(4))
    return buf.getvalue()


def test_npz_benign_is_safe() -> None:
    for compressed in (False, True):
        assert scan_bytes(_npz(compressed), "a.npz").verdict == "safe"


@pytest.mark.parametrize("bit", [0x20, 0x40, 0x2000])
@pytest.mark.parametrize("compressed", [False, True])
def test_npz_member_flag_bits_are_error(bit: int, compressed: bool) -> None:
    scan = scan_bytes(_set_flag(_npz(compressed), "x.npy", bit), "a.npz")
    assert scan.verdict == "error"
    assert "zip.encrypted" in {f.id for f in scan.findings}


@pytest.mark.parametrize("bit", [0x20, 0x40, 0x2000])
def test_plain_zip_member_flag_bits_are_error(bit: int) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("config.json", '{"a": 1}')
    scan = scan_bytes(_set_flag(buf.getvalue(), "config.json", bit), "a.zip")
    assert scan.verdict == "error"
    assert "zip.encrypted" in {f.id for f in scan.findings}


@pytest.mark.parametrize(("text", "ok"), [
    (b"3", True), (b"10", True), (b"1", True), (b"3\n", True), (b" \t\n\v\f\r3", True), (b"+3", True),
    (b"03", True), (b"3abc", True), (b"3\x00x", True),
    (b"0", False), (b"11", False), (b"99", False), (b"", False), (b"abc", False), (b"\x003", False),
    (b"-0", False), (b"-3", False), (b"+ 3", False), (b"0x3", False), (b"99999999999999999999999", False),
    (None, False),
])
def test_version_rule_matches_torch(text: bytes | None, ok: bool) -> None:
    """As torch 2.13 measured (``std::stoull``, then 1 <= version <= 10)."""
    from mlbom.scanner import _torch_version_refused

    assert (_torch_version_refused(text) is None) is ok


def torch_zip_with(repl: dict[str, bytes | None]) -> bytes:
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(3)}, buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for info in zin.infolist():
            rel = info.filename.split("/", 1)[1]
            data = zin.read(info.filename)
            if rel in repl:
                new = repl[rel]
                if new is None:
                    continue
                data = new
            z.writestr(info.filename, data)
        written = {info.filename.split("/", 1)[1] for info in zin.infolist()}
        for rel, new in repl.items():  # a record torch.save does not write (.data/version): add it
            if rel not in written and new is not None:
                z.writestr(f"archive/{rel}", new)
    return out.getvalue()


def torch_refuses(data: bytes) -> bool:
    torch = pytest.importorskip("torch")
    try:
        torch.load(io.BytesIO(data), weights_only=True)
    except Exception:  # any refusal
        return True
    return False


@pytest.mark.torch
def test_torch_zip_rebuilt_is_safe() -> None:
    data = torch_zip_with({})
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "safe"
    assert scan.facts.get("torch.weights-only") == "true"


@pytest.mark.torch
@pytest.mark.parametrize("repl", [
    {"version": b"99"}, {"version": b"0"}, {"version": b"abc"}, {"version": None}, {"version": b"-1"},
    {"byteorder": b"middle"}, {"byteorder": b"little\n"}, {"byteorder": b"Little"},
])
def test_torch_zip_bad_records_are_error(repl: dict[str, bytes | None]) -> None:
    data = torch_zip_with(repl)
    assert torch_refuses(data)
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "error"
    assert "pytorch.invalid" in {f.id for f in scan.findings}
    assert "torch.weights-only" not in scan.facts


@pytest.mark.torch
@pytest.mark.parametrize("repl", [{".data/version": b"3"}, {"version": b"3\n"}, {"byteorder": None}])
def test_torch_zip_records_torch_accepts_stay_safe(repl: dict[str, bytes | None]) -> None:
    data = torch_zip_with(repl)
    for rel in repl:  # the file holds what the test claims (red team 89s-1)
        assert (f"archive/{rel}" in zipfile.ZipFile(io.BytesIO(data)).namelist()) is (repl[rel] is not None)
    assert not torch_refuses(data)
    assert scan_bytes(data, "m.pt").verdict == "safe"


@pytest.mark.torch
@pytest.mark.parametrize("bit", [0x20, 0x40, 0x2000])
def test_torch_zip_flag_bits_are_error(bit: int) -> None:
    data = _set_flag(torch_zip_with({}), "archive/data.pkl", bit)
    assert torch_refuses(data)
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "error"
    assert "zip.encrypted" in {f.id for f in scan.findings}
    assert "torch.weights-only" not in scan.facts


@pytest.mark.torch
def test_real_torch_files_stay_safe() -> None:
    torch = pytest.importorskip("torch")
    for kw in ({}, {"_use_new_zipfile_serialization": False}):
        buf = io.BytesIO()
        torch.save({"w": torch.zeros(3), "n": 1}, buf, **kw)
        assert scan_bytes(buf.getvalue(), "m.pt").verdict == "safe"
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buf)
    scan = scan_bytes(buf.getvalue(), "m.pt")
    assert scan.verdict == "suspicious"  # TorchScript is code; no pytorch.invalid
    assert "pytorch.invalid" not in {f.id for f in scan.findings}


@pytest.mark.torch
@pytest.mark.parametrize("pkl", [
    b"\x80\x02}U\x02\xff\xfeK\x01s.",  # SHORT_BINSTRING not UTF-8: torch unpickles with encoding="utf-8"
    b"\x80\x02}T\x02\x00\x00\x00\xff\xfeK\x01s.",  # BINSTRING, the same
    b"\x80\x02K\x05Q.",  # an int persistent id: torch's zip persistent_load asserts a tuple
    b"\x80\x02]Q.",  # a list persistent id
])
def test_torch_zip_main_pickle_torch_refuses_is_error(pkl: bytes) -> None:
    data = torch_zip_with({"data.pkl": pkl})
    assert torch_refuses(data)
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "error"
    assert "pytorch.tensor-invalid" in {f.id for f in scan.findings}
    assert "torch.weights-only" not in scan.facts


@pytest.mark.torch
def test_torch_zip_utf8_str8_stays_safe() -> None:
    data = torch_zip_with({"data.pkl": b"\x80\x02}U\x02\xc3\xa9K\x01s."})
    assert not torch_refuses(data)
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "safe"
    assert "pytorch.tensor-invalid" not in {f.id for f in scan.findings}
