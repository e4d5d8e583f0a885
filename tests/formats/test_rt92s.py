"""Red team 92s: numpy's (unsized flexible, int) dtype spelling is a width, not a sub-array
('8S' is 'S8'), so a joblib array's bytes are skipped as joblib skips them; a config's
``_attn_implementation`` (the property transformers stores the attention implementation in)
naming a Hub kernel is remote code as ``attn_implementation`` is."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mlbom.formats import npdtype
from mlbom.scanner import scan_file


def _binunicode(x: bytes) -> bytes:
    return b"X" + struct.pack("<I", len(x)) + x


def _joblib_wrapper(dtype: bytes, count: int, data: bytes, tail: bytes) -> bytes:
    """A protocol-3 joblib stream: a NumpyArrayWrapper of ``count`` items of ``numpy.dtype(dtype)``,
    then ``data`` (the array bytes joblib skips), then ``tail``."""
    p = b"\x80\x03cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}("
    p += _binunicode(b"subclass") + b"cnumpy\nndarray\n"
    p += _binunicode(b"shape") + b"K" + bytes([count]) + b"\x85"
    p += _binunicode(b"order") + _binunicode(b"C")
    p += _binunicode(b"dtype") + b"cnumpy\ndtype\n" + _binunicode(dtype) + b"\x89\x88\x87R"
    p += _binunicode(b"allow_mmap") + b"\x89ub"
    return p + data + tail


def test_92s_1_width_spelling_hides_no_opcodes(tmp_path: Path) -> None:
    """joblib skips 4 x 8 bytes after a wrapper of dtype('8S'); mlbom used to skip 0 (8 x S0) and
    read a bytes literal there that swallowed the os.system joblib runs — safe, exit 0."""
    hidden = b"0cos\nsystem\n(S'touch /tmp/pwned-92s-1'\ntR."
    filler = b"A" * (32 - 5)
    data = b"B" + struct.pack("<I", len(filler) + len(hidden)) + filler  # 32 bytes: joblib's array data
    p = tmp_path / "model.joblib"
    p.write_bytes(_joblib_wrapper(b"8S", 4, data, hidden + b"0."))
    r = scan_file(p)
    assert r.verdict == "unsafe"
    assert any(f.id == "pickle.dangerous-callable" and "system" in f.message for f in r.findings)


def test_92s_1_honest_width_spelling_is_safe(tmp_path: Path) -> None:
    p = tmp_path / "model.joblib"
    p.write_bytes(_joblib_wrapper(b"8S", 4, b"abcdefgh" * 4, b"."))
    assert scan_file(p).verdict == "safe"


@pytest.mark.parametrize(("spec", "want"), [
    ("8S", (8, False)), ("8a", (8, False)), ("8 a", (8, False)), ("<8S", (8, False)), ("2<S", (2, False)),
    ("2U", (8, False)), ("2V", (2, False)), ("2S0", (2, False)), ("00S", (0, False)), ("2S2", (4, False)),
    ("i4,2S", (6, False)), ("i4,(2)S", (6, False)), ("2U,i4", (12, False)), ("i4,00O", (4, True)),
    ("(2)S", None), ("(2,)S", None), ("2,S", None), ("()S", None), ("i4,(2,)S", None),
    ("<a", None), ("|a", None), ("01O", None), ("i4,01O", None), ("(01,)i4", None),
    ("M8[us/0]", None), ("M8[us/3]", None), ("M8[s/1]", (8, False)),
])
def test_92s_1_spellings(spec: str, want: tuple[int, bool] | None) -> None:
    """Each as numpy 2.4 reads it (``None``: numpy refuses it — or, for ``[us/0]``, dies of SIGFPE);
    test_npdtype.py's table is re-checked against the installed numpy."""
    try:
        d = npdtype.parse(spec)
        got: tuple[int, bool] | None = (d.itemsize, d.hasobject)
    except npdtype.DTypeError:
        got = None
    assert got == want


@pytest.mark.parametrize("where", ["top", "sub"])
def test_92s_2_private_attn_implementation(tmp_path: Path, where: str) -> None:
    doc: dict[str, object] = {"model_type": "llama", "hidden_size": 64}
    kernel = "kernels-community/evil-attn"
    if where == "top":
        doc["_attn_implementation"] = kernel
    else:
        doc["text_config"] = {"_attn_implementation": {"": kernel}}
    p = tmp_path / "config.json"
    p.write_text(json.dumps(doc))
    r = scan_file(p)
    assert r.verdict == "suspicious"
    assert any(f.id == "code.remote" and "_attn_implementation" in f.message for f in r.findings)


def test_92s_2_builtin_private_attn_implementation_is_safe(tmp_path: Path) -> None:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": "llama", "_attn_implementation": "sdpa"}))
    assert scan_file(p).verdict == "safe"
