from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlbom
from mlbom.collectors import Context, run
from mlbom.collectors.gpu import GpuCollector, LiveNvml, RecordedNvml, find_toolkit, main
from tests.conftest import FIXTURES, assert_valid


def _collect(collector: GpuCollector, tmp_path: Path) -> tuple[list[mlbom.Component], list[mlbom.Finding]]:
    out = run(collector, Context(base=tmp_path))
    return out.components, out.findings


def test_no_driver_on_this_machine_is_a_clean_record(tmp_path: Path) -> None:
    snap = LiveNvml().snapshot()
    if snap.error is None:
        pytest.skip("this machine has an NVIDIA driver")
    comps, findings = _collect(GpuCollector(toolkit_roots=[]), tmp_path)
    assert comps == []
    assert [f.id for f in findings] == ["gpu.no-driver"] and "no NVIDIA driver found" in findings[0].message
    bom = mlbom.generate(gpu=True, reproducible=True)
    assert_valid(mlbom.dumps(bom))


def test_recorder_without_driver_prints_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["--record"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"driver_version", "cuda_driver_version", "nvml_version", "gpus", "error"}


def test_recorded_gpus_driver_and_too_old_driver(tmp_path: Path) -> None:
    tk = tmp_path / "cuda"
    (tk / "include").mkdir(parents=True)
    (tk / "version.json").write_text(json.dumps({"cuda": {"name": "CUDA SDK", "version": "12.6.3"}}))
    coll = GpuCollector(RecordedNvml(FIXTURES / "gpu" / "synthetic-old-driver.json"), toolkit_roots=[tk])
    comps, findings = _collect(coll, tmp_path)
    by_type = {c.type: c for c in comps}
    assert by_type["device-driver"].version == "535.104.05"
    gpus = [c for c in comps if c.type == "device"]
    assert [g.name for g in gpus] == ["NVIDIA A100-SXM4-80GB"] * 2
    facts = {p.value for p in gpus[0].properties}
    assert {"architecture=Ampere", "compute-capability=8.0"} <= facts
    assert not any(v.startswith(("uuid=", "serial=")) for v in facts)  # hardware ids only on request
    assert by_type["framework"].version == "12.6.3"
    # 12.6 on a 12.2 driver: same major, runs through minor version compatibility — a low finding, not a high one
    (minor,) = [f for f in findings if f.id == "cuda.minor-version-compat"]
    assert minor.severity == "low" and not [f for f in findings if f.id == "cuda.driver-too-old"]
    assert "CUDA toolkit 12.6.3 is CUDA 12.6.3, newer than the CUDA 12.2 of driver 535.104.05" in minor.message
    assert "CUDA 12.6.3 ships with driver 560.28.03" in minor.message
    assert {f.message for f in findings if f.id == "gpu.nvml-field"} == {
        "GPU 1: mig_mode not available (NVMLError_GpuIsLost)", "GPU 1: vbios not available (NVMLError_NotSupported)"}
    with_ids = GpuCollector(RecordedNvml(FIXTURES / "gpu" / "synthetic-old-driver.json"), toolkit_roots=[],
                            include_hardware_ids=True)
    comps2, _ = _collect(with_ids, tmp_path)
    assert any(p.value.startswith("uuid=GPU-") for c in comps2 for p in c.properties)


def test_toolkit_of_a_newer_major_than_the_driver(tmp_path: Path) -> None:
    tk = tmp_path / "cuda"
    tk.mkdir()
    (tk / "version.json").write_text(json.dumps({"cuda": {"version": "13.0.1"}}))
    _, findings = _collect(GpuCollector(RecordedNvml(FIXTURES / "gpu" / "synthetic-old-driver.json"), toolkit_roots=[tk]),
                           tmp_path)
    (f,) = [f for f in findings if f.id.startswith("cuda.")]
    assert (f.id, f.severity) == ("cuda.driver-too-old", "high")
    assert "supports CUDA 12.2 at most" in f.message and "driver 580.65.06" in f.message


def test_driver_cuda_version_from_the_table_when_nvml_lacks_it(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "gpu" / "synthetic-old-driver.json").read_text())
    doc["cuda_driver_version"] = None
    rec = tmp_path / "rec.json"
    rec.write_text(json.dumps(doc))
    comps, _ = _collect(GpuCollector(RecordedNvml(rec), toolkit_roots=[]), tmp_path)
    driver = next(c for c in comps if c.type == "device-driver")
    assert ("mlbom:gpu:cuda-driver-version", "12.2") in {(p.name, p.value) for p in driver.properties}
    assert any(e.source == "mlbom/data/cuda-drivers.json" for e in driver.evidence)


def test_toolkit_matching_the_driver_gives_no_finding(tmp_path: Path) -> None:
    tk = tmp_path / "cuda"
    tk.mkdir()
    (tk / "version.json").write_text(json.dumps({"cuda": {"version": "12.2.140"}}))
    _, findings = _collect(GpuCollector(RecordedNvml(FIXTURES / "gpu" / "synthetic-old-driver.json"), toolkit_roots=[tk]),
                           tmp_path)
    assert not [f for f in findings if f.id.startswith("cuda.")]


def test_real_toolkit_on_this_machine() -> None:
    tk = find_toolkit([Path("/usr/local/cuda")])
    if tk is None:
        pytest.skip("no CUDA toolkit in /usr/local/cuda")
    assert tk.version.split(".")[0].isdigit()
    runtime = dict(tk.parts).get("nvidia-cuda-runtime")
    if runtime:  # the wheel-built CUDA 13.0 toolkit of this project's machines
        assert tk.version == runtime and runtime.startswith("13.0.")
        assert len(tk.parts) > 5


def test_malformed_version_json_and_symlink_loop(tmp_path: Path) -> None:
    tk = tmp_path / "cuda"
    (tk / "include").mkdir(parents=True)
    (tk / "version.json").write_text("{not json")
    (tk / "include" / "cuda_runtime_api.h").write_text("#define CUDART_VERSION 12040\n")
    found = find_toolkit([tk])
    assert found is not None and found.version == "12.4" and "CUDART_VERSION" in found.source
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert find_toolkit([tmp_path / "loop"]) is None


def test_cudnn_nccl_tensorrt_cublas_from_their_headers(tmp_path: Path) -> None:
    inc = tmp_path / "include"
    inc.mkdir()
    (inc / "cudnn_version_v9.h").write_text("#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 1\n#define CUDNN_PATCHLEVEL 0\n")
    (inc / "nccl.h").write_text("#define NCCL_MAJOR 2\n#define NCCL_MINOR 21\n#define NCCL_PATCH 5\n#define NCCL_SUFFIX \"\"\n")
    (inc / "NvInferVersion.h").write_text("#define NV_TENSORRT_MAJOR 10 //!< major\n#define NV_TENSORRT_MINOR 3\n"
                                          "#define NV_TENSORRT_PATCH 0\n")
    (inc / "cublas_api.h").write_text("#define CUBLAS_VER_MAJOR 12\n/* no minor: unreadable, skipped */\n")
    coll = GpuCollector(RecordedNvml(FIXTURES / "gpu" / "synthetic-old-driver.json"), toolkit_roots=[], include_dirs=[inc])
    comps, _ = _collect(coll, tmp_path)
    libs = {c.name: c.version for c in comps if c.type == "library"}
    assert libs == {"cudnn": "9.1.0", "nccl": "2.21.5", "tensorrt": "10.3.0"}
    cudnn = next(c for c in comps if c.name == "cudnn")
    assert cudnn.purl == "pkg:generic/nvidia/cudnn@9.1.0" and cudnn.evidence[0].source.endswith("cudnn_version_v9.h")


def test_mig_devices_and_fields_of_a_newer_recorder(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "gpu" / "synthetic-old-driver.json").read_text())
    doc["gpus"][0]["mig_mode"] = "enabled"
    doc["gpus"][0]["mig_devices"] = [
        {"index": 0, "name": "NVIDIA A100-SXM4-80GB MIG 3g.40gb", "memory_total_bytes": 42949672960, "uuid": "MIG-0000"},
        {"index": 1, "name": "NVIDIA A100-SXM4-80GB MIG 3g.40gb", "memory_total_bytes": 42949672960, "uuid": None}]
    doc["gpus"][0]["fan_speed"] = 40  # a field this version does not know: ignored
    doc["driver_model"] = "WDDM"
    rec = tmp_path / "mig.json"
    rec.write_text(json.dumps(doc))
    out = run(GpuCollector(RecordedNvml(rec), toolkit_roots=[]), Context(base=tmp_path))
    migs = [c for c in out.components if c.bom_ref.startswith("gpu:0/mig:")]
    assert [c.name for c in migs] == ["NVIDIA A100-SXM4-80GB MIG 3g.40gb"] * 2
    assert all(("mlbom:gpu:fact", "mig-parent=gpu:0") in {(p.name, p.value) for p in c.properties} for c in migs)
    assert not any(p.value.startswith("uuid=") for c in migs for p in c.properties)
    assert any(r.ref == "gpu:0" and set(r.depends_on) == {c.bom_ref for c in migs} for r in out.relations)
    bom = mlbom.generate(gpu_recording=rec, reproducible=True)
    assert_valid(mlbom.dumps(bom))


def test_nvcc_only_when_asked_and_on_the_real_toolkit(tmp_path: Path) -> None:
    real = Path("/usr/local/cuda")
    if not (real / "bin" / "nvcc").is_file():
        pytest.skip("no nvcc in /usr/local/cuda")
    rec = FIXTURES / "gpu" / "h100-transcribed.json"
    comps, _ = _collect(GpuCollector(RecordedNvml(rec), toolkit_roots=[real]), tmp_path)
    tk = next(c for c in comps if c.name == "cuda-toolkit")
    assert not [p for p in tk.properties if p.name == "mlbom:gpu:nvcc-version"]  # not asked: not run
    comps, findings = _collect(GpuCollector(RecordedNvml(rec), toolkit_roots=[real], run_nvcc=True), tmp_path)
    tk = next(c for c in comps if c.name == "cuda-toolkit")
    (nvcc,) = [p.value for p in tk.properties if p.name == "mlbom:gpu:nvcc-version"]
    assert nvcc.split(".")[:2] == tk.version.split(".")[:2]  # 13.0.88 beside runtime 13.0.96: no finding
    assert not [f for f in findings if f.id.startswith("cuda.nvcc")]


@pytest.mark.parametrize(("script", "finding"), [
    ("echo 'Cuda compilation tools, release 12.4, V12.4.131'", "cuda.nvcc-mismatch"),
    ("echo garbage", "cuda.nvcc-unusable"),
    ("exit 3", "cuda.nvcc-unusable"),
])
def test_nvcc_answers(tmp_path: Path, script: str, finding: str) -> None:
    tk = tmp_path / "cuda"
    (tk / "bin").mkdir(parents=True)
    (tk / "version.json").write_text(json.dumps({"cuda": {"version": "13.0.96"}}))
    nvcc = tk / "bin" / "nvcc"
    nvcc.write_text(f"#!/bin/sh\n{script}\n")
    nvcc.chmod(0o755)
    _, findings = _collect(GpuCollector(RecordedNvml(FIXTURES / "gpu" / "h100-transcribed.json"), toolkit_roots=[tk],
                                        run_nvcc=True), tmp_path)
    assert [f.id for f in findings if f.id.startswith("cuda.nvcc")] == [finding]
