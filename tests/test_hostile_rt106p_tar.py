"""Red team 106p-6, 106p-7, 106p-10: tar headers that cost the interpreter's ``tarfile`` too much or
crash it, refused by mlbom's own header walk (``mlbom.formats.tarwalk``) before ``tarfile`` reads
them. Work is counted (``tarfile`` calls, ``_scan_tar`` readings), never timed."""

from __future__ import annotations

import bz2
import io
import pickle
import tarfile

import pytest

from mlbom import scanner
from mlbom.scanner import scan_bytes
from tests.helpers import counting_calls

EVIL = b"cos\nsystem\n(S'echo pwned'\ntR."


def _hdr(name: bytes, size_field: bytes, typ: bytes = b"0") -> bytes:
    b = bytearray(512)
    b[0:len(name)] = name
    b[100:108], b[108:116], b[116:124] = b"0000644\0", b"0000000\0", b"0000000\0"
    b[124:136] = size_field
    b[136:148] = b"00000000000\0"
    b[156:157] = typ
    b[257:263], b[263:265] = b"ustar\0", b"00"
    b[148:156] = b"        "
    b[148:156] = (b"%06o\0 " % sum(b))
    return bytes(b)


def _octal(n: int) -> bytes:
    return b"%011o\0" % n


def _b256(n: int) -> bytes:  # a base-256 size field (tarfile.nti: 0x80 positive, 0xff negative)
    return (b"\x80" + n.to_bytes(11, "big")) if n >= 0 else (b"\xff" + (n & ((1 << 88) - 1)).to_bytes(11, "big"))


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 512)


END = b"\0" * 1024


def _ids(data: bytes, name: str = "model.tar") -> tuple[str, list[str], str]:
    r = scan_bytes(data, name, debug=True)  # debug: an internal error propagates
    return r.verdict, [f.id for f in r.findings], " | ".join(f.message for f in r.findings)


# ---- 106p-10: a size of 2^63 or more (header, pax record, old GNU sparse real size) -----------

@pytest.mark.parametrize("exp", [63, 80])
def test_header_size_past_2_63_is_refused_not_a_crash(exp: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _hdr(b"a.pkl", _b256(1 << exp)) + _pad(b"\x80\x02N.") + END
    with counting_calls(monkeypatch, tarfile.TarFile, "next") as nexts:
        verdict, ids, msg = _ids(data)
    assert verdict == "error" and "scan.internal-error" not in ids, msg
    assert "2^63" in msg
    assert nexts[0] == 0  # tarfile never read the archive


def test_pax_size_record_past_2_63_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("a.pkl")
        ti.size = 4
        ti.pax_headers = {"size": str(1 << 70)}
        t.addfile(ti, io.BytesIO(b"\x80\x02N."))
    with counting_calls(monkeypatch, tarfile.TarFile, "next") as nexts:
        verdict, ids, msg = _ids(buf.getvalue())
    assert verdict == "error" and "scan.internal-error" not in ids, msg
    assert "2^63" in msg and nexts[0] == 0


def test_later_member_past_2_63_keeps_the_members_before(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (_hdr(b"evil.pkl", _octal(len(EVIL))) + _pad(EVIL)
            + _hdr(b"b.pkl", _b256(1 << 63)) + _pad(b"\x80\x02N.") + END)
    verdict, ids, msg = _ids(data)
    assert "scan.internal-error" not in ids and "tar.header-refused" in ids, msg
    assert verdict == "unsafe"  # the member before is judged (os.system), the refused one is an error


# ---- 106p-6: pax headers tarfile would parse in quadratic time ----------------------------------

def _pax_digits(n: int) -> bytes:
    return (_hdr(b"././@PaxHeader", _octal(n), b"x") + _pad(b"1" * n)
            + _hdr(b"a.txt", _octal(1)) + _pad(b"x") + END)


@pytest.mark.parametrize("compress", [False, True])
def test_pax_header_of_digits_never_reaches_tarfile(compress: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _pax_digits(4000)
    name = "model.tar"
    if compress:
        data, name = bz2.compress(data), "model.tar.bz2"
    with counting_calls(monkeypatch, tarfile.TarInfo, "_proc_pax") as pax:
        verdict, _, msg = _ids(data, name)
    assert verdict == "error" and "digits" in msg, msg
    assert pax[0] == 0  # tarfile's regular expressions never ran over it


def test_malformed_pax_record_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = b"9 a=bcd\n" * 8  # each record says 9 bytes, holds 8: tarfile reads on, scanning ahead
    data = _hdr(b"././@PaxHeader", _octal(len(payload)), b"x") + _pad(payload) + _hdr(b"a.txt", _octal(0)) + END
    with counting_calls(monkeypatch, tarfile.TarInfo, "_proc_pax") as pax:
        verdict, _, msg = _ids(data)
    assert verdict == "error" and "not well formed" in msg, msg
    assert pax[0] == 0


def test_long_chain_of_extended_headers_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    name = b"x" * 200 + b"\0"
    chain = (_hdr(b"././@LongLink", _octal(len(name)), b"L") + _pad(name)) * 20  # tarfile recurses per header
    data = chain + _hdr(b"a.txt", _octal(0)) + END
    with counting_calls(monkeypatch, tarfile.TarInfo, "_proc_gnulong") as gnulong:
        verdict, _, msg = _ids(data)
    assert verdict == "error" and "extended headers before one member" in msg, msg
    assert gnulong[0] == 0


def test_real_pax_and_gnu_archives_are_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long names (pax records, GNU ``L``/``K``), global headers, xattr-style records, unicode:
    walked to the same members as tarfile, nothing refused, every member judged."""
    from mlbom.formats import tarwalk  # (new module: imported here so the other tests fail on their asserts)

    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt,
                          pax_headers={"comment": "global 12345"} if fmt == tarfile.PAX_FORMAT else None) as t:
            for i, (name, data) in enumerate([("d/" + "n" * 150 + ".txt", b"hello"), ("ünï/a.bin", b"\0" * 700),
                                              ("evil.pkl", EVIL)]):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mtime = 1_700_000_000 + i
                if fmt == tarfile.PAX_FORMAT:
                    ti.pax_headers = {"SCHILY.xattr.user.k": "v" * 300, "mtime": "1700000000.123456789"}
                t.addfile(ti, io.BytesIO(data))
            link = tarfile.TarInfo("l" * 120)
            link.type, link.linkname = tarfile.SYMTYPE, "t" * 130
            t.addfile(link)
        raw = buf.getvalue()
        walked = tarwalk.walk(io.BytesIO(raw), len(raw))
        assert walked.refused is None, walked
        with tarfile.open(fileobj=io.BytesIO(raw)) as t:
            assert walked.members == len(t.getmembers())
        verdict, ids, msg = _ids(raw)
        assert verdict == "unsafe" and "tar.header-refused" not in ids, msg


# ---- 106p-7: the CVE-2025-8194 loop, members bounded by the bytes given, read once --------------

def test_negative_size_loop_is_refused_and_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _hdr(b"a.txt", _octal(0)) + _hdr(b"b.txt", _b256(-512)) + END  # b.txt steps back onto itself
    with counting_calls(monkeypatch, tarfile.TarFile, "next") as nexts, \
            counting_calls(monkeypatch, scanner, "_scan_tar") as readings:
        verdict, ids, msg = _ids(data)
    assert verdict == "error" and "tar.header-refused" in ids and "negative size" in msg, msg
    assert nexts[0] <= 3  # old code: 100,001 per reading
    assert readings[0] == 1  # one tar reading of the file (was two: the dispatch and the polyglot check)


def test_negative_first_member_is_refused() -> None:
    data = _hdr(b"evil.pkl", _b256(-512)) + _pad(EVIL) + END  # tarfile: next offset 0, stops; data never judged
    verdict, _, msg = _ids(data)
    assert verdict == "error" and "negative size" in msg, msg


def test_loop_through_a_pax_header_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = b"".join(b"%d a=%s\n" % (len(b" a=\n") + 2 + k, b"b" * k) for k in (10, 20))
    assert all(int(r.split(b" ")[0]) == len(r) + 1 for r in payload.split(b"\n")[:-1])  # well-formed records
    pax = _hdr(b"././@PaxHeader", _octal(len(payload)), b"x") + _pad(payload)
    back = -(512 + len(pax))  # the member's data would start after its header; its size steps back to the pax
    data = _hdr(b"a.txt", _octal(0)) + pax + _hdr(b"b.txt", _b256(back)) + END
    with counting_calls(monkeypatch, tarfile.TarInfo, "_proc_pax") as pax_calls:
        verdict, _, msg = _ids(data)
    assert verdict == "error" and "negative size" in msg, msg
    assert pax_calls[0] == 0


def _empty_members(n: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for i in range(n):
            ti = tarfile.TarInfo(str(i))
            ti.size = 0
            t.addfile(ti)
    return buf.getvalue()


def test_members_from_a_decompressor_bounded_by_the_compressed_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bz2.compress(_empty_members(20_000), 9)  # ~2 compressed bytes a member: over the allowance
    with counting_calls(monkeypatch, tarfile.TarFile, "next") as nexts:
        verdict, _, msg = _ids(data, "many.tar.bz2")
    assert verdict == "error" and "compressed bytes" in msg, msg
    assert nexts[0] == 0  # refused by the walk: no member enumerated by tarfile, none judged


def test_compressed_tar_of_a_few_members_is_judged() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in (("config.json", b"{}"), ("model.pkl", pickle.dumps({"w": [1, 2]})), ("evil.pkl", EVIL)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    verdict, ids, msg = _ids(bz2.compress(buf.getvalue()), "model.tar.bz2")
    assert verdict == "unsafe" and "tar.header-refused" not in ids, msg


def test_a_compressed_archive_of_thousands_of_small_files_is_judged() -> None:
    """The decompressed-tar bounds (the file's parse budget, 32 steps a header block; one block per
    TAR_BYTES_PER_BLOCK bytes of the file or TAR_BLOCKS_FLOOR): 2,000 small text files in a .tar.gz
    (a dataset folder, 46 KB) are all enumerated and judged."""
    import gzip
    import io
    import random
    import tarfile

    from mlbom.scanner import scan_bytes

    rng = random.Random(7)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for i in range(2000):
            data = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(20)).encode()
            info = tarfile.TarInfo(f"data/part-{i:05d}.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    r = scan_bytes(gzip.compress(raw.getvalue(), 9), "data.tar.gz")
    assert r.verdict == "safe", [(f.id, f.message[:160]) for f in r.findings][:5]
