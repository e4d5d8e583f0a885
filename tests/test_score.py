"""The completeness score: weights from the data file, every check with its evidence, unknown
never a pass, and each check moving the score as documented."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import mlbom
from mlbom.reader import loads
from mlbom.readmodel import read
from mlbom.score import Score, score_all, weights
from mlbom.signature_state import SignatureState

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"
FOREIGN = Path(__file__).resolve().parent / "fixtures" / "report" / "cyclonedx-example.model-card-with-dataset.json"
UNSIGNED = SignatureState("", False, False, "the BOM is not signed")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    d = json.loads(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True, gpu=False)))
    assert isinstance(d, dict)
    return d


def _scores(d: dict[str, Any], sig: SignatureState = UNSIGNED) -> dict[str, Score]:
    return {f"{s.kind}:{s.subject}": s for s in score_all(read(loads(json.dumps(d).encode(), name="b.json")), sig)}


def _status(s: Score) -> dict[str, str]:
    return {c.id: c.status for c in s.checks}


def test_weights_file_covers_every_check_and_sums_to_100() -> None:
    w = weights()
    for kind in ("model", "dataset", "release"):
        assert sum(w[kind].values()) == 100, kind


def test_example_scores_explain_every_point(doc: dict[str, Any]) -> None:
    s = _scores(doc)
    release, model, dataset = s["release:tiny-release"], s["model:tiny-release-classifier"], s["dataset:tiny-reviews"]
    for sc in (release, model, dataset):
        assert {c.id for c in sc.checks} == set(weights()[sc.kind])
        assert all(c.evidence for c in sc.checks)
        assert sc.points == sum(c.weight for c in sc.checks if c.status == "pass")
    assert _status(model) == {"card-present": "pass", "licence-declared": "pass", "licence-spdx": "pass",
                              "base-model-pinned": "fail", "datasets-linked": "pass", "datasets-inspected": "pass",
                              "files-hashed": "pass", "weights-scanned-safe": "pass", "metrics-stated": "pass"}
    assert model.value == 90
    assert next(c for c in model.checks if c.id == "base-model-pinned").evidence == "acme/tiny-encoder: no revision"
    assert dataset.value == 100
    assert _status(release)["signature-present"] == "fail" and _status(release)["vulnerabilities-evaluated"] == "fail"
    assert release.value == 45


def test_each_fix_raises_the_score(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    m = next(c for c in d["components"] if c["type"] == "machine-learning-model")
    m["pedigree"]["ancestors"][0]["purl"] = "pkg:huggingface/acme/tiny-encoder@0123abcd"
    d["vulnerabilities"] = []
    s = _scores(d, SignatureState("jsf", True, True, "verified: valid signature, trusted key", ("abc",)))
    assert s["model:tiny-release-classifier"].value == 100
    rel = _status(s["release:tiny-release"])
    assert rel["vulnerabilities-evaluated"] == "pass" and rel["signature-verified"] == "pass"
    assert s["release:tiny-release"].value == 90  # the libraries still declare no licence


def test_unsafe_or_unscanned_weights_fail(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    for c in d["components"]:
        if c["name"] == "model.safetensors":
            c["properties"] = [p for p in c["properties"] if p["name"] != "mlbom:safety:verdict"]
    s = _scores(d)
    check = next(c for c in s["model:tiny-release-classifier"].checks if c.id == "weights-scanned-safe")
    assert check.status == "fail" and "model/model.safetensors: not scanned" in check.evidence
    for c in d["components"]:
        if c["name"] == "model.safetensors":
            c["properties"].append({"name": "mlbom:safety:verdict", "value": "unsafe"})
    check = next(c for c in _scores(d)["model:tiny-release-classifier"].checks if c.id == "weights-scanned-safe")
    assert check.status == "fail" and "unsafe" in check.evidence


def test_checksum_mismatch_fails_the_dataset(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    for c in d["components"]:
        if c["name"] == "reviews.csv":
            c.setdefault("properties", []).append({"name": "mlbom:finding",
                                                   "value": "high dataset.checksum-mismatch: reviews.csv: sha256 a but b"})
    check = next(c for c in _scores(d)["dataset:tiny-reviews"].checks if c.id == "checksums-verified")
    assert check.status == "fail" and "dataset.checksum-mismatch" in check.evidence


def test_foreign_bom_unknown_is_never_a_pass() -> None:
    s = {f"{x.kind}:{x.subject}": x for x in score_all(read(mlbom.load(FOREIGN)), UNSIGNED)}
    model = _status(s["model:support-ticket-classifier"])
    assert model["files-hashed"] == "fail" and model["weights-scanned-safe"] == "fail"
    assert model["base-model-pinned"] == "n/a"  # none declared: counts neither way
    assert model["datasets-inspected"] == "fail"
    assert all(x.value < 60 for x in s.values())
