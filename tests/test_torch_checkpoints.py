"""Optional tier: real checkpoints written by torch (``pip install torch==2.13.0``). False
positives on real checkpoints are bugs as much as missed exploits. Nothing here loads a file."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlbom
from mlbom.scanner import scan_file

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


class Net(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)
        self.bn = torch.nn.BatchNorm1d(2)

    def forward(self, x: object) -> object:
        return self.bn(self.fc(x))


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ckpt")
    m = Net()
    torch.save(m.state_dict(), d / "state_dict.pt")
    torch.save(m, d / "full_model.pt")
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten()), d / "sequential.pt")
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    m(torch.randn(3, 4)).sum().backward()
    opt.step()
    sched = torch.optim.lr_scheduler.StepLR(opt, 10)
    torch.save({"epoch": 3, "model": m.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "rng": torch.get_rng_state()}, d / "training.pt")
    torch.save(m.state_dict(), d / "legacy.pt", _use_new_zipfile_serialization=False)
    torch.save({"bf16": torch.randn(3, dtype=torch.bfloat16), "i8": torch.arange(4, dtype=torch.int8),
                "sparse": torch.eye(3).to_sparse()}, d / "dtypes.pt")
    return d


@pytest.mark.parametrize("name", ["state_dict.pt", "sequential.pt", "training.pt", "legacy.pt", "dtypes.pt"])
def test_real_checkpoints_are_safe(checkpoints: Path, name: str) -> None:
    r = scan_file(checkpoints / name)
    assert r.verdict == "safe", r.findings
    assert r.format == ("pytorch-legacy" if name == "legacy.pt" else "pytorch-zip")


def test_full_model_save_reports_the_user_class(checkpoints: Path) -> None:
    """A whole-model save imports the user's own class: loading runs that class's code, which no
    allowlist can vouch for (issue #12: exact allowlist, no naming heuristics) — suspicious."""
    r = scan_file(checkpoints / "full_model.pt")
    assert r.verdict == "suspicious"
    assert any(f.id == "pickle.unlisted-callable" and "Net" in f.message for f in r.findings)


def test_checkpoint_folder_bom(checkpoints: Path) -> None:
    bom = mlbom.generate(models=checkpoints, reproducible=True)
    assert mlbom.validate(mlbom.dumps(bom)).ok
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    # the folder's worst file is the whole-model save (user class): suspicious
    assert ("mlbom:safety:verdict", "suspicious") in [(p.name, p.value) for p in m.properties]


def test_the_installed_torch_build_is_read_from_its_files() -> None:
    """The real torch in this environment: what its own ``torch.version`` says (imported here, by
    the test) is what mlbom reads from ``torch/version.py`` without importing it."""
    import sys

    bom = mlbom.generate(env=sys.prefix, reproducible=True)
    comp = next(c for c in bom.components if c.name == "torch")
    props = {(p.name, p.value) for p in comp.properties}
    expected = f"cuda-{torch.version.cuda}" if torch.version.cuda else "cpu"
    assert ("mlbom:cuda:build", expected) in props
    assert ("mlbom:build:git-version", torch.version.git_version) in props
