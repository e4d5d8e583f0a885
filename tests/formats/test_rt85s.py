"""Red team 85s-1 (/work/redteam-85s): Keras' Orbax checkpoints keep the model config as a JSON
*string* (``model_config/_strings.json``: ``{"config": "<Model.to_json()>"}``), and
``keras.saving.load_model(folder)`` rebuilds the model from ``json.loads`` of it. The scanner read
the file as plain JSON and called a Lambda's marshalled code ``safe``. JSON documents held in
string values are now decoded (bounded levels) and judged as Keras objects like any other."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.scanner import scan_bytes

KERAS = Path(__file__).resolve().parent.parent / "fixtures" / "keras"


def _config(name: str) -> str:
    with zipfile.ZipFile(KERAS / name) as z:
        return z.read("config.json").decode()


def _verdicts(folder: Path) -> dict[str, str]:
    return {Path(r.path).name: r.verdict for r in mlbom.scan(folder)}


def test_real_orbax_checkpoint_with_lambda_is_unsafe(capsys: pytest.CaptureFixture[str]) -> None:
    """Written by Keras' own OrbaxCheckpoint callback (fixtures/keras/make_orbax.py)."""
    results = mlbom.scan(KERAS / "malicious" / "orbax-lambda")
    (strings,) = [r for r in results if r.path.endswith("_strings.json")]
    assert strings.verdict == "unsafe" and {"keras.lambda", "keras.code-layer"} <= {f.id for f in strings.findings}
    assert main(["scan", str(KERAS / "malicious" / "orbax-lambda")]) == 1
    assert "internal error" not in capsys.readouterr().err


def test_real_orbax_checkpoint_of_dense_model_is_safe() -> None:
    results = mlbom.scan(KERAS / "benign" / "orbax-dense")
    assert {r.verdict for r in results} == {"safe"}, [(r.path, r.findings) for r in results]
    (strings,) = [r for r in results if r.path.endswith("_strings.json")]
    assert strings.format == "keras-config" and strings.findings == []


@pytest.mark.parametrize("name", ["_strings.json", "data.json", "metadata"])
def test_config_string_under_any_json_handler_name(tmp_path: Path, name: str) -> None:
    """Orbax's PyTreeHandler keeps strings in ``_strings.json``; its JsonHandler reads ``data.json``
    or ``metadata`` (no extension): a Keras config string in any of them is judged."""
    (tmp_path / name).write_text(json.dumps({"config": _config("malicious/lambda.keras")}))
    assert _verdicts(tmp_path)[name] == "unsafe"


def test_config_held_two_levels_deep_is_judged() -> None:
    twice = json.dumps({"outer": json.dumps({"config": _config("malicious/module-os-system.keras")})})
    r = scan_bytes(twice.encode(), "_strings.json")
    assert r.verdict == "unsafe", r.findings


def test_benign_strings_that_look_like_json_add_nothing() -> None:
    doc = {"chat": "{% for m in messages %}{{ m }}{% endfor %}", "list": "[1, 2, 3]", "obj": '{"a": 1}',
           "broken": '{"class_name": "Lambda", "config": ', "keras": _config("benign/functional.keras")}
    r = scan_bytes(json.dumps(doc).encode(), "x.json")
    assert r.verdict == "safe" and r.findings == [], r.findings


def test_string_json_deeper_than_the_reader_is_an_error() -> None:
    deep = "[" * 100_000 + '"class_name"' + "]" * 100_000
    r = scan_bytes(json.dumps({"config": deep}).encode(), "_strings.json")
    assert r.verdict == "error" and any(f.id == "json.too-deep" for f in r.findings), r.findings


def test_config_whose_key_is_spelled_with_escapes_is_judged() -> None:
    """``json.loads`` decodes ``\\u005f`` in a key: the quick test for ``class_name`` in a string
    must let such a string through."""
    config = _config("malicious/lambda.keras").replace('"class_name"', '"class\\u005fname"')
    assert "class_name" not in config
    r = scan_bytes(json.dumps({"config": config}).encode(), "_strings.json")
    assert r.verdict == "unsafe", r.findings


def test_strings_that_cannot_name_a_keras_object_are_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work bound: 140,000 JSON-looking strings without ``class_name`` are never parsed."""
    import json as json_module

    calls = 0
    real = json_module.loads

    def counting(text: str | bytes, *a: object, **k: object) -> object:
        nonlocal calls
        calls += 1
        return real(text, *a, **k)  # type: ignore[arg-type]

    doc = json.dumps(["[1]"] * 140_000).encode()
    monkeypatch.setattr(json_module, "loads", counting)
    assert scan_bytes(doc, "x.json").verdict == "safe"
    assert calls < 10
