"""A real NVML recording: ``python -m mlbom.collectors.gpu --record`` on the NVIDIA H200 machine
lent to this project (2026-11-30), checked against ``nvidia-smi -q -x`` read on the same machine
a second earlier (fixtures in tests/fixtures/gpu/, sources in tests/fixtures/SOURCES.md), and the
CUDA compatibility logic run on the real ``torch/version.py`` of that machine's cu130 build."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import mlbom
from mlbom.properties import Prop
from tests.collectors.test_cuda_stack import OLD_DRIVER, _ids, _venv, dist
from tests.conftest import FIXTURES, assert_valid

H200 = FIXTURES / "gpu" / "h200-recorded.json"
SMI = FIXTURES / "gpu" / "h200-nvidia-smi-q.xml"
CU130 = (FIXTURES / "cuda" / "torch-2.11.0-cu130-version.py.txt").read_text(encoding="utf-8")


def _smi() -> tuple[ElementTree.Element, ElementTree.Element]:
    root = ElementTree.fromstring(SMI.read_bytes())  # our own fixture, not untrusted input
    gpu = root.find("gpu")
    assert gpu is not None
    return root, gpu


def _text(el: ElementTree.Element, path: str) -> str:
    found = el.find(path)
    assert found is not None and found.text is not None, path
    return found.text.strip()


def test_the_recording_has_no_hardware_ids_by_default() -> None:
    doc = json.loads(H200.read_text(encoding="utf-8"))
    assert all(g["uuid"] is None and g["serial"] is None for g in doc["gpus"])


def test_recorded_h200_agrees_with_nvidia_smi(tmp_path: Path) -> None:
    root, gpu = _smi()
    env = tmp_path / "env"
    _venv(env)
    bom = mlbom.generate(env=env, gpu_recording=H200, reproducible=True)
    (device,) = [c for c in bom.components if c.type == "device"]
    (driver,) = [c for c in bom.components if c.type == "device-driver"]
    facts = dict(p.value.split("=", 1) for p in device.properties if p.name == "mlbom:gpu:fact")
    assert device.name == _text(gpu, "product_name") == "NVIDIA H200"
    assert facts["architecture"] == _text(gpu, "product_architecture")
    assert facts["vbios"] == _text(gpu, "vbios_version")
    assert facts["pci-bus-id"] == _text(gpu, "pci/pci_bus_id")
    assert facts["persistence-mode"] == _text(gpu, "persistence_mode").lower()
    assert facts["mig-mode"] == _text(gpu, "mig_mode/current_mig").lower()
    mib = int(_text(gpu, "fb_memory_usage/total").split()[0])
    assert int(facts["memory-bytes"]) == mib * 1024 * 1024
    assert facts["compute-capability"] == "9.0"  # the H200 is Hopper, sm_90
    assert driver.version == _text(root, "driver_version")
    props = {p.name: p.value for p in driver.properties}
    assert props["mlbom:gpu:cuda-driver-version"] == _text(root, "cuda_version")
    assert_valid(mlbom.dumps(bom))


def test_real_cu130_build_runs_on_the_h200_and_not_on_a_535_driver(tmp_path: Path) -> None:
    env = tmp_path / "cu130"
    site = _venv(env)
    dist(site, "torch", "2.11.0+cu130", files={"torch/version.py": CU130})
    dist(site, "nvidia-cuda-runtime", "13.0.96")
    dist(site, "nvidia-cudnn-cu13", "9.19.0.56")
    on_h200 = mlbom.generate(env=env, gpu_recording=H200, reproducible=True)
    torch = next(c for c in on_h200.components if c.name == "torch")
    assert (Prop.CUDA_BUILD.value, "cuda-13.0") in {(p.name, p.value) for p in torch.properties}
    assert _ids(on_h200) == {}
    (f,) = _ids(mlbom.generate(env=env, gpu_recording=OLD_DRIVER, reproducible=True))["cuda.driver-too-old"]
    assert f.severity == "high" and "13.0" in f.message
