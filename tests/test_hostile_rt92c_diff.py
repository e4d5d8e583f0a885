"""Red team 92c, ``diff`` and ``report --previous`` (exit 0/1/2; never "internal error"; nothing good is lost).

92c-8: a ``modelCard`` leaf changed from ``1`` to ``true`` read as "no differences" (exit 0, a
``--fail-on model-card-change`` gate not tripped): Python's ``==`` (``1 == True``) was asked of the
whole component, the whole card and the release before the field walk, whose leaf rule
(``_same_leaf``: JSON type and text) says they differ. Every shortcut now uses that rule
(``mlbom.diff._same_json``); ``1`` and ``1.0`` differ as their JSON text does.

The inputs are written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main

_LEAF = "modelCard.considerations.environmentalConsiderations.energyConsumptions[0].activityEnergyCost.value"


def _quiet(capsys: Any) -> tuple[str, str]:
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return str(out), str(err)


def _model(val: object, where: str) -> dict[str, object]:
    card = {"considerations": {"environmentalConsiderations": {"energyConsumptions": [
        {"activity": "training", "energyProviders": [], "activityEnergyCost": {"value": val, "unit": "kWh"}}]}}}
    c: dict[str, object] = {"type": "machine-learning-model", "bom-ref": "m", "name": "m", "version": "1", "modelCard": card}
    if where == "release":
        return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "metadata": {"component": c}}
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [c]}


def _pair(tmp_path: Path, old: object, new: object, where: str = "component") -> tuple[str, str]:
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    a.write_text(json.dumps(_model(old, where)))
    b.write_text(json.dumps(_model(new, where)))
    return str(a), str(b)


@pytest.mark.parametrize("where", ["component", "release"])
@pytest.mark.parametrize(("old", "new", "shown"), [(1, True, "1 -> true"), (0, False, "0 -> false"),
                                                   (True, 1, "true -> 1"), (1, 1.0, "1 -> 1.0"), (1, 2, "1 -> 2")])
def test_a_leaf_of_another_json_type_is_a_change(tmp_path: Path, capsys: Any, where: str, old: object, new: object,
                                                  shown: str) -> None:
    a, b = _pair(tmp_path, old, new, where)
    assert main(["diff", a, b, "--fail-on", "model-card-change"]) == 1
    out, err = _quiet(capsys)
    assert f"model-card-change  {'(release)' if where == 'release' else 'machine-learning-model:/m'}  {_LEAF}: {shown}" in out
    assert len(err.strip().splitlines()) == 1 and "1 change(s) match --fail-on model-card-change" in err
    assert main(["diff", a, b, "--format", "json"]) == 0
    changes = json.loads(_quiet(capsys)[0])["changes"]
    assert [(c["kind"], c["detail"]) for c in changes] == [("model-card-change", _LEAF)]


@pytest.mark.parametrize("val", [1, True, 1.5, "1", None])
def test_the_same_leaf_is_no_change(tmp_path: Path, capsys: Any, val: object) -> None:
    a, b = _pair(tmp_path, val, val)
    assert main(["diff", a, b, "--fail-on", "any"]) == 0
    assert _quiet(capsys) == ("no differences\n", "")


def test_member_order_is_no_change(tmp_path: Path, capsys: Any) -> None:
    a, b = _pair(tmp_path, 1, 1)
    doc = json.loads(Path(b).read_text())
    comp = doc["components"][0]
    doc["components"][0] = dict(reversed(list(comp.items())))
    Path(b).write_text(json.dumps(doc))
    assert main(["diff", a, b, "--fail-on", "any"]) == 0
    assert _quiet(capsys) == ("no differences\n", "")


def test_report_previous_lists_the_change(tmp_path: Path, capsys: Any) -> None:
    a, b = _pair(tmp_path, 1, True)
    out = tmp_path / "rep.txt"
    assert main(["report", b, "--previous", a, "--format", "text", "-o", str(out)]) == 0
    _quiet(capsys)
    assert _LEAF in out.read_text()
