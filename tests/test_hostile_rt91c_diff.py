"""Red team 91c-4: ``diff`` and ``report --previous`` of two BOMs whose ``modelCard`` is a chain of
nested objects with long member names over many leaves (620 KB each) ended in ``internal error:
MemoryError``: ``_flatten`` spelled the whole path of every leaf (leaves x path length, 15 GB) and
copied its map at every level. The two cards are now walked side by side, paths share their
prefixes, and a path is spelled only for a change that is listed; one diff lists at most
``MAX_FIELD_CHANGES`` field changes and ``MAX_FIELD_PATH_CHARS`` characters of field paths, and
counts the rest in one change per field (a ``--fail-on model-card-change`` gate still trips).

The inputs are written here. Memory is asserted with ``tracemalloc`` (the peak of what Python
allocated), not seconds.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import mlbom.diff
from mlbom.cli import main

CHANGE_CAP = 1000  # mlbom.diff.MAX_FIELD_CHANGES, written out so that this file runs on the old code
PATH_CHARS_CAP = 1 << 20  # mlbom.diff.MAX_FIELD_PATH_CHARS


def _card(depth: int, keylen: int, leaves: int, flipped: range) -> tuple[dict[str, object], str]:
    """A chain of ``depth`` objects, each with one ``keylen``-character member name, over an object
    of ``leaves`` members ``vN``: 1 for N in ``flipped``, else 0. Also the path of the leaf object."""
    node: dict[str, object] = {f"v{i}": 1 if i in flipped else 0 for i in range(leaves)}
    keys = []
    for d in range(depth):
        key = f"{d:03d}" + "k" * (keylen - 3)
        keys.append(key)
        node = {key: node}
    return node, ".".join(reversed(keys))


def _bom(cards: list[dict[str, object]]) -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": "urn:uuid:3c5653d6-43fc-5049-9cab-f4f005b9da03",
            "components": [{"type": "machine-learning-model", "bom-ref": f"m{i}", "name": f"model{i}", "modelCard": c}
                           for i, c in enumerate(cards)]}


def _pair(tmp_path: Path, old: list[dict[str, object]], new: list[dict[str, object]]) -> tuple[Path, Path]:
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    a.write_text(json.dumps(_bom(old), separators=(",", ":")))
    b.write_text(json.dumps(_bom(new), separators=(",", ":")))
    return a, b


def _run(args: list[str], capsys: Any, monkeypatch: Any) -> tuple[int, str, str, int]:
    """rc, stdout, stderr and the peak of Python's allocations while the BOMs were compared
    (``mlbom.diff.diff``; reading a BOM reserves a buffer of its size limit, not counted)."""
    peaks = [0]
    compare = mlbom.diff.diff

    def measured(old: dict[str, object], new: dict[str, object]) -> list[Any]:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = compare(old, new)
        peaks.append(tracemalloc.get_traced_memory()[1] - base)
        return out

    monkeypatch.setattr(mlbom.diff, "diff", measured)
    capsys.readouterr()
    tracemalloc.start()
    try:
        rc = main(args)
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return rc, str(out), str(err), max(peaks)


def test_long_paths_one_change_is_listed_in_bounded_memory(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    # 91c-4 scaled down: 60 links of 1,000 characters over 2,000 leaves (76 KB each); the old code
    # spelled 2 x 2,000 paths of 60 KB (240 MB) to find the one leaf that differs
    old, where = _card(60, 1000, 2000, range(0))
    new, _ = _card(60, 1000, 2000, range(1))
    a, b = _pair(tmp_path, [old], [new])
    rc, out, err, peak = _run(["diff", str(a), str(b), "--format", "json"], capsys, monkeypatch)
    assert rc == 0 and err == ""
    changes = json.loads(out)["changes"]
    # nothing good lost: the one change, with its whole path and both values
    assert [(c["kind"], c["detail"], c["old"], c["new"]) for c in changes] == [
        ("model-card-change", f"modelCard.{where}.v0", "0", "1")]
    assert peak < 8 << 20, peak

    report = tmp_path / "report.txt"
    rc, out, err, peak = _run(["report", str(b), "--previous", str(a), "--format", "text", "-o", str(report)], capsys, monkeypatch)
    assert rc == 0 and "internal error" not in err and len(err.splitlines()) <= 1
    text = report.read_text()
    assert "model-card-change" in text and "characters in all)" in text  # a long path is clipped, and says so (123v-4)
    assert peak < 8 << 20, peak


def test_many_changes_are_bounded_and_counted(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    # every one of 1,500 leaves under a 30 KB path differs, in two components: the diff lists what
    # fits in the bound (in order), counts the rest per field, and the gate still trips on both
    old, where = _card(30, 1000, 1500, range(0))
    new, _ = _card(30, 1000, 1500, range(1500))
    a, b = _pair(tmp_path, [old, old], [new, new])
    rc, out, err, peak = _run(["diff", str(a), str(b), "--format", "json"], capsys, monkeypatch)
    assert rc == 0 and err == ""
    changes = json.loads(out)["changes"]
    listed = [c for c in changes if c["old"] is not None]
    counted = [c for c in changes if c["old"] is None]
    assert all(c["kind"] == "model-card-change" for c in changes)
    assert 0 < len(listed) <= CHANGE_CAP
    assert sum(len(c["detail"]) for c in listed) <= PATH_CHARS_CAP + len(listed) * len("modelCard.")
    # past the bound, the first in walk order: members by name
    assert [c["detail"] for c in listed] == [f"modelCard.{where}.{k}" for k in sorted(f"v{i}" for i in range(1500))][:len(listed)]
    assert all(c["old"] == "0" and c["new"] == "1" for c in listed)
    # the first component's rest, and the whole of the second: each counted in one change
    assert [c["identity"] for c in counted] == ["machine-learning-model:/model0", "machine-learning-model:/model1"]
    assert counted[0]["detail"].startswith(f"{1500 - len(listed):,} more modelCard field change(s) not listed")
    assert counted[1]["detail"].startswith("1,500 more modelCard field change(s) not listed")
    assert len(out) < 2 * PATH_CHARS_CAP + 200_000
    assert peak < 8 << 20, peak

    rc, out, err, _ = _run(["diff", str(a), str(b), "--format", "text", "--fail-on", "model-card-change"], capsys, monkeypatch)
    assert rc == 1 and len(err.strip().splitlines()) == 1, err


def test_many_short_changes_stop_at_the_change_bound(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    old, _ = _card(1, 5, 3000, range(0))
    new, _ = _card(1, 5, 3000, range(3000))
    a, b = _pair(tmp_path, [old], [new])
    rc, out, err, _ = _run(["diff", str(a), str(b), "--format", "json"], capsys, monkeypatch)
    assert rc == 0 and err == ""
    changes = json.loads(out)["changes"]
    assert len(changes) == CHANGE_CAP + 1
    assert changes[-1]["detail"].startswith("2,000 more modelCard field change(s) not listed")
    assert changes[-1]["kind"] == "model-card-change"


def test_ordinary_card_changes_keep_their_order(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    # under the bound the output is as before: every changed leaf, sorted by its path as text
    # ("[10]" before "[2]"), a member on one side against nothing, bom-ref left out
    metrics = [{"type": "accuracy", "value": str(i)} for i in range(12)]
    old = {"bom-ref": "c1", "modelParameters": {"task": "x"},
           "quantitativeAnalysis": {"performanceMetrics": metrics}}
    new = {"bom-ref": "c2", "modelParameters": {"task": "y", "architectureFamily": "llama"},
           "quantitativeAnalysis": {"performanceMetrics": [dict(m, value=m["value"] + "!") for m in metrics]}}
    a, b = _pair(tmp_path, [old], [new])
    rc, out, err, _ = _run(["diff", str(a), str(b), "--format", "json"], capsys, monkeypatch)
    assert rc == 0 and err == ""
    details = [c["detail"] for c in json.loads(out)["changes"]]
    metric_paths = sorted(f"modelCard.quantitativeAnalysis.performanceMetrics[{i}].value" for i in range(12))
    assert details == ["modelCard.modelParameters.architectureFamily", "modelCard.modelParameters.task", *metric_paths]
    assert details[2].endswith("[0].value") and details[3].endswith("[10].value")
