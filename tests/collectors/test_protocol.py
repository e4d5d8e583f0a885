"""The collector protocol (issue 14 item 3): collectors configured from the options they
declare, one ``collect(ctx)`` entry, the GPU collector without special cases, and the
post-collection passes over typed facts."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import mlbom
import mlbom.inventory
from mlbom.cli import main
from mlbom.collectors import Context, configure, declared_options, run
from mlbom.collectors.facts import Declaration, DeclaredPackage, FrameworkBuild, Gpu, GpuHost, InstalledPackage, PythonEnvironment
from mlbom.collectors.gpu import GpuCollector
from mlbom.collectors.passes import cuda_host, drift
from mlbom.collectors.registry import builtin_collectors
from mlbom.errors import UsageError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECORDING = FIXTURES / "gpu" / "synthetic-old-driver.json"


def test_every_declared_option_is_a_generate_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    options = declared_options(builtin_collectors())
    assert {o.name for o in options} >= {"gpu", "gpu_recording", "cuda_nvcc", "include_hardware_ids", "verify_record"}
    for o in options:
        assert o.cli_flag in text, o.name
        assert " ".join(o.help.split())[:40] in text, o.name
    assert "--gpu / --no-gpu" in text


def test_each_collector_is_built_from_its_declaration_alone() -> None:
    for name, cls in builtin_collectors().items():
        collector = configure(cls, {})
        assert collector.name == name
        assert list(inspect.signature(cls.collect).parameters) == ["self", "ctx"]
        for o in cls.options:
            assert o.name in inspect.signature(cls).parameters, (name, o.name)


def test_a_wrong_option_value_is_a_usage_error_naming_the_option() -> None:
    with pytest.raises(UsageError) as err:
        mlbom.generate(env=Path("/nonexistent"), gpu="yes")  # type: ignore[arg-type]
    assert err.value.option == "gpu" and err.value.value == "yes"
    assert err.value.render("--gpu").startswith("--gpu 'yes': must be a bool")


def test_the_cli_names_the_flag_of_a_library_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--spec-version", "1.6", "--env", "/nonexistent", "--gpu-recording", "/dev/null"]) == 2
    err = capsys.readouterr().err
    assert "mlbom: error:" in err and "Traceback" not in err


def test_a_recording_implies_gpu_unless_gpu_is_refused(tmp_path: Path) -> None:
    assert configure(GpuCollector, {"gpu_recording": RECORDING}).host_inputs() == (Path("/"),)
    assert configure(GpuCollector, {"gpu_recording": RECORDING, "gpu": False}).host_inputs() == ()
    assert configure(GpuCollector, {}).host_inputs() == ()
    assert configure(GpuCollector, {"gpu": True}).host_inputs() == (Path("/"),)
    # A recording is another host's driver and GPUs: this host's toolkit is not read.
    out = run(configure(GpuCollector, {"gpu_recording": RECORDING}), Context(base=tmp_path))
    assert not [c for c in out.components if c.name == "cuda-toolkit"]
    (host,) = [f for f in out.facts if isinstance(f, GpuHost)]
    assert host.driver_version and host.gpus


def test_inventory_has_no_collector_special_cases() -> None:
    source = inspect.getsource(mlbom.inventory).lower()
    for word in ("gpu", "nvml", "cuda", "kind != ", "kind == "):
        assert word not in source, word


def test_drift_reads_typed_facts() -> None:
    env = PythonEnvironment(markers={"sys_platform": "linux"}, packages=(
        InstalledPackage("pkg:pypi/numpy@2.4.6", "numpy", "2.4.6"),
        InstalledPackage("pkg:pypi/pip@25.0", "pip", "25.0")))
    decl = Declaration(packages=(
        DeclaredPackage("pkg:pypi/numpy@2.1.3", "numpy", "2.1.3", "numpy==2.1.3", None, "requirements.txt"),
        DeclaredPackage("pkg:pypi/pywin32@306", "pywin32", "306", None, 'sys_platform == "win32"', "requirements.txt"),
        DeclaredPackage("pkg:pypi/scipy@1.0", "scipy", "1.0", None, None, "uv.lock"),
        DeclaredPackage("pkg:pypi/me@0.1", "me", "0.1", None, None, "uv.lock", project_root=True),
    ), full_locks=("uv.lock",))
    found = sorted((f.id, f.subject) for f in drift([env, decl]))
    assert found == [("lock.drift", "pkg:pypi/numpy@2.4.6"), ("lock.not-installed", "pkg:pypi/scipy@1.0")]
    assert drift([decl]) == []  # nothing installed: nothing to compare


def test_cuda_pass_reads_typed_facts() -> None:
    host = GpuHost(driver_version="470.57.02", cuda_driver_version="11.4",
                   gpus=(Gpu("gpu:0", "NVIDIA A100", "8.0"),))
    torch = FrameworkBuild("pkg:pypi/torch@2.5.0", "torch", "2.5.0", "cuda-12.4", ("sm_90",))
    cpu = FrameworkBuild("pkg:pypi/tf@2.0", "tensorflow", "2.0", "cpu")
    ids = sorted(f.id for f in cuda_host([host, torch, cpu]))
    assert ids == ["cuda.arch-not-covered", "cuda.cpu-only-build", "cuda.driver-too-old"]
    assert cuda_host([torch, cpu]) == []  # no GPU host: no claim


def test_mlbom_toml_takes_every_declared_option(tmp_path: Path) -> None:
    from mlbom.config import project_settings

    (tmp_path / "mlbom.toml").write_text('[generate]\nverify-record = true\nmax-file-components = 7\n'
                                         'gpu-recording = "host.json"\n')
    settings = project_settings(tmp_path)
    assert settings.options() == {"verify_record": True, "max_file_components": 7, "gpu_recording": tmp_path / "host.json"}
    (tmp_path / "mlbom.toml").write_text("[generate]\nmax-file-components = true\n")
    with pytest.raises(mlbom.InputError, match=r"generate\.max-file-components must be a int"):
        project_settings(tmp_path)


def test_library_usage_errors_become_flag_names(capsys: pytest.CaptureFixture[str]) -> None:
    """The library names its own option (``key_ids``); the command line shows the flag."""
    from mlbom.trust import TrustPolicy

    with pytest.raises(UsageError) as err:
        TrustPolicy(key_ids=frozenset({"NOT-HEX"}))
    assert err.value.option == "key_ids" and "--" not in str(err.value)
    assert main(["verify", str(RECORDING), "--key-id", "nothex"]) == 2
    assert "mlbom: error: --key-id 'nothex': not a SHA-256 in lower-case hex" in capsys.readouterr().err
