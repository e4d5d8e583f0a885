"""formats.cuda_builds on its own: torch's generated version.py (real files from torch wheels),
wheel families, and bad inputs (a missing or hostile version.py gives no build, never an error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.formats.cuda_builds import cudnn_major_of, torch_build, wheel_family
from tests.conftest import FIXTURES

CUDA = FIXTURES / "cuda"


def _site(tmp_path: Path, text: str) -> Path:
    (tmp_path / "torch").mkdir(parents=True)
    (tmp_path / "torch" / "version.py").write_text(text)
    return tmp_path


def test_real_cuda_and_cpu_builds(tmp_path: Path) -> None:
    cu = torch_build(_site(tmp_path / "a", (CUDA / "torch-2.11.0-cu130-version.py.txt").read_text()), "2.11.0+cu130", [])
    assert cu is not None and cu.cuda is not None and cu.cuda.startswith("13")
    cpu = torch_build(_site(tmp_path / "b", (CUDA / "torch-2.13.0-cpu-version.py.txt").read_text()), "2.13.0+cpu", [])
    assert cpu is not None and cpu.cuda is None and cpu.cpu_only


@pytest.mark.parametrize("text", ["", "cuda = (", "cuda: Optional[str] = __import__('os').system('x')",
                                  "x = '" + "a" * (300 << 10) + "'", "\0\0\0"])
def test_hostile_version_py_is_no_error(tmp_path: Path, text: str) -> None:
    build = torch_build(_site(tmp_path, text), "2.0.0", [])
    assert build is None or build.cuda is None


def test_missing_torch_folder(tmp_path: Path) -> None:
    assert torch_build(tmp_path, "2.0.0", []) is None


def test_wheel_families() -> None:
    assert wheel_family("nvidia-cublas-cu12", "12.4.5.8") == 12
    assert wheel_family("nvidia_cuda_runtime", "13.0.96") == 13
    assert wheel_family("cupy-cuda11x", "13.0.0") == 11
    assert wheel_family("nvidia-ml-py", "12.0.0") is None
    assert wheel_family("numpy", "2.0") is None
    assert cudnn_major_of("nvidia-cudnn-cu12", "9.1.0.70") == ("cudnn", "9")
    assert cudnn_major_of("nvidia-cudnn-cu12", None) is None
