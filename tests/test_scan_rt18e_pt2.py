"""Red team 18e-7: a ``torch.export.save`` archive (``.pt2``) was reported as a broken torch
checkpoint (``pytorch.data-pkl-missing``) with every raw weight ``file.unknown``. It is now the
``pt2`` format: ``suspicious`` (an exported program is a graph torch.export.load resolves and runs,
as TorchScript), raw tensor records its payload configs declare skipped as torch views them, every
other record — pickled weights/constants (``torch.load(weights_only=False)``), ``opaque_obj_*``
(``pickle.loads``), sample inputs — judged by its content (torch/export/pt2_archive/_package.py)."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_bytes

_CALL = b"cbuiltins\nprint\n(S'RAN-18E7'\ntR."


def _torch_archive(pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def _pt2(weights: dict[str, tuple[bytes, bool]], constants: dict[str, tuple[bytes, bool]] | None = None,
         fmt: bytes = b"pt2", sample: bytes | None = None, extra_weight_cfg: dict[str, object] | None = None,
         data_pkl: bool = False) -> bytes:
    """The layout torch.export.save writes: ``<root>/archive_format``, ``models/<name>.json``,
    raw or pickled records under ``data/weights`` and ``data/constants`` with their configs."""
    meta = {"dtype": 7, "sizes": [{"as_int": 4}], "requires_grad": False, "device": {"type": "cpu", "index": None},
            "strides": [{"as_int": 1}], "storage_offset": {"as_int": 0}, "layout": 5}
    wcfg = {"config": {f"p{i}": {"path_name": name, "is_param": True, "use_pickle": pk,
                                 "tensor_meta": None if pk else meta} for i, (name, (_b, pk)) in enumerate(weights.items())}}
    wcfg["config"].update(extra_weight_cfg or {})  # type: ignore[attr-defined]
    constants = constants or {}
    ccfg = {"config": {f"c{i}": {"path_name": name, "is_param": False, "use_pickle": pk,
                                 "tensor_meta": None if pk else meta}
                       for i, (name, (_b, pk)) in enumerate(constants.items())}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, (data, _pk) in weights.items():
            z.writestr(f"m/data/weights/{name}", data)
        z.writestr("m/data/weights/model_weights_config.json", json.dumps(wcfg))
        for name, (data, _pk) in constants.items():
            z.writestr(f"m/data/constants/{name}", data)
        z.writestr("m/data/constants/model_constants_config.json", json.dumps(ccfg))
        z.writestr("m/models/model.json", json.dumps({"graph_module": {"graph": {"nodes": []}}}))
        z.writestr("m/data/sample_inputs/model.pt", sample or _torch_archive(pickle.dumps(((), {}), protocol=2)))
        if data_pkl:  # what makes it look like a torch.save archive too
            z.writestr("m/data.pkl", pickle.dumps({}, protocol=2))
        z.writestr("m/archive_format", fmt)
        z.writestr("m/archive_version", "0")
        z.writestr("m/.data/version", "6\n")
        z.writestr("m/byteorder", "little")
    return buf.getvalue()


def _ids(res: object) -> set[str]:
    return {f.id for f in res.findings}  # type: ignore[attr-defined]


def test_pt2_with_raw_weights_is_a_program_not_a_broken_checkpoint() -> None:
    # raw float bytes that start like a pickle opcode: torch views them as a tensor
    res = scan_bytes(_pt2({"weight_0": (b"\x80\x02\x00\x00" * 4, False)},
                          {"tensor_0": (b"\x00" * 16, False)}), "m.pt2")
    assert res.format == "pt2"
    assert res.verdict == "suspicious", [(f.id, f.message) for f in res.findings if f.severity != "info"]
    assert "pt2.program" in _ids(res)
    assert not _ids(res) & {"pytorch.data-pkl-missing", "file.unknown", "file.format-mismatch"}


def test_pt2_raw_weight_starting_like_a_zip_is_judged_as_one() -> None:
    # a declared-raw record whose bytes begin with PK\x03\x04 is what torch.load would open as a
    # zip if the record reached it by another name reading (red team 21e-1, 23e-2): judged as a zip,
    # so an archive mlbom cannot open is `error`, never skipped (raw floats start so ~2^-32 of the time)
    res = scan_bytes(_pt2({"weight_0": (b"PK\x03\x04" * 2, False)}, {"tensor_0": (b"\x00" * 16, False)}), "m.pt2")
    assert res.verdict == "error"
    assert "zip.invalid" in _ids(res)


@pytest.mark.parametrize("where", ["pickled-weight", "opaque-constant", "custom-constant", "raw-and-pickled",
                                   "sample-input"])
def test_pt2_pickled_records_are_judged(where: str) -> None:
    evil_archive = _torch_archive(_CALL)
    weights = {"weight_0": (b"\x00" * 16, False)}
    constants: dict[str, tuple[bytes, bool]] = {}
    if where == "pickled-weight":
        weights["weight_1"] = (evil_archive, True)
    elif where == "opaque-constant":
        constants["opaque_obj_0"] = (_CALL, True)
    elif where == "custom-constant":
        constants["custom_obj_0"] = (evil_archive, False)  # loaded by its prefix, whatever use_pickle says
    extra: dict[str, object] = {}
    if where == "raw-and-pickled":  # one record named raw by one entry, pickled by another: torch.load reads it
        weights = {"weight_0": (evil_archive, False)}
        extra = {"q": {"path_name": "weight_0", "is_param": True, "use_pickle": True, "tensor_meta": None}}
    sample = _torch_archive(b"(" + _CALL[:-1] + b"t.") if where == "sample-input" else None
    data = _pt2(weights, constants, sample=sample, extra_weight_cfg=extra)
    res = scan_bytes(data, "m.pt2")
    assert res.verdict == "unsafe", sorted(_ids(res))


def test_not_pt2_archive_format_is_not_pt2() -> None:
    res = scan_bytes(_pt2({"weight_0": (b"\x00" * 16, False)}, fmt=b"xyz"), "m.pt2")
    assert res.format != "pt2"
    assert res.verdict == "error"


_BUILD = r"""
import sys, torch, warnings
warnings.simplefilter("ignore")
class M(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.l = torch.nn.Linear(2, 2); s.register_buffer("b", torch.ones(2))
    def forward(s, x):
        return s.l(x) + s.b
torch.export.save(torch.export.export(M(), (torch.randn(1, 2),)), sys.argv[1])
"""


def test_real_torch_export_archive(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "m.pt2"
    subprocess.run([sys.executable, "-c", _BUILD, str(out)], check=True, capture_output=True, timeout=600)
    [res] = scan(out)
    assert res.format == "pt2"
    assert res.verdict == "suspicious", [(f.id, f.message) for f in res.findings if f.severity != "info"]
    assert {f.id for f in res.findings if f.severity != "info"} == {"pt2.program"}


def test_pt2_with_a_data_pkl_is_still_read_as_pt2() -> None:
    """A data.pkl beside the pt2 layout made it a torch checkpoint whose data/ records are raw
    storages (skipped); torch.export.load still pickle.loads its opaque constants."""
    res = scan_bytes(_pt2({"weight_0": (b"\x00" * 16, False)}, {"opaque_obj_0": (_CALL, True)}, data_pkl=True), "m.pt2")
    assert res.verdict == "unsafe", sorted(_ids(res))
