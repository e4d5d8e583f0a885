"""Red team 37t-6 (a false positive): python-lz4's frame decompressor, drained to ``max_length``
with no new input, may return ``b""`` once more before it asks for input. mlbom's decompressing
reader took that for the end of the compressed data (``error``: truncated) on real models that
``joblib.dump(compress="lz4")`` wrote, once their pickle passed about a megabyte."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_file

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)
joblib = pytest.importorskip("joblib")
pytest.importorskip("lz4")


@pytest.mark.parametrize("seed", [0, 1])
def test_large_lz4_joblib_model_is_safe(tmp_path: Path, seed: int) -> None:
    from sklearn.ensemble import ExtraTreesClassifier
    rng = np.random.RandomState(seed)
    X = rng.rand(300, 6)
    y = rng.randint(0, 40, 300)  # 40 classes: about 2 MB of pickle
    path = tmp_path / "m.joblib"
    joblib.dump(ExtraTreesClassifier(10, random_state=seed).fit(X, y), path, compress=("lz4", 3))
    r = scan_file(path)
    assert r.verdict == "safe", [f.message for f in r.findings]


def test_truncated_lz4_joblib_model_is_still_an_error(tmp_path: Path) -> None:
    from sklearn.ensemble import ExtraTreesClassifier
    rng = np.random.RandomState(0)
    X = rng.rand(300, 6)
    path = tmp_path / "m.joblib"
    joblib.dump(ExtraTreesClassifier(10, random_state=0).fit(X, rng.randint(0, 40, 300)), path, compress=("lz4", 3))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    r = scan_file(path)
    assert r.verdict == "error", [f.message for f in r.findings]
