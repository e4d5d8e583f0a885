"""Red team 121wo: ``mlbom:torch:weights-only`` was ``true`` for zip checkpoints torch 2.13 cannot load in
either mode, where mlbom does not model what torch does — now no claim is made there (``true`` only where
mlbom can tell): a storage key that is no text (121wo-1: torch formats it into ``data/<key>``), a storage
element count that is no int or whose byte size overflows (121wo-2), and a tensor rebuild whose arguments
are not the shape torch.save writes (121wo-3: four arguments to ``_rebuild_tensor_v2``, ``requires_grad=7``,
metadata that is no dict, an int as the storage…). 121wo-4, the other direction: a storage key holding a NUL
finds the record its part before the NUL names, as torch's reader does. Hand-built pickles; nothing here is
loaded."""

from __future__ import annotations

import io
import zipfile

import pytest

from mlbom.scanner import scan_bytes


def _pkl(key: bytes = b"X\x01\x00\x00\x000", numel: bytes = b"K\x02", args_tail: bytes = b"\x89ccollections\nOrderedDict\n)R",
         storage: bytes | None = None) -> bytes:
    pid = b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\n" + key + b"X\x03\x00\x00\x00cpu" + numel + b"tQ"
    return (b"\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n("
            + (storage if storage is not None else pid) + b"K\x00K\x02\x85K\x01\x85" + args_tail + b"tRs.")


def _ckpt(pkl: bytes, data0: bytes = b"\x00" * 8) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        for name, data in (("archive/data.pkl", pkl), ("archive/byteorder", b"little"), ("archive/data/0", data0),
                           ("archive/version", b"3\n"), ("archive/.data/serialization_id", b"0123456789")):
            z.writestr(name, data)
    return b.getvalue()


def _claim(data: bytes) -> str | None:
    r = scan_bytes(data, "model.pt")
    assert r.verdict == "safe", r.findings
    return r.facts.get("torch.weights-only")


def test_control_is_true() -> None:
    assert _claim(_ckpt(_pkl())) == "true"


@pytest.mark.parametrize("key", [b"K\x00", b"N", b"G\x00\x00\x00\x00\x00\x00\x00\x00", b"K\x00\x85"])
def test_121wo1_a_storage_key_that_is_no_text_makes_no_claim(key: bytes) -> None:
    assert _claim(_ckpt(_pkl(key=key))) is None


@pytest.mark.parametrize("numel", [b"G@\x00\x00\x00\x00\x00\x00\x00", b"N", b"\x88", b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x20"])
def test_121wo2_an_element_count_mlbom_cannot_size_makes_no_claim(numel: bytes) -> None:
    assert _claim(_ckpt(_pkl(numel=numel))) is None


@pytest.mark.parametrize(("tail", "storage"), [
    (b"", None),  # four arguments: _rebuild_tensor_v2 takes six or seven
    (b"K\x07ccollections\nOrderedDict\n)R", None),  # requires_grad=7
    (b"\x89ccollections\nOrderedDict\n)RK\x01", None),  # metadata 1
    (b"\x89ccollections\nOrderedDict\n)R", b"K\x05"),  # an int as the storage
])
def test_121wo3_rebuild_arguments_torch_refuses_make_no_claim(tail: bytes, storage: bytes | None) -> None:
    assert _claim(_ckpt(_pkl(args_tail=tail, storage=storage))) is None


def test_121wo3_metadata_none_or_a_dict_keeps_the_claim() -> None:
    assert _claim(_ckpt(_pkl(args_tail=b"\x89ccollections\nOrderedDict\n)RN"))) == "true"
    assert _claim(_ckpt(_pkl(args_tail=b"\x89ccollections\nOrderedDict\n)R}"))) == "true"


@pytest.mark.parametrize("key", [b"X\x03\x00\x00\x000\x00x", b"X\x05\x00\x00\x000\x00XYZ"])
def test_121wo4_a_storage_key_cut_at_a_nul_finds_its_record(key: bytes) -> None:
    """torch passes ``data/<key>`` to miniz as a C string: key ``'0\\x00x'`` reads ``data/0`` and loads. It was
    reported missing (``error``, "torch.load raises")."""
    assert _claim(_ckpt(_pkl(key=key))) == "true"


def test_121wo4_a_key_that_names_no_record_is_still_missing() -> None:
    r = scan_bytes(_ckpt(_pkl(key=b"X\x03\x00\x00\x001\x000")), "model.pt")
    assert r.verdict == "error" and any(f.id == "pytorch.storage-missing" for f in r.findings), r.findings
