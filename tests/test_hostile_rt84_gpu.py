"""Red team 84-2, 84-3: a hostile NVML recording (``generate --gpu-recording``).

84-2: two GPUs recorded with one index (an A100 and an H100), or two MIG devices of one GPU with
one index, became one ``gpu:0`` (``gpu:0/mig:0``) component, exit 0, no finding. 84-3: a MIG
device that is not an object was an internal error; a list for ``compute_capability``, a string
for ``memory_total_bytes`` were taken as they were; a list for a GPU name gave a pydantic message
blaming ``/``. The rule: a recording is read field by field as the recorder
(``python -m mlbom.collectors.gpu --record``) writes it; anything else is one stderr line naming
the file and the field, exit 2, and no BOM.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main

GPU = {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "architecture": "Ampere", "compute_capability": "8.0",
       "memory_total_bytes": 85899345920, "vbios": None, "pci_bus_id": "00000000:07:00.0", "mig_mode": "enabled",
       "persistence_mode": "enabled", "uuid": None, "serial": None, "errors": {},
       "mig_devices": [{"index": 0, "name": "1g.10gb", "memory_total_bytes": 10737418240, "uuid": None}]}
GOOD = {"driver_version": "535.104.05", "cuda_driver_version": "12.2", "nvml_version": "12.535", "error": None,
        "gpus": [GPU]}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    Path("empty").mkdir()


def _generate(doc: object, capsys: Any) -> tuple[int, str]:
    Path("rec.json").write_text(json.dumps(doc), encoding="utf-8")
    rc = main(["generate", "empty", "--gpu-recording", "rec.json", "--reproducible", "-o", "out.json"])
    return rc, str(capsys.readouterr().err)


def _refused(doc: object, field: str, capsys: Any) -> str:
    rc, err = _generate(doc, capsys)
    assert rc == 2, err
    assert "internal error" not in err and "Traceback" not in err and "ValidationError" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "rec.json" in lines[0] and "not an NVML recording" in lines[0] and field in lines[0], err
    assert not Path("out.json").exists()
    return lines[0]


def _gpu(**change: object) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    doc["gpus"][0].update(change)
    return doc


def test_good_recording_is_read(capsys: Any) -> None:
    two = copy.deepcopy(GOOD)
    two["gpus"].append({**copy.deepcopy(GPU), "index": 1, "pci_bus_id": "00000000:0F:00.0"})
    rc, err = _generate(two, capsys)
    assert rc == 0, err
    refs = {c["bom-ref"] for c in json.loads(Path("out.json").read_text())["components"]}
    assert {"gpu:0", "gpu:1", "gpu:0/mig:0", "gpu:1/mig:0"} <= refs


def test_84_2_two_gpus_one_index(capsys: Any) -> None:
    doc = copy.deepcopy(GOOD)
    doc["gpus"].append({**copy.deepcopy(GPU), "name": "NVIDIA H100 80GB HBM3", "architecture": "Hopper",
                        "pci_bus_id": "00000000:0F:00.0"})
    assert "gpus[1].index" in _refused(doc, "gpus[1].index", capsys)


def test_84_2_two_mig_devices_one_index(capsys: Any) -> None:
    doc = _gpu(mig_devices=[{"index": 0, "name": "1g.10gb"}, {"index": 0, "name": "3g.40gb"}])
    _refused(doc, "gpus[0].mig_devices[1].index", capsys)


def test_84_2_same_uuid_or_bus_twice(capsys: Any) -> None:
    doc = copy.deepcopy(GOOD)
    doc["gpus"].append({**copy.deepcopy(GPU), "index": 1})
    _refused(doc, "gpus[1].pci_bus_id", capsys)
    doc = _gpu(uuid="GPU-1", mig_devices=[{"index": 0, "uuid": "GPU-1"}])
    _refused(doc, "gpus[0].mig_devices[0].uuid", capsys)


@pytest.mark.parametrize(("doc", "field"), [
    ({**GOOD, "gpus": {"0": GPU}}, "gpus"),
    ({**GOOD, "gpus": ["x"]}, "gpus[0]"),
    ({**GOOD, "driver_version": 535}, "driver_version"),
    ({**GOOD, "error": ["no"]}, "error"),
    (_gpu(mig_devices=["x"]), "gpus[0].mig_devices[0]"),
    (_gpu(mig_devices={"index": 0}), "gpus[0].mig_devices"),
    (_gpu(mig_devices=[{"name": "1g.10gb"}]), "gpus[0].mig_devices[0].index"),
    (_gpu(mig_devices=[{"index": "0"}]), "gpus[0].mig_devices[0].index"),
    (_gpu(mig_devices=[{"index": 0, "name": ["a"]}]), "gpus[0].mig_devices[0].name"),
    (_gpu(mig_devices=[{"index": 0, "memory_total_bytes": "lots"}]), "gpus[0].mig_devices[0].memory_total_bytes"),
    (_gpu(mig_devices=[{"index": 0, "uuid": 7}]), "gpus[0].mig_devices[0].uuid"),
    (_gpu(compute_capability=[9, 0]), "gpus[0].compute_capability"),
    (_gpu(compute_capability="9.0\nx"), "gpus[0].compute_capability"),
    (_gpu(memory_total_bytes="lots"), "gpus[0].memory_total_bytes"),
    (_gpu(memory_total_bytes=-1), "gpus[0].memory_total_bytes"),
    (_gpu(memory_total_bytes=1.5), "gpus[0].memory_total_bytes"),
    (_gpu(memory_total_bytes=True), "gpus[0].memory_total_bytes"),
    (_gpu(name=["NVIDIA", "H100"]), "gpus[0].name"),
    (_gpu(architecture={"a": 1}), "gpus[0].architecture"),
    (_gpu(vbios=1), "gpus[0].vbios"),
    (_gpu(pci_bus_id=7), "gpus[0].pci_bus_id"),
    (_gpu(uuid=["u"]), "gpus[0].uuid"),
    (_gpu(serial=0), "gpus[0].serial"),
    (_gpu(mig_mode="on"), "gpus[0].mig_mode"),
    (_gpu(persistence_mode=True), "gpus[0].persistence_mode"),
    (_gpu(errors=["x"]), "gpus[0].errors"),
    (_gpu(errors={"vbios": 1}), "gpus[0].errors"),
    (_gpu(index=None), "gpus[0].index"),
    (_gpu(index=-1), "gpus[0].index"),
    (_gpu(index=True), "gpus[0].index"),
    (_gpu(index=1 << 70), "gpus[0].index"),
])
def test_84_3_each_field_of_the_wrong_type(doc: object, field: str, capsys: Any) -> None:
    _refused(doc, field, capsys)


def _device(name: str, *facts: str) -> Any:
    from mlbom.model import Component, Property
    from mlbom.properties import Prop

    return Component(bom_ref="gpu:0", type="device", name=name,
                     properties=tuple(Property(name=Prop.GPU_FACT.value, value=f) for f in facts))


def test_84_2_normalize_keeps_two_devices_under_one_ref_apart() -> None:
    """The merge guard behind the reader: two components given one ref whose names differ are
    two things: both kept, the second as ``REF#conflict:2``, with ``inventory.ref-conflict``
    (the inventory knows no collector: GPU facts are the reader's to check)."""
    from mlbom.inventory import normalize
    from mlbom.model import Component

    root = Component(bom_ref="root", type="application", name="root")
    for a, b in (
        (_device("NVIDIA A100-SXM4-80GB", "architecture=Ampere"), _device("NVIDIA H100 80GB HBM3", "architecture=Hopper")),
        (_device("1g.10gb", "mig-parent=gpu:0"), _device("3g.40gb", "mig-parent=gpu:0")),
    ):
        comps, _, findings = normalize([a, b], [], [], root)
        assert sorted(c.bom_ref for c in comps if c.type == "device") == ["gpu:0", "gpu:0#conflict:2"]
        assert [f.id for f in findings] == ["inventory.ref-conflict"]
    # one thing seen twice still merges: same name, properties united
    comps, _, findings = normalize([_device("A100", "pci-bus-id=00:07"), _device("A100", "pci-bus-id=00:07", "vbios=1")],
                                   [], [], root)
    (dev,) = [c for c in comps if c.type == "device"]
    assert {p.value for p in dev.properties} == {"pci-bus-id=00:07", "vbios=1"} and not findings
