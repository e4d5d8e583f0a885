"""Issue 12, third red team: the scanner's side of its findings (the reproducer files are rows of
``hostile/scanner/EXPECTED.tsv``; these tests pin the rules behind them)."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

from mlbom.scanner import scan_bytes, scan_file
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile" / "scanner"


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _v7_signed(data: bytes) -> bytes:
    """The first header made v7 (no ``ustar`` magic) with a byte >= 0x80 in its name and the
    checksum field holding the *signed* sum, which ``tarfile`` accepts and torch.load reads."""
    block = bytearray(data[:512])
    block[257:265] = bytes(8)
    block[90] = 0xE9  # inside the name field, after the name's NUL
    block[148:156] = b" " * 8
    signed = sum(b - 256 if b > 127 else b for b in block)
    assert signed != sum(block)
    block[148:156] = b"%06o\0 " % signed
    tarfile.TarInfo.frombuf(bytes(block), "utf-8", "surrogateescape")  # tarfile takes it
    return bytes(block) + data[512:]


def test_a_v7_tar_with_a_signed_checksum_is_a_tar_and_its_members_are_scanned() -> None:
    evil = b"cposix\nsystem\n(S'true'\ntR."
    r = scan_bytes(_v7_signed(_tar({"payload.pkl": evil})), "archive.pt")
    assert r.format == "tar"
    assert r.verdict == "unsafe", r.findings


def test_text_whose_first_bytes_are_opcodes_but_that_the_unpickler_refuses_stays_text() -> None:
    # 'R' is REDUCE: on an empty stack every unpickler raises before anything can run
    r = scan_bytes(b"Read me: this folder holds the model card.\n", "README")
    assert (r.format, r.verdict) == ("text", "safe"), r.findings


def test_text_whose_first_name_no_import_finds_stays_text() -> None:
    # "import os" is INST of module "mport os": find_class raises there, before any call
    for text in (b"import os\nprint(1)\n", b"class Foo:\n    pass\n"):
        r = scan_bytes(text, "notes.txt")
        assert (r.format, r.verdict) == ("text", "safe"), r.findings


def test_content_the_walker_could_not_finish_is_never_safe_text() -> None:
    # a million NONE opcodes: the walk stops at its stack bound, where the loader reads on
    r = scan_bytes(b"N" * 1_000_001, "notes.txt")
    assert r.verdict == "error", r.findings
    assert any(f.id == "pickle.unproven-stop" for f in r.findings), r.findings


def test_a_tar_that_is_also_safetensors_is_judged_as_both() -> None:
    r = scan_file(HOSTILE / "polyglot-safetensors-tar.pt")
    ids = {f.id for f in r.findings}
    assert {"safetensors.polyglot", "pickle.dangerous-callable"} <= ids
    assert r.verdict == "unsafe"


def test_legacy_tar_storages_are_sized_by_the_records_own_storage_type() -> None:
    r = scan_file(HOSTILE / "legacy-tar-storage-type-third-item.pt")
    bad = [f for f in r.findings if f.id == "pickle.dangerous-callable"]
    assert bad and all("(storage views)" in f.message for f in bad), r.findings


def test_python_source_is_code_and_names_its_auto_map_config(tmp_path: Path) -> None:
    (tmp_path / "modeling_x.py").write_text("import os\n")
    (tmp_path / "helper.py").write_text("X = 1\n")
    (tmp_path / "tokenizer_config.json").write_text('{"auto_map": {"AutoTokenizer": ["hub/repo--modeling_x.Tok", null]}}')
    remote = scan_file(tmp_path / "modeling_x.py")
    plain = scan_file(tmp_path / "helper.py")
    assert (remote.format, remote.verdict) == ("python-source", "suspicious")
    assert (plain.format, plain.verdict) == ("python-source", "suspicious")
    assert any("tokenizer_config.json names it in auto_map" in f.message for f in remote.findings)
    assert not any("auto_map" in f.message for f in plain.findings)


def test_compiled_python_is_code() -> None:
    import importlib.util
    import marshal

    pyc = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(compile("X = 1", "module.py", "exec"))
    r = scan_bytes(pyc, "module.cpython-312.pyc")
    assert (r.format, r.verdict) == ("python-bytecode", "suspicious")
