"""Framework builds read from their files, CUDA families of NVIDIA wheels, and the
compatibility findings between them and a host's driver and GPUs — each finding shown to fire on
the mismatched environment and to stay silent on the consistent one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.formats import cuda_builds as cb
from tests.conftest import FIXTURES, assert_valid

OLD_DRIVER = FIXTURES / "gpu" / "synthetic-old-driver.json"  # A100 (8.0) x2, driver 535 / CUDA 12.2
H100 = FIXTURES / "gpu" / "h100-transcribed.json"  # H100 (9.0), driver 580 / CUDA 13.0


def _venv(root: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    return next(root.glob("lib/python*/site-packages"))


def dist(site: Path, name: str, version: str, requires: list[str] = (), files: dict[str, str] = {}) -> None:  # type: ignore[assignment]  # noqa: B006
    di = site / f"{name.replace('-', '_')}-{version}.dist-info"
    di.mkdir()
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"] + [f"Requires-Dist: {r}" for r in requires]
    (di / "METADATA").write_text("\n".join(meta) + "\n")
    (di / "INSTALLER").write_text("pip\n")
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)


def torch_version_py(version: str, cuda: str | None) -> str:
    return (FIXTURES / "cuda" / "torch-2.13.0-cpu-version.py.txt").read_text().replace(
        "'2.13.0+cpu'", repr(version)).replace("cuda: Optional[str] = None", f"cuda: Optional[str] = {cuda!r}")


def _ids(bom: mlbom.Bom) -> dict[str, list[mlbom.Finding]]:
    out: dict[str, list[mlbom.Finding]] = {}
    for f in bom.findings:
        if f.id.startswith("cuda."):
            out.setdefault(f.id, []).append(f)
    return out


@pytest.fixture
def mismatched(tmp_path: Path) -> Path:
    """torch built for CUDA 12.4 with a cuDNN 8 wheel (it pins cuDNN 9), cu13 wheels beside the cu12 ones,
    and a TensorFlow build without code for Ampere."""
    env = tmp_path / "mismatched"
    site = _venv(env)
    dist(site, "torch", "2.5.1+cu124", ["nvidia-cudnn-cu12==9.1.0.70; platform_system == \"Linux\"",
                                        "nvidia-nccl-cu12==2.21.5; platform_system == \"Linux\""],
         {"torch/version.py": torch_version_py("2.5.1+cu124", "12.4")})
    dist(site, "nvidia-cudnn-cu12", "8.9.2.26")
    dist(site, "nvidia-nccl-cu12", "2.21.5")
    dist(site, "cupy-cuda13x", "13.3.0")
    dist(site, "nvidia-cuda-runtime", "13.0.96")
    dist(site, "tensorflow", "2.15.0", files={"tensorflow/python/platform/build_info.py": (
        # the layout TensorFlow's wheels use
        "import collections\n\nbuild_info = collections.OrderedDict([('cpu_compiler', '/usr/lib/llvm-17/bin/clang'), "
        "('cuda_compute_capabilities', ['sm_60', 'sm_70']), ('cuda_version', '12.2'), ('cudnn_version', '8'), "
        "('is_cuda_build', True), ('is_rocm_build', False), ('is_tensorrt_build', True)])\n")})
    return env


@pytest.fixture
def consistent(tmp_path: Path) -> Path:
    env = tmp_path / "consistent"
    site = _venv(env)
    dist(site, "torch", "2.5.1+cu121", ["nvidia-cudnn-cu12==9.1.0.70", "nvidia-nccl-cu12==2.21.5"],
         {"torch/version.py": torch_version_py("2.5.1+cu121", "12.1")})
    dist(site, "nvidia-cudnn-cu12", "9.1.0.70")
    dist(site, "nvidia-nccl-cu12", "2.21.5")
    dist(site, "nvidia-cuda-runtime-cu12", "12.1.105")
    dist(site, "onnxruntime-gpu", "1.20.1", files={
        "onnxruntime/capi/build_and_package_info.py": "package_name = 'onnxruntime-gpu'\n__version__ = '1.20.1'\ncuda_version = '12.2'\n",
        "onnxruntime/capi/libonnxruntime_providers_cuda.so": "", "onnxruntime/capi/libonnxruntime_providers_shared.so": ""})
    return env


def test_build_facts_are_properties(consistent: Path) -> None:
    bom = mlbom.generate(env=consistent, reproducible=True)
    props = {c.name: {(p.name, p.value) for p in c.properties} for c in bom.components}
    assert {("mlbom:cuda:build", "cuda-12.1"), ("mlbom:cuda:expects", "cudnn=9"), ("mlbom:cuda:expects", "nccl=2"),
            ("mlbom:build:git-version", "cf30153c4c131c8164ee7798e5022d810682e2cb")} <= props["torch"]
    assert ("mlbom:cuda:family", "12") in props["nvidia-cudnn-cu12"] and ("mlbom:cuda:family", "12") in props["nvidia-cuda-runtime-cu12"]
    assert {("mlbom:cuda:build", "cuda-12.2"), ("mlbom:cuda:providers", "cuda")} <= props["onnxruntime-gpu"]
    assert _ids(bom) == {}
    assert_valid(mlbom.dumps(bom))


def test_environment_findings_fire_on_the_mismatched_env_only(mismatched: Path, consistent: Path) -> None:
    bad = _ids(mlbom.generate(env=mismatched, reproducible=True))
    assert set(bad) == {"cuda.multiple-runtimes", "cuda.cudnn-mismatch"}
    (mix,) = bad["cuda.multiple-runtimes"]
    assert "CUDA 12:" in mix.message and "CUDA 13: cupy-cuda13x 13.3.0, nvidia-cuda-runtime 13.0.96" in mix.message
    assert "torch 2.5.1+cu124 loads the CUDA 12 libraries" in mix.message
    (cudnn,) = [f for f in bad["cuda.cudnn-mismatch"] if "torch" in f.message]
    assert cudnn.severity == "high" and "expects cudnn 9.x" in cudnn.message and "nvidia-cudnn-cu12 8.9.2.26" in cudnn.message
    assert not [f for f in bad["cuda.cudnn-mismatch"] if "tensorflow" in f.message]  # TF wants cuDNN 8: that one fits
    assert _ids(mlbom.generate(env=consistent, reproducible=True)) == {}


def test_host_findings_with_a_recorded_old_driver(mismatched: Path, consistent: Path) -> None:
    bad = _ids(mlbom.generate(env=mismatched, gpu_recording=OLD_DRIVER, reproducible=True))
    # torch cu124 on a CUDA 12.2 driver: minor version compatibility, low
    (minor,) = [f for f in bad["cuda.minor-version-compat"] if "torch" in f.message]
    assert minor.severity == "low" and "CUDA 12.4 ships with driver 550.54.14" in minor.message
    # TensorFlow carries sm_60/sm_70 only: not for the A100's 8.0 (one finding per kind of GPU)
    (arch,) = bad["cuda.arch-not-covered"]
    assert arch.severity == "high" and "2 GPU(s) NVIDIA A100-SXM4-80GB have compute capability 8.0" in arch.message
    assert "cuda.cpu-only-build" not in bad
    good = _ids(mlbom.generate(env=consistent, gpu_recording=OLD_DRIVER, reproducible=True))
    assert good == {}


def test_bundled_cuda_libraries(tmp_path: Path) -> None:
    env = tmp_path / "bundled"
    site = _venv(env)
    dist(site, "torch", "2.1.2+cu118", files={"torch/version.py": torch_version_py("2.1.2+cu118", "11.8"),
                                             "torch/lib/libcudart-d0da41ae.so.11.0": "", "torch/lib/libcudnn.so.8": "",
                                             "torch/lib/libtorch_cuda.so": "", "torch/lib/libc10.so": ""})
    dist(site, "nvidia-cudnn-cu12", "9.1.0.70")
    bom = mlbom.generate(env=env, reproducible=True)
    torch = next(c for c in bom.components if c.name == "torch")
    assert ("mlbom:cuda:bundled", "libcudart.so.11,libcudnn.so.8") in {(p.name, p.value) for p in torch.properties}
    (mix,) = _ids(bom)["cuda.multiple-runtimes"]
    assert "torch 2.1.2+cu118 loads the CUDA libraries it bundles (libcudart.so.11, libcudnn.so.8)" in mix.message


def test_host_findings_on_the_h100(tmp_path: Path, consistent: Path) -> None:
    env = tmp_path / "cu13"
    site = _venv(env)
    dist(site, "torch", "2.11.0+cu130", files={"torch/version.py": torch_version_py("2.11.0+cu130", "13.0")})
    assert _ids(mlbom.generate(env=env, gpu_recording=H100, reproducible=True)) == {}
    # the same cu130 build on the 535 driver: a newer major does not run
    (f,) = _ids(mlbom.generate(env=env, gpu_recording=OLD_DRIVER, reproducible=True))["cuda.driver-too-old"]
    assert f.severity == "high" and "supports CUDA 12.2 at most" in f.message
    assert _ids(mlbom.generate(env=consistent, gpu_recording=H100, reproducible=True)) == {}


def test_cpu_only_build_on_a_gpu_host(tmp_path: Path) -> None:
    env = tmp_path / "cpu"
    site = _venv(env)
    dist(site, "torch", "2.13.0+cpu", files={"torch/version.py": (FIXTURES / "cuda" / "torch-2.13.0-cpu-version.py.txt").read_text()})
    bom = mlbom.generate(env=env, reproducible=True)
    assert ("mlbom:cuda:build", "cpu") in {(p.name, p.value) for c in bom.components for p in c.properties}
    assert _ids(bom) == {}  # no GPU asked about: no claim
    (f,) = _ids(mlbom.generate(env=env, gpu_recording=H100, reproducible=True))["cuda.cpu-only-build"]
    assert f.severity == "medium" and "NVIDIA H100 80GB HBM3" in f.message


@pytest.mark.parametrize(("text", "problem"), [
    ("cuda = compute_cuda()\nhip = None\n", "cuda is not a literal"),
    ("def broken(:\n", "not valid Python"),
    ("cuda: Optional[str] = 12.4\nhip = None\n", "cuda is float"),
    ("", "no version facts found"),
    ("x = 1\n" * 60_000, "larger than"),
])
def test_unexpected_version_py_is_a_finding(tmp_path: Path, text: str, problem: str) -> None:
    env = tmp_path / "odd"
    site = _venv(env)
    dist(site, "torch", "2.5.1", files={"torch/version.py": text})
    bom = mlbom.generate(env=env, reproducible=True)
    (f,) = _ids(bom)["cuda.build-unreadable"]
    assert problem in f.message and f.severity == "low"
    assert any(c.name == "torch" for c in bom.components)  # the package itself is still there


def test_version_py_is_parsed_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    site = _venv(tmp_path / "evil")
    (site / "torch").mkdir()
    code = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\ncuda = '12.1'\nhip = None\n"
    (site / "torch" / "version.py").write_text(code)
    b = cb.torch_build(site, "2.5.1", [])
    assert b is not None and b.cuda == "12.1" and not marker.exists()


def test_wheel_families() -> None:
    assert cb.wheel_family("nvidia-cudnn-cu12", "9.1.0.70") == 12
    assert cb.wheel_family("nvidia_cublas_cu11", "11.11.3.6") == 11
    assert cb.wheel_family("nvidia-cuda-runtime", "13.0.96") == 13
    assert cb.wheel_family("nvidia-cudnn-cu13", "9.13.0.50") == 13
    assert cb.wheel_family("jax-cuda12-plugin", "0.4.35") == 12 and cb.wheel_family("cupy-cuda11x", "13.0") == 11
    assert cb.wheel_family("nvidia-ml-py", "12.560.30") is None and cb.wheel_family("numpy", "2.0") is None


def test_cli_gpu_recording(tmp_path: Path, mismatched: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bom.json"
    assert main(["generate", "--env", str(mismatched), "--gpu-recording", str(H100), "--reproducible", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert any(c["type"] == "device" and c["name"] == "NVIDIA H100 80GB HBM3" for c in doc["components"])
    assert main(["generate", "--env", str(mismatched), "--gpu-recording", str(tmp_path / "nope.json")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"gpus": [{"index": "zero"}]}')
    assert main(["generate", "--env", str(mismatched), "--gpu-recording", str(bad)]) == 2
    assert "not an NVML recording" in capsys.readouterr().err
