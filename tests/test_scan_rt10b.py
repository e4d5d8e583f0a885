"""Red team 10b: container and format-detection differentials. Each attack file is built here;
where the real loader is installed, a throw-away subprocess proves what it does with the file
(the loader is never called in mlbom's own process)."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

# a protocol-0 pickle that runs os.system (never loaded here)
EVIL = b"cos\nsystem\n(S'true'\ntR."


def _ids(data: bytes, name: str) -> tuple[str, set[str]]:
    r = scan_bytes(data, name)
    return r.verdict, {f.id for f in r.findings}


def _run(code: str, *args: str) -> str:
    """Run ``code`` in a fresh interpreter; its stdout (the loader's behaviour, proved)."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


# ---- 1. tar members of a type tarfile does not know ---------------------------------------

def _tar(members: list[tuple[str, bytes, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, kind, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.type = kind
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def test_tar_member_of_unknown_type_is_read_as_a_file() -> None:
    data = _tar([("model.pkl", b"Z", EVIL)])
    # tarfile itself: a member of an unknown type reads as a regular file
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert not t.getmember("model.pkl").isfile()
        f = t.extractfile("model.pkl")
        assert f is not None and f.read() == EVIL
    verdict, ids = _ids(data, "weights.tar")
    assert verdict == "unsafe" and "tar.unknown-type" in ids


def test_legacy_tar_pickle_of_unknown_type_is_walked() -> None:
    data = _tar([("sys_info", tarfile.REGTYPE, b"\x80\x02}q\x00."), ("storages", tarfile.REGTYPE, b"\x80\x02K\x00."),
                 ("tensors", tarfile.REGTYPE, b"\x80\x02K\x00."), ("pickle", b"V", EVIL)])
    verdict, ids = _ids(data, "model.pt")
    assert verdict == "unsafe" and "tar.unknown-type" in ids


def test_tar_directory_member_is_not_a_finding() -> None:
    verdict, ids = _ids(_tar([("d", tarfile.DIRTYPE, b""), ("d/a.json", tarfile.REGTYPE, b"{}")]), "x.tar")
    assert verdict == "safe" and "tar.unknown-type" not in ids


# ---- 6. a tar header tarfile then refuses: torch.load reads the file as a pickle ----------

TORCH_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
TORCH_PROTOCOL = b"\x80\x02M\xe9\x03."


def _tar_then_pickles(main: bytes, kind: bytes = b"L") -> bytes:
    """A first block tarfile's ``frombuf`` accepts (a GNU long-name header) whose next header is
    broken, so ``tarfile.open`` raises ReadError; the same bytes from offset 0 are torch's
    legacy magic-number format (magic, protocol, a sys_info pickle whose one string swallows
    the tar blocks, the object ``main``, the storage keys)."""
    start = TORCH_MAGIC + TORCH_PROTOCOL + b"\x80\x02T"
    body = len(start) + 4
    block = bytearray(1024)
    block[:len(start)] = start
    block[len(start):body] = (1024 - body).to_bytes(4, "little")
    block[100:108] = b"0000644\x00"
    block[124:136] = b"%011o\x00" % 100
    block[136:148] = b"%011o\x00" % 0
    block[156:157] = kind  # "L" (GNUTYPE_LONGNAME): tarfile reads the next header at once
    block[257:265] = b"ustar  \x00"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block[:512])
    block[512:612] = b"n" * 100
    return bytes(block) + b"." + main + b"\x80\x02]q\x00."


def test_tar_that_tarfile_refuses_is_judged_as_the_pickle_torch_reads(tmp_path: Path) -> None:
    data = _tar_then_pickles(EVIL)
    with pytest.raises(tarfile.ReadError):
        tarfile.open(fileobj=io.BytesIO(data))  # noqa: SIM115
    verdict, ids = _ids(data, "model.pt")
    assert verdict == "unsafe" and "tar.refused" in ids
    pytest.importorskip("torch")
    f = tmp_path / "model.pt"
    marker = tmp_path / "ran"
    f.write_bytes(_tar_then_pickles(b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."))
    _run("import sys, torch\ntry: torch.load(sys.argv[1], weights_only=False)\nexcept Exception as e: print(e)", str(f))
    assert marker.exists()  # torch.load fell back from the tar to the pickles and ran the object's


def test_tar_that_is_also_torch_legacy_pickles_judges_all_five() -> None:
    # a tar tarfile reads (one member, then a header it takes for the end) whose bytes from
    # offset 0 are torch's magic-number format: where extraction fails with a TarError (Python
    # 3.14's "data" filter on a special member, for one) torch.load reads those pickles
    data = _tar_then_pickles(EVIL, kind=b"0")
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert len(t.getmembers()) == 1
    verdict, ids = _ids(data, "model.pt")
    assert verdict == "unsafe" and "pickle.polyglot" in ids


# ---- 2. zip folder entries holding data, names holding NUL ---------------------------------

def _raw_zip(members: list[tuple[bytes, bytes]], extra: bytes = b"") -> bytes:
    """A stored zip with the raw names given (``zipfile`` cuts a NUL out of any name it writes);
    ``extra``: the first local header's extra field (zipfile skips local extra fields)."""
    import struct
    import zlib

    out = bytearray()
    central = bytearray()
    for i, (name, data) in enumerate(members):
        crc = zlib.crc32(data)
        off = len(out)
        x = extra if i == 0 else b""
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), len(x))
        out += name + x + data
        central += struct.pack("<4s6H3L5HLL", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                               len(name), 0, 0, 0, 0, 0, off) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def _object_npy(payload: bytes) -> bytes:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += b" " * (64 - 10 - len(header) - 1) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload


def test_zip_folder_entry_holding_a_pickle_is_judged() -> None:
    import zipfile

    data = _raw_zip([(b"a.json", b"{}"), (b"cfg/", EVIL)])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.getinfo("cfg/").is_dir() and z.read("cfg/") == EVIL  # zipfile reads it by its name
    verdict, ids = _ids(data, "bundle.zip")
    assert verdict == "unsafe" and "zip.directory-data" in ids


def test_npz_member_whose_name_reads_as_a_folder_up_to_a_nul(tmp_path: Path) -> None:
    # "arr.npy\0/" ends in "/" as a whole; zipfile cuts it at the NUL and np.load reads "arr"
    data = _raw_zip([(b"arr.npy\x00/", _object_npy(EVIL))])
    verdict, ids = _ids(data, "data.npz")
    assert verdict == "unsafe" and "zip.name-nul" in ids
    pytest.importorskip("numpy")
    f = tmp_path / "data.npz"
    marker = tmp_path / "ran"
    f.write_bytes(_raw_zip([(b"arr.npy\x00/", _object_npy(b"cos\nsystem\n(S'touch " + str(marker).encode()
                                                             + b"'\ntR."))]))
    out = _run("import sys, numpy\nz = numpy.load(sys.argv[1], allow_pickle=True)\nprint(z.files)\n"
               "try: z['arr']\nexcept Exception as e: print(e)", str(f))
    assert "['arr']" in out and marker.exists()


def test_nul_names_that_collide_under_zipfile_are_duplicates() -> None:
    verdict, ids = _ids(_raw_zip([(b"a.json", b"{}"), (b"a.json\x00x", b"[]")]), "bundle.zip")
    assert verdict == "suspicious" and {"zip.name-nul", "zip.duplicate-name"} <= ids


# ---- 3. a zip that is also a tar (or a pickle) from its first byte -------------------------

def _zip_tar_polyglot(payload: bytes) -> bytes:
    """A zip of one benign member whose first local header's extra field (which zipfile skips)
    holds the rest of a tar: the first 512 bytes, ``PK\\x03\\x04`` and all, are a header
    ``tarfile`` accepts, and its member ``payload`` follows in the extra field."""
    import struct

    name = b"a.json"
    lead = 30 + len(name) + 4  # local header, name, the extra record's tag and length
    tar = _tar([("x.pkl", tarfile.REGTYPE, payload)])  # header block, data block(s), end blocks
    extra_len = len(tar) - lead
    head = bytearray(_raw_zip([(name, b"{}")], extra=b"\xfe\xca" + struct.pack("<H", extra_len) + b"\0" * extra_len))
    head[lead:lead + extra_len] = tar[lead:]  # tar bytes from the extra field on: header fields, data, end
    head[148:156] = b" " * 8
    head[148:156] = b"%06o\x00 " % sum(head[:512])  # the header's checksum over the zip's own first bytes
    return bytes(head)


def test_zip_that_is_also_a_tar_is_judged_both_ways() -> None:
    import zipfile

    data = _zip_tar_polyglot(EVIL)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == ["a.json"] and z.read("a.json") == b"{}"
    with tarfile.open(fileobj=io.BytesIO(data)) as t:  # tarfile (a .nemo reader, tar tools) reads the other file
        f = t.extractfile(t.getmembers()[0])
        assert f is not None and f.read() == EVIL
    verdict, ids = _ids(data, "bundle.zip")
    assert verdict == "unsafe" and "tar.polyglot" in ids
    verdict, ids = _ids(_zip_tar_polyglot(b"{}"), "bundle.zip")
    assert verdict == "suspicious" and "tar.polyglot" in ids


def test_plain_zips_are_no_polyglots() -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello world\n", "x")
        z.writestr("a.json", "{}")
    verdict, ids = _ids(buf.getvalue(), "bundle.zip")
    assert verdict == "safe" and not {i for i in ids if i.endswith("polyglot")}


# ---- 5. LZMA-alone with another properties byte than joblib's 0x5d --------------------------

def _lzma_alone(data: bytes, props: int) -> bytes:
    import lzma

    filt = {"id": lzma.FILTER_LZMA1, "lc": props % 9, "lp": props // 9 % 5, "pb": props // 45, "dict_size": 1 << 20}
    return lzma.compress(data, format=lzma.FORMAT_ALONE, filters=[filt])


@pytest.mark.parametrize("props", [0x00, 0x01, 0x2D, 0x5E, 0x5D])
def test_lzma_alone_with_any_valid_properties_is_decompressed_and_judged(props: int, tmp_path: Path) -> None:
    data = _lzma_alone(EVIL, props)
    assert data[0] == props
    f = tmp_path / "frame.pkl.xz"
    f.write_bytes(data)
    # lzma.open (pandas' "xz" compression, LZMAFile's FORMAT_AUTO) reads it whatever the byte
    assert "os" in _run("import lzma, pickletools, sys\npickletools.dis(lzma.open(sys.argv[1]))", str(f))
    r = scan_bytes(data, "frame.pkl.xz")
    assert r.verdict == "unsafe" and r.format == "pickle+lzma"


def test_random_bytes_are_not_taken_for_lzma_alone() -> None:
    import random

    from mlbom.formats.compression import detect

    rnd = random.Random(10)
    for _ in range(2000):
        head = bytearray(rnd.randbytes(512))
        head[0] = rnd.choice([0x00, 0x01, 0x2D, 0x5E])
        head[13] = 0
        assert detect(bytes(head)) is None


# ---- 6. gzip with trailing garbage, lz4 skippable frames and checksums ---------------------

def test_gzip_with_trailing_garbage_is_judged_as_gzip_py_hands_it_out(tmp_path: Path) -> None:
    import gzip

    data = gzip.compress(EVIL) + b"GARBAGE!"
    with pytest.raises(gzip.BadGzipFile), gzip.open(io.BytesIO(data)) as g:
        g.read()
    f = tmp_path / "frame.pkl.gz"
    marker = tmp_path / "ran"
    f.write_bytes(gzip.compress(b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.") + b"GARBAGE!")
    _run("import gzip, pickle, sys\ntry: pickle.load(gzip.open(sys.argv[1]))\nexcept Exception as e: print(e)", str(f))
    assert marker.exists()  # pandas.read_pickle reads it the same way: the pickle ran before the error
    verdict, ids = _ids(data, "frame.pkl.gz")
    assert verdict == "unsafe" and "gzip.trailing-garbage" in ids
    verdict, ids = _ids(gzip.compress(b'{"a": 1}') + b"\x01", "frame.json.gz")
    assert verdict == "suspicious" and "gzip.trailing-garbage" in ids


def test_lz4_skippable_frames_are_stepped_over() -> None:
    import struct

    lz4frame = pytest.importorskip("lz4.frame")
    skip = struct.pack("<LL", 0x184D2A50, 4) + b"abcd"
    for data in (lz4frame.compress(b"") + skip + lz4frame.compress(EVIL), skip + lz4frame.compress(EVIL),
                 lz4frame.compress(EVIL[:5]) + skip + lz4frame.compress(EVIL[5:])):
        assert lz4frame.open(io.BytesIO(data)).read() == EVIL  # lz4.frame reads through the skippable frame
        r = scan_bytes(data, "model.pkl.lz4")
        assert r.verdict == "unsafe" and r.format == "pickle+lz4"


def test_lz4_content_checksum_mismatch_is_judged_and_flagged(tmp_path: Path) -> None:
    lz4frame = pytest.importorskip("lz4.frame")

    def broken(payload: bytes) -> bytes:
        frame = lz4frame.compress(payload + b"\0" * 200_000, content_checksum=True, block_size=lz4frame.BLOCKSIZE_MAX64KB)
        return frame[:-1] + bytes([frame[-1] ^ 1])

    f = tmp_path / "m.pkl.lz4"
    marker = tmp_path / "ran"
    f.write_bytes(broken(b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."))
    out = _run("import lz4.frame, pickle, sys\npickle.load(lz4.frame.open(sys.argv[1]))\n"
               "try: lz4.frame.open(sys.argv[1]).read()\nexcept RuntimeError as e: print(e)", str(f))
    assert marker.exists() and "contentChecksum" in out  # the pickle ran; reading on raises
    verdict, ids = _ids(broken(EVIL), "m.pkl.lz4")
    assert verdict == "unsafe" and "lz4.checksum-mismatch" in ids
    verdict, ids = _ids(broken(b"N."), "m.pkl.lz4")
    assert verdict == "suspicious" and "lz4.checksum-mismatch" in ids
    good = lz4frame.compress(b"N." + b"\0" * 200_000, content_checksum=True)
    assert _ids(good, "m.pkl.lz4")[0] == "suspicious"  # trailing data after STOP, no checksum finding
    assert "lz4.checksum-mismatch" not in _ids(good, "m.pkl.lz4")[1]


# ---- 4. dataset files: the scanner's pickle judgement, before any media signature ----------

# pickles a loader reads behind a signature datafile's table knew (GIF's "G" is BINFLOAT, a PNG's
# first byte NEWFALSE) or with an integer only int(x, 0) parses (pickle's INT; pickletools refuses it)
_DATASET_PICKLES = {
    "frames/cat.gif": b"GIF89a\x01\x00\x00" + EVIL,
    "counts.txt": b"I0x10\n0" + EVIL,
}


def test_dataset_files_that_unpickle_are_scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import pickletools

    from mlbom.cli import main
    from mlbom.formats.datafile import detect

    ds = tmp_path / "ds"
    (ds / "frames").mkdir(parents=True)
    (ds / "README.md").write_text("---\nlicense: mit\n---\n# ds\n")
    (ds / "a.csv").write_text("a,b\n1,2\n3,4\n")
    for rel, data in _DATASET_PICKLES.items():
        (ds / rel).write_bytes(data)
        assert detect(data) == "pickle"
        assert "'os system'" in _run("import pickle, pickletools, sys\n"
                                     "print([a for o, a, p in pickletools.genops(open(sys.argv[1], 'rb')) if a])",
                                     str(ds / rel)) or rel == "counts.txt"
    with pytest.raises(ValueError):  # pickletools cannot read INT 0x10; pickle.load can
        list(pickletools.genops(io.BytesIO(_DATASET_PICKLES["counts.txt"])))
    assert "system" in _run("import pickle, sys\nclass U(pickle.Unpickler):\n"
                            "    def find_class(self, m, n): print(m, n); raise SystemExit\n"
                            "U(open(sys.argv[1], 'rb')).load()", str(ds / "counts.txt"))
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    for manifest in (False, True):
        out = tmp_path / f"bom{manifest}.json"
        args = ["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)]
        main([*args, "--max-file-components", "0"] if manifest else args)
        doc = json.loads(out.read_text())
        verdicts = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}.get("mlbom:safety:verdict")
                    for c in doc["components"] if c.get("type") == "file"}
        for rel in _DATASET_PICKLES:
            assert verdicts[rel] == "unsafe", (manifest, rel)
        assert verdicts.get("a.csv") is None


def test_module_under_a_linked_folder_is_not_taken_as_judged(tmp_path: Path) -> None:
    import json

    from mlbom.scanner import scan

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "mod.py").write_text("import os\nos.system('true')\n")
    model = tmp_path / "model"
    model.mkdir()
    (model / "sub").symlink_to(outside, target_is_directory=True)
    (model / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sub/mod.py::Cls"}]))
    [r] = scan([model / "modules.json"])
    assert r.verdict == "suspicious" and any(f.id == "code.remote" for f in r.findings)


def _v7_tar(name: str, data: bytes) -> bytes:
    """A tar whose header has no ``ustar`` magic (v7): tarfile and torch.load read it all the same."""
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    raw = bytearray(buf.getvalue())
    raw[257:265] = b"\0" * 8  # magic and version gone
    raw[148:156] = b" " * 8
    raw[148:156] = b"%06o\0 " % sum(raw[:512])
    return bytes(raw)


def test_a_v7_tar_in_a_dataset_is_read_as_tar(tmp_path: Path) -> None:
    import tarfile

    from mlbom.formats.datafile import detect

    data = _v7_tar("inner.pkl", EVIL)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # tarfile reads it
        assert tar.getnames() == ["inner.pkl"]
    assert detect(data) == "tar"
    assert _ids(data, "shards.tar")[0] == "unsafe"


@pytest.mark.parametrize(("name", "link", "kind", "verdict"), [
    ("storages", "/etc/hostname", "sym", "unsafe"),
    ("storages", "../../etc/hostname", "sym", "unsafe"),
    ("a/storages", "../b/x", "sym", "suspicious"),  # stays inside the extraction folder
    ("a/storages", "../../x", "sym", "unsafe"),
    ("storages", "../x", "hard", "unsafe"),
    ("storages", "tensors", "hard", "suspicious"),
])
def test_tar_links_leaving_the_archive_are_unsafe(name: str, link: str, kind: str, verdict: str) -> None:
    """tarfile.extract without a filter (Python < 3.14; torch's legacy_load extracts 'storages'
    then opens it) creates the link: reading or writing through it reaches a host file."""
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member in ("tensors", "pickle"):
            info = tarfile.TarInfo(member)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"N."))
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
        info.linkname = link
        tar.addfile(info)
    got, ids = _ids(buf.getvalue(), "legacy.tar")
    if verdict == "unsafe":
        assert got == "unsafe" and "tar.link-escape" in ids
    else:  # a link inside the archive: suspicious (the records themselves are not torch's: may be error)
        assert got in ("suspicious", "error") and "tar.link-member" in ids and "tar.link-escape" not in ids


@pytest.mark.parametrize("method", [8, 12, 14])
def test_empty_compressed_folder_entries_hold_no_data(method: int) -> None:
    # red team 56b-2: Java's and Bazel's zip writers deflate folder entries (a 2-byte empty stream);
    # zipfile reads b'' from each: no differential
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("tf-imports/"), b"", compress_type=method)
        z.writestr("a.json", b"{}")
    with zipfile.ZipFile(buf) as z:
        assert z.getinfo("tf-imports/").compress_size > 0 and z.read("tf-imports/") == b""
    verdict, ids = _ids(buf.getvalue(), "bundle.zip")
    assert verdict == "safe" and "zip.directory-data" not in ids, ids
