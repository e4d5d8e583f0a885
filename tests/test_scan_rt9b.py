"""Red team 9b C, CT, F and TX: no silent cap hides a finding — every ``auto_map`` string and
every ``modules.json``/Router reference is judged (past the stat budget: not checked, so
suspicious), every named chat template (a list of any length, or a JSON object) is judged,
capped finding *messages* never cap the verdict, and the decodable prefix of a text file with
a bad byte is checked for YAML Python tags (the attack files are ``rt9b-*`` rows of
``hostile/scanner/EXPECTED.tsv``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlbom.scanner
from mlbom.scanner import scan, scan_bytes


def _ids(data: bytes, name: str) -> tuple[str, set[str]]:
    r = scan_bytes(data, name)
    return r.verdict, {f.id for f in r.findings}


def test_auto_map_reference_behind_10000_pad_strings() -> None:
    for pad_first in (False, True):
        pad = ["x"] * 10_000
        amap: dict[str, object] = ({"pad": pad, "AutoConfig": "other--configuration_x.XConfig"} if pad_first
                                   else {"AutoConfig": "other--configuration_x.XConfig", "pad": pad})
        verdict, ids = _ids(json.dumps({"auto_map": amap}).encode(), "config.json")
        assert verdict == "suspicious" and "code.remote" in ids


def test_more_module_references_than_the_stat_budget_fail_closed(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("X = 1\n")
    refs = {f"K{i}": f"m{i}.X" for i in range(10_001)}
    verdict, ids = _ids(json.dumps({"auto_map": refs}).encode(), "config.json")
    assert verdict == "suspicious" and "code.remote" in ids


def test_modules_json_reference_after_10000_items(tmp_path: Path) -> None:
    items = [{"idx": i, "name": str(i), "path": "n", "type": "sentence_transformers.models.Normalize"}
             for i in range(10_000)]
    items.append({"idx": 10_000, "name": "x", "path": "x", "type": "other--custom_mod.MyModule"})
    (tmp_path / "modules.json").write_text(json.dumps(items))
    (r,) = scan(tmp_path)
    assert r.verdict == "suspicious" and "code.remote" in {f.id for f in r.findings}
    types = {f"r{i}": "sentence_transformers.models.Normalize" for i in range(10_000)}
    types["last"] = "other--custom_mod.MyModule"
    verdict, ids = _ids(json.dumps({"types": types}).encode(), "config.json")
    assert verdict == "suspicious" and "code.remote" in ids


def test_keras_findings_cap_keeps_the_lambda_effect() -> None:
    hostile = Path(__file__).parent / "fixtures" / "hostile" / "scanner" / "rt9b-keras-findings-cap.json"
    verdict, ids = _ids(hostile.read_bytes(), "model.json")
    assert verdict == "unsafe" and {"keras.lambda", "keras.custom-object"} <= ids


def test_template_findings_cap_keeps_a_worse_effect() -> None:
    from mlbom.formats.chat_template import check_template

    template = "".join(f"{{{{ x|f{i} }}}}" for i in range(60)) + "{{ ''.__class__ }}"
    found = check_template(template)
    assert ("template.dunder-access", "unsafe") in {(f.id, f.effect) for f in found}
    assert len(found) <= 52


def test_every_named_template_and_a_dict_of_templates_are_judged() -> None:
    bad = "{{ ''.__class__.__mro__ }}"
    for value in ([{"name": f"t{i}", "template": f"{{{{ m{i} }}}}"} for i in range(100)]
                  + [{"name": "default", "template": bad}], {"default": bad}, {"a": "{{ x }}", "b": bad}):
        verdict, ids = _ids(json.dumps({"chat_template": value}).encode(), "tokenizer_config.json")
        assert verdict == "unsafe" and "template.dunder-access" in ids, value


def test_too_many_distinct_templates_fail_closed() -> None:
    value = [{"name": f"t{i}", "template": f"{{{{ m{i} }}}}"} for i in range(1100)]
    verdict, ids = _ids(json.dumps({"chat_template": value}).encode(), "tokenizer_config.json")
    assert verdict == "error" and "template.too-many" in ids


def test_text_prefix_before_a_bad_byte_is_checked_for_python_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    tag = b"--- !!python/object/apply:os.system ['true']\n--- |\n" + b"  line\n" * 3000
    for tail in (b"\x00\xff", b"\xff", b"\x00"):
        verdict, ids = _ids(tag + tail, "hparams.yaml")
        assert verdict == "error" and {"file.unknown", "yaml.python-tag"} <= ids, tail
    verdict, ids = _ids(b"\x00" + tag, "hparams.yaml")  # nothing before the NUL: no document built
    assert "yaml.python-tag" not in ids
    monkeypatch.setattr(mlbom.scanner, "MAX_TEXT", 4096)  # too large to read in full: its first part is checked
    verdict, ids = _ids(tag, "hparams.yaml")
    assert verdict == "error" and {"file.unknown", "yaml.python-tag"} <= ids
