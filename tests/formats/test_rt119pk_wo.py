"""Red team 119pk-1 to -6: ``mlbom:torch:weights-only`` must be what torch 2.13's
``torch.load(weights_only=True)`` does, and never ``true`` where mlbom cannot tell.

- 119pk-6: two members torch's reader may return for ``data.pkl`` (the same name, or names equal
  ignoring ASCII case): the claim was the LAST one's; now it stands only where every copy agrees.
- 119pk-3: the storage type of a ``('storage', ...)`` persistent id was never checked: torch's
  ``persistent_load`` reads ``storage_type.dtype`` (the zip layout: ``torch.uint8`` for
  ``UntypedStorage``), so a legacy ``torch.save`` of a uint16/float8 tensor (``UntypedStorage``)
  and a zip naming ``torch.float32``/``torch.Size``/... never load; and the
  ``torch.storage.UntypedStorage`` spelling skipped the record-size check.
- 119pk-1: torch refuses every legacy tar checkpoint under weights_only: ``false``.
- 119pk-2: a legacy checkpoint's five pickles all go through the restricted unpickler, and its
  protocol version must be 1001.
- 119pk-4: a zip holding ``<root>/constants.pkl`` is TorchScript to torch.load: ``false``.
- 119pk-5: torch's weights_only unpickler reads past any PROTO byte: the claim follows it (the
  verdict stays the walk's: ``error``).

The files here are built by hand and never loaded, except in the optional ``torch`` test at the
end, which hands harmless ones (plain dicts, ``dict()``, tensors) to the real
``torch.load(weights_only=True)`` and compares."""

from __future__ import annotations

import io
import pickle
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from mlbom.formats.pickle import _STORAGE_ELEMENT_SIZE
from mlbom.formats.torch_weights_only import load_table, table_from_data
from mlbom.scanner import FileScan, scan_bytes

MAGIC = 0x1950A86A20F9469CFC6C
SYSINFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
BAD = b"\x80\x02c__builtin__\ndict\nq\x00)R."  # dict(): harmless, not on torch's allowlist
GOOD = b"\x80\x02}q\x00."  # {}

# torch 2.13.0+cpu: torch.save({'w': torch.ones(2)}, f, _use_new_zipfile_serialization=False)
LEGACY_FLOAT = bytes.fromhex(
    "80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de903580d"
    "0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b0258"
    "03000000696e7471064b0458040000006c6f6e6771074b0475752e80027d7100580100000077710163746f7263682e5f7574696c730a5f"
    "72656275696c645f74656e736f725f76320a71022828580700000073746f72616765710363746f7263680a466c6f617453746f72616765"
    "0a7104580e00000039343932313539343335313631367105580300000063707571064b024e747107514b004b028571084b018571098963"
    "636f6c6c656374696f6e730a4f726465726564446963740a710a2952710b74710c52710d732e80025d7100580e000000393439323135"
    "39343335313631367101612e02000000000000000000803f0000803f")
# torch 2.13.0+cpu: torch.save(torch.tensor([1], dtype=torch.uint16), f, _use_new_zipfile_serialization=False)
# (the storage type is torch.storage.UntypedStorage; torch.load raises in either mode)
LEGACY_UINT16 = bytes.fromhex(
    "80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de903580d"
    "0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b0258"
    "03000000696e7471064b0458040000006c6f6e6771074b0475752e800263746f7263682e5f7574696c730a5f72656275696c645f74656e"
    "736f725f76330a71002828580700000073746f72616765710163746f7263682e73746f726167650a556e747970656453746f726167650a"
    "7102580e00000039343332383138333139303839367103580300000063707571044b024e747105514b004b018571064b01857107896363"
    "6f6c6c656374696f6e730a4f726465726564446963740a71082952710963746f7263680a75696e7431360a710a74710b52710c2e80025d"
    "7100580e00000039343332383138333139303839367101612e02000000000000000100")
# torch 2.13: the data.pkl of torch.save({'w': torch.ones(2)}) (storage data/0, 8 bytes)
ZIP_FLOAT = (b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storage"
             b"q\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06K\x02tq\x07QK\x00K\x02"
             b"\x85q\x08K\x01\x85q\t\x89ccollections\nOrderedDict\nq\n)Rq\x0btq\x0cRq\rs.")
ONES = b"\x00\x00\x80?\x00\x00\x80?"


def _legacy(obj: bytes, *, magic: bytes | None = None, version: bytes | None = None, sysinfo: bytes | None = None,
            keys: bytes | None = None, tail: bytes = b"") -> bytes:
    """torch's pre-1.6 layout: magic, protocol version, sys info, object, storage keys pickles."""
    return ((magic or pickle.dumps(MAGIC, protocol=2)) + (version or pickle.dumps(1001, protocol=2))
            + (sysinfo or pickle.dumps(SYSINFO, protocol=2)) + obj + (keys or pickle.dumps([], protocol=2)) + tail)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    b = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile's "Duplicate name"
        with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
            for n, d in members:
                z.writestr(n, d)
    return b.getvalue()


def _torch_zip(pkl: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    return _zip([("archive/data.pkl", pkl), ("archive/byteorder", b"little"),
                 *[(f"archive/{k}", v) for k, v in (extra or {}).items()],
                 ("archive/version", b"3\n"), ("archive/.data/serialization_id", b"0123456789")])


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:", format=tarfile.PAX_FORMAT) as t:
        for n, d in members:
            ti = tarfile.TarInfo(n)
            ti.size, ti.mtime = len(d), 0
            t.addfile(ti, io.BytesIO(d))
    return b.getvalue()


def _claim(r: FileScan) -> str | None:
    return r.facts.get("torch.weights-only")


def _ids(r: FileScan) -> set[str]:
    return {f.id for f in r.findings}


# ---- 119pk-6: several data.pkl members --------------------------------------------------------

def _two(first: tuple[str, bytes], second: tuple[str, bytes]) -> bytes:
    return _zip([first, second, ("archive/byteorder", b"little"), ("archive/version", b"3\n")])


@pytest.mark.parametrize("names", [("archive/data.pkl", "archive/DATA.PKL"), ("archive/DATA.PKL", "archive/data.pkl"),
                                   ("archive/data.pkl", "archive/data.pkl")], ids=["case", "case-upper-first", "same"])
@pytest.mark.parametrize("order", [(BAD, GOOD), (GOOD, BAD)], ids=["bad-first", "good-first"])
def test_6_copies_that_disagree_withhold_the_claim(names: tuple[str, str], order: tuple[bytes, bytes]) -> None:
    r = scan_bytes(_two((names[0], order[0]), (names[1], order[1])), "m.pt")
    assert _claim(r) is None, r.facts
    assert any(f.id == "torch.weights-only-unknown" and "2 members" in f.message for f in r.findings), r.findings


@pytest.mark.parametrize("names", [("archive/data.pkl", "archive/DATA.PKL"), ("archive/data.pkl", "archive/data.pkl")])
@pytest.mark.parametrize("both,want", [(GOOD, "true"), (BAD, "false")])
def test_6_copies_that_agree_keep_it(names: tuple[str, str], both: bytes, want: str) -> None:
    r = scan_bytes(_two((names[0], both), (names[1], both)), "m.pt")
    assert _claim(r) == want, (r.facts, r.findings)


def test_6_one_data_pkl_still_answers() -> None:
    assert _claim(scan_bytes(_torch_zip(GOOD), "m.pt")) == "true"
    assert _claim(scan_bytes(_torch_zip(BAD), "m.pt")) == "false"


def test_6_a_data_pkl_under_the_root_in_another_case_is_a_copy() -> None:
    """torch's reader finds ARCHIVE/data.pkl for archive/data.pkl (ASCII case ignored) — and refuses the
    archive, whose entries must all begin with entry 0's folder, byte for byte: no claim either way."""
    r = scan_bytes(_two(("archive/data.pkl", GOOD), ("ARCHIVE/data.pkl", BAD)), "m.pt")
    assert _claim(r) is None, r.facts


# ---- 119pk-3: the storage type of a persistent id ---------------------------------------------

def test_3_real_legacy_float_checkpoint_is_true() -> None:
    r = scan_bytes(LEGACY_FLOAT, "m.pt")
    assert (r.verdict, r.format, _claim(r)) == ("safe", "pytorch-legacy", "true"), r.findings


def test_3_real_legacy_untyped_storage_never_loads() -> None:
    """torch.save(uint16 tensor, legacy): the legacy persistent_load reads UntypedStorage.dtype."""
    r = scan_bytes(LEGACY_UINT16, "m.pt")
    assert _claim(r) is None and r.verdict == "error", (r.facts, r.findings)
    assert any(f.id == "pytorch.tensor-invalid" and "UntypedStorage" in f.message for f in r.findings)


def test_3_float8_spelling_too() -> None:
    data = LEGACY_UINT16.replace(b"ctorch\nuint16\n", b"ctorch\nfloat8_e4m3fn\n")
    r = scan_bytes(data, "m.pt")
    assert _claim(r) is None and "pytorch.tensor-invalid" in _ids(r)


def test_3_legacy_storage_class_in_a_legacy_id_loads() -> None:
    data = LEGACY_UINT16.replace(b"ctorch.storage\nUntypedStorage\n", b"ctorch\nByteStorage\n")
    r = scan_bytes(data, "m.pt")
    assert (r.verdict, _claim(r)) == ("safe", "true"), r.findings


def test_3_zip_control() -> None:
    r = scan_bytes(_torch_zip(ZIP_FLOAT, {"data/0": ONES}), "m.pt")
    assert (r.verdict, _claim(r)) == ("safe", "true"), r.findings


@pytest.mark.parametrize("storage_type", [b"torch\nfloat32", b"torch\nSize", b"torch.storage\nTypedStorage",
                                          b"collections\nOrderedDict", b"torch\ndevice"])
def test_3_zip_allowlisted_global_without_a_dtype(storage_type: bytes) -> None:
    data = _torch_zip(ZIP_FLOAT.replace(b"ctorch\nFloatStorage\n", b"c" + storage_type + b"\n"), {"data/0": ONES})
    r = scan_bytes(data, "m.pt")
    assert _claim(r) is None and r.verdict == "error", (r.facts, r.findings)
    assert any(f.id == "pytorch.tensor-invalid" and "storage type" in f.message for f in r.findings), r.findings


@pytest.mark.parametrize("storage_type", [b"torch\nFloatTensor", b"torch.cuda\nFloatStorage", b"torch.sparse\nFloatTensor"])
def test_3_zip_storage_types_with_a_float_dtype_load(storage_type: bytes) -> None:
    data = _torch_zip(ZIP_FLOAT.replace(b"ctorch\nFloatStorage\n", b"c" + storage_type + b"\n"), {"data/0": ONES})
    r = scan_bytes(data, "m.pt")
    assert _claim(r) == "true", (r.facts, r.findings)
    # the size check knows them: 4 bytes an element
    bad = _torch_zip(ZIP_FLOAT.replace(b"ctorch\nFloatStorage\n", b"c" + storage_type + b"\n"), {"data/0": ONES[:6]})
    assert "pytorch.invalid" in _ids(scan_bytes(bad, "m.pt"))


def test_3_zip_untyped_storage_spelling_is_size_checked() -> None:
    pkl = ZIP_FLOAT.replace(b"ctorch\nFloatStorage\n", b"ctorch.storage\nUntypedStorage\n")
    r = scan_bytes(_torch_zip(pkl, {"data/0": ONES}), "m.pt")  # numel 2, uint8: 2 bytes, the record has 8
    assert _claim(r) is None and any(f.id == "pytorch.invalid" and "record" in f.message for f in r.findings)
    r = scan_bytes(_torch_zip(pkl.replace(b"K\x02tq\x07", b"K\x08tq\x07"), {"data/0": ONES}), "m.pt")
    assert _claim(r) == "true", (r.facts, r.findings)  # the zip loader reads UntypedStorage as uint8


def test_3_a_plain_value_as_storage_type() -> None:
    pkl = ZIP_FLOAT.replace(b"ctorch\nFloatStorage\nq\x04", b"X\x01\x00\x00\x00xq\x04")
    r = scan_bytes(_torch_zip(pkl, {"data/0": ONES}), "m.pt")
    assert _claim(r) is None and "pytorch.tensor-invalid" in _ids(r), r.findings


def test_3_a_storage_type_mlbom_cannot_tell_is_unknown() -> None:
    """A tensor (the result of an allowlisted rebuild call) has a dtype: mlbom cannot tell its element size."""
    inner = (b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000"
             b"X\x03\x00\x00\x00cpuK\x02tQK\x00K\x02\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR")
    pkl = ZIP_FLOAT.replace(b"ctorch\nFloatStorage\nq\x04", inner + b"q\x04")
    r = scan_bytes(_torch_zip(pkl, {"data/0": ONES}), "m.pt")
    assert _claim(r) is None, r.facts
    assert any(f.id == "torch.weights-only-unknown" and "storage type" in f.message for f in r.findings), r.findings


def test_3_id_lengths_follow_the_layout() -> None:
    # a 6-item (legacy) id in a zip: the zip loader unpacks 4 after 'storage'
    pkl = ZIP_FLOAT.replace(b"K\x02tq\x07", b"K\x02Ntq\x07")
    r = scan_bytes(_torch_zip(pkl, {"data/0": ONES}), "m.pt")
    assert _claim(r) is None and any("6 items" in f.message for f in r.findings), r.findings
    # a 5-item (zip) id in a legacy checkpoint
    data = LEGACY_FLOAT.replace(b"K\x02Ntq\x07", b"K\x02tq\x07")
    assert data != LEGACY_FLOAT
    r = scan_bytes(data, "m.pt")
    assert _claim(r) is None and any("5 items" in f.message for f in r.findings), r.findings


def test_3_element_sizes_agree_with_the_table() -> None:
    table = table_from_data()
    assert table.storage_types == load_table().storage_types
    assert table.storage_types["torch.storage.UntypedStorage"] == (1, None)
    for path, (zip_size, legacy_size) in table.storage_types.items():
        assert path in table.globals
        assert _STORAGE_ELEMENT_SIZE.get(path) == zip_size, path
        assert legacy_size in (None, zip_size), path


# ---- 119pk-1: the legacy tar format -----------------------------------------------------------

def _legacy_tar(obj: bytes) -> bytes:
    return _tar([("sys_info", pickle.dumps(SYSINFO, protocol=2)), ("pickle", obj),
                 ("storages", pickle.dumps(0, protocol=2) + pickle.dumps([], protocol=2)),
                 ("tensors", pickle.dumps(0, protocol=2))])


def test_1_legacy_tar_is_false() -> None:
    r = scan_bytes(_legacy_tar(pickle.dumps({"a": 1}, protocol=2)), "m.tar")
    assert (r.format, r.verdict, _claim(r)) == ("pytorch-legacy-tar", "safe", "false"), (r.format, r.findings)
    assert any(f.id == "torch.weights-only-refused" and "tar" in f.message for f in r.findings)


# ---- 119pk-2: every pickle of a legacy checkpoint ---------------------------------------------

OBJ = pickle.dumps({"a": 1}, protocol=2)


def test_2_control() -> None:
    assert _claim(scan_bytes(_legacy(OBJ), "m.pt")) == "true"


@pytest.mark.parametrize("part", ["sysinfo", "keys", "version", "magic"])
def test_2_a_refused_opcode_or_global_in_any_pickle_is_false(part: str) -> None:
    kw: dict[str, bytes] = {
        "sysinfo": {"sysinfo": pickle.dumps(SYSINFO, protocol=4)},
        "keys": {"keys": pickle.dumps([], protocol=4)},
        "version": {"version": b"\x80\x02cbuiltins\nint\nX\x04\x00\x00\x001001\x85R."},  # int('1001')
        "magic": {"magic": pickle.dumps(MAGIC, protocol=4)},
    }[part]
    r = scan_bytes(_legacy(OBJ, **kw), "m.pt")
    assert r.format == "pytorch-legacy" and _claim(r) == "false", (r.format, r.facts, r.findings)


def test_2_a_global_in_the_sys_info_pickle() -> None:
    r = scan_bytes(_legacy(OBJ, sysinfo=BAD), "m.pt")
    assert _claim(r) == "false" and any("builtins.dict" in f.message and "system info" in f.message
                                        for f in r.findings), r.findings


@pytest.mark.parametrize("version", [1000, 0, "1001", None])
def test_2_the_protocol_version_is_checked(version: object) -> None:
    r = scan_bytes(_legacy(OBJ, version=pickle.dumps(version, protocol=2)), "m.pt")
    assert _claim(r) is None and r.verdict == "error", (r.facts, r.findings)
    assert any(f.id == "pytorch.invalid" and "protocol-version" in f.message for f in r.findings)


def test_2_a_float_protocol_version_equal_to_1001_passes() -> None:
    r = scan_bytes(_legacy(OBJ, version=pickle.dumps(1001.0, protocol=2)), "m.pt")
    assert _claim(r) == "true", r.findings  # 1001.0 != 1001 is False


def test_2_a_persistent_id_outside_the_object_pickle() -> None:
    keys = b"\x80\x02X\x01\x00\x00\x000Q."  # BINPERSID in the storage keys pickle
    r = scan_bytes(_legacy(OBJ, keys=keys), "m.pt")
    assert _claim(r) is None and any(f.id == "pytorch.invalid" and "storage keys" in f.message for f in r.findings)


def test_2_a_truncated_legacy_checkpoint_has_no_claim() -> None:
    data = pickle.dumps(MAGIC, protocol=2) + pickle.dumps(1001, protocol=2) + pickle.dumps(SYSINFO, protocol=2) + OBJ
    r = scan_bytes(data, "m.pt")
    assert _claim(r) is None and "pytorch.legacy-truncated" in _ids(r)


# ---- 119pk-4: constants.pkl -------------------------------------------------------------------

def test_4_constants_pkl_makes_it_torchscript_to_torch_load() -> None:
    r = scan_bytes(_torch_zip(GOOD, {"constants.pkl": b"\x80\x02)."}), "m.pt")
    assert r.format == "torchscript" and _claim(r) == "false", (r.format, r.facts)
    assert any(f.id == "torch.weights-only-refused" and "TorchScript" in f.message for f in r.findings)


def test_4_a_constants_pkl_name_cut_at_a_nul_counts() -> None:
    """getAllRecords copies each name as a C string: archive/constants.pkl<NUL>x is the record constants.pkl."""
    r = scan_bytes(_torch_zip(GOOD, {"constants.pkl\x00x": b"\x80\x02)."}), "m.pt")
    assert _claim(r) == "false", (r.format, r.facts, r.findings)


@pytest.mark.parametrize("name", ["CONSTANTS.PKL", "sub/constants.pkl"])
def test_4_only_root_constants_pkl_by_its_exact_name(name: str) -> None:
    """_is_torchscript_zip: "constants.pkl" in getAllRecords() — names as stored, case kept."""
    r = scan_bytes(_torch_zip(GOOD, {name: b"\x80\x02)."}), "m.pt")
    assert _claim(r) == "true", (r.format, r.facts, r.findings)


# ---- 119pk-5: PROTO > 5 -----------------------------------------------------------------------

def test_5_any_proto_byte_follows_torchs_reading() -> None:
    r = scan_bytes(_torch_zip(b"\x80\x09}q\x00."), "m.pt")
    assert r.verdict == "error" and _claim(r) == "true", (r.facts, r.findings)
    assert any(f.id == "pickle.unreadable" and "weights_only" in f.message for f in r.findings)
    r = scan_bytes(_torch_zip(b"\x80\x02}q\x00\x80\x07."), "m.pt")
    assert r.verdict == "error" and _claim(r) == "true"


def test_5_the_rest_of_the_pickle_is_still_judged_for_the_claim() -> None:
    r = scan_bytes(_torch_zip(b"\x80\x09" + BAD[2:]), "m.pt")
    assert r.verdict == "error" and _claim(r) == "false", (r.facts, r.findings)


def test_5_legacy() -> None:
    r = scan_bytes(_legacy(b"\x80\x09}q\x00."), "m.pt")
    assert r.verdict == "error" and _claim(r) == "true", (r.facts, r.findings)
    r = scan_bytes(_legacy(OBJ, keys=b"\x80\x09" + BAD[2:]), "m.pt")
    assert _claim(r) == "false", (r.facts, r.findings)


# ---- optional: the same files against the real torch ------------------------------------------

def _cases() -> dict[str, bytes]:
    out = {
        "6-bad-good": _two(("archive/data.pkl", BAD), ("archive/DATA.PKL", GOOD)),
        "6-good-good": _two(("archive/data.pkl", GOOD), ("archive/DATA.PKL", GOOD)),
        "3-legacy-float": LEGACY_FLOAT, "3-legacy-uint16": LEGACY_UINT16,
        "3-legacy-byte": LEGACY_UINT16.replace(b"ctorch.storage\nUntypedStorage\n", b"ctorch\nByteStorage\n"),
        "3-zip-float": _torch_zip(ZIP_FLOAT, {"data/0": ONES}),
        "3-zip-untyped-8": _torch_zip(ZIP_FLOAT.replace(b"ctorch\nFloatStorage\n", b"ctorch.storage\nUntypedStorage\n")
                                      .replace(b"K\x02tq\x07", b"K\x08tq\x07"), {"data/0": ONES}),
        "3-zip-untyped-2": _torch_zip(ZIP_FLOAT.replace(b"ctorch\nFloatStorage\n", b"ctorch.storage\nUntypedStorage\n"),
                                      {"data/0": ONES}),
        "3-zip-6-items": _torch_zip(ZIP_FLOAT.replace(b"K\x02tq\x07", b"K\x02Ntq\x07"), {"data/0": ONES}),
        "1-tar": _legacy_tar(OBJ), "2-control": _legacy(OBJ),
        "2-keys-p4": _legacy(OBJ, keys=pickle.dumps([], protocol=4)), "2-sysinfo-bad": _legacy(OBJ, sysinfo=BAD),
        "2-version-1000": _legacy(OBJ, version=pickle.dumps(1000, protocol=2)),
        "2-version-float": _legacy(OBJ, version=pickle.dumps(1001.0, protocol=2)),
        "2-keys-persid": _legacy(OBJ, keys=b"\x80\x02X\x01\x00\x00\x000Q."),
        "4-constants": _torch_zip(GOOD, {"constants.pkl": b"\x80\x02)."}),
        "4-constants-upper": _torch_zip(GOOD, {"CONSTANTS.PKL": b"\x80\x02)."}),
        "4-constants-nul": _torch_zip(GOOD, {"constants.pkl\x00x": b"\x80\x02)."}),
        "5-proto9": _torch_zip(b"\x80\x09}q\x00."), "5-proto9-bad": _torch_zip(b"\x80\x09" + BAD[2:]),
        "5-legacy-proto9": _legacy(b"\x80\x09}q\x00."),
    }
    for g in (b"torch\nfloat32", b"torch\nSize", b"torch.storage\nTypedStorage", b"torch\nFloatTensor",
              b"torch.cuda\nFloatStorage", b"torch.sparse\nFloatTensor"):
        out[f"3-zip-{g.decode().replace(chr(10), '.')}"] = _torch_zip(
            ZIP_FLOAT.replace(b"ctorch\nFloatStorage\n", b"c" + g + b"\n"), {"data/0": ONES})
    return out


@pytest.mark.torch
def test_the_claims_agree_with_torch(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    disagree = []
    for name, data in _cases().items():
        path = tmp_path / f"{name}.pt"
        path.write_bytes(data)
        r = scan_bytes(data, path.name)
        claim = _claim(r)
        if claim is None and _ids(r) & {"pytorch.invalid", "pytorch.tensor-invalid", "pytorch.legacy-truncated"}:
            claim = "false"  # torch.load raises in either mode
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                torch.load(path, weights_only=True)
                accepted = True
            except Exception:  # any refusal
                accepted = False
        if claim is not None and (claim == "true") != accepted:
            disagree.append((name, claim, accepted))
    assert not disagree
