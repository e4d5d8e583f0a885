"""Red team 120y (HyperPyYAML tags, pyannote merge keys, LightningCLI evidence):

* 120y-1: a ``%TAG`` directive after a bare ``\\r`` line break (``^%TAG`` under re.M never matched there) with the
  call tag's word split between the prefix and the suffix (``%TAG !x! !a`` + ``!x!pply:os.system``), behind a
  YAML-1.2 anchor PyYAML refuses, was SAFE: in a text no PyYAML parser reads to its end, any ``%TAG`` and any
  local tag holding a ``:`` is ``yaml.tags-unchecked``.
* 120y-2: ``!ref <empty>'(\\x21\\x21python/object/apply:os.system [true])'``: hyperpyyaml's parse_arithmetic
  evaluates Python string literals (escapes decoded) and the ``(…)`` result is a ``!tuple`` read with yaml.Loader.
* 120y-3: pyannote ``name`` beside a merge key ``<<: {name: "-"}``: PyYAML keeps the explicit key.
* 120y-4: ``!ref <mods[b].eval>``, ``b: !ref <a>`` chains, aliases of ``!module:builtins``: resolved as deref does.
* 120y-5: a key repeated N times with call tags × N ``!ref <key.attr>`` made N² targets.
* 120y-6: ``data: /abs/x.json`` beside LightningCLI's ``ckpt_path``/``optimizer``/``lr_scheduler``/``model: null``.
Nothing here is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

FIXTURES = Path(__file__).parent / "fixtures"


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize("brk", ["\r", "\n", "\r\n", "\x85", "\u2028"])
def test_120y1_tag_directive_after_any_line_break_is_not_safe(brk: str) -> None:
    text = brk.join(["# ECAPA speaker model hyperparameters", "%TAG !x! !a", "---", "sample_rate: &sr: 16000",
                     "n_mels: 80", 'run: !x!pply:os.system ["true"]', ""])
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict != "safe" and "yaml.tags-unchecked" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    'a: &x: 1\nrun: !x!pply:os.system ["true"]\n',  # an undefined handle (ruamel refuses) — still not judged
    'a: &x: 1\nrun: !foo:os.system ["true"]\n',
])
def test_120y1_local_tag_with_a_colon_in_an_unread_text_is_not_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict != "safe" and "yaml.tags-unchecked" in _ids(r), r.findings


def test_120y1_unread_text_without_tags_stays_safe() -> None:
    r = scan_bytes(b"a: &x: 1\nnote: Hi!: there\nb: [1, 2]\n", "hyperparams.yaml")
    assert "yaml.tags-unchecked" not in _ids(r), r.findings


_EVAL = '\nrun: !new:list\n  - !new:map\n    - !ref <{ref}>\n    - ["__import__(\'os\').system(\'true\')"]\n'


@pytest.mark.parametrize("head,ref", [
    ("mods:\n  b: !module:builtins\n", "mods[b].eval"),
    ("a: !module:builtins\nb: !ref <a>\n", "b.eval"),
    ("mods:\n  a: &m !module:builtins\nb: *m\n", "b.eval"),
    ("mods: &m\n  a: !module:builtins\nb: *m\n", "b[a].eval"),
    ("a: !module:builtins\nb: !ref <a>\nc: !copy <b>\n", "c.eval"),
    ("mods:\n  - &m !module:builtins\nb: *m\n", "b.eval"),
    ("mods:\n  - &m\n    x: !module:builtins\nb: *m\n", "b[x].eval"),
])
def test_120y4_getattr_through_nested_keys_chains_and_aliases_is_unsafe(head: str, ref: str) -> None:
    r = scan_bytes((head + _EVAL.format(ref=ref)).encode(), "hyperparams.yaml")
    assert r.verdict == "unsafe", r.findings
    assert any("builtins.eval" in f.message for f in r.findings), r.findings


def test_120y4_a_sequence_item_is_no_deref_path() -> None:
    # hyperpyyaml's deref walks mappings only ("mods[0]" is not valid: the load fails): code.remote as before
    r = scan_bytes(("mods:\n  - !module:builtins\n" + _EVAL.format(ref="mods[0].eval")).encode(), "hyperparams.yaml")
    assert r.verdict == "suspicious", r.findings


def test_120y4_a_ref_cycle_ends() -> None:
    text = "a: !ref <b>\nb: !ref <a>\nc: !ref <a.eval>\nd: !module:builtins\n"
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict == "suspicious", r.findings


def test_120y5_repeated_key_times_references_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.formats import config_targets as ct

    added = 0
    orig = ct.Targets.add

    def counting(self: object, *a: object, **k: object) -> object:
        nonlocal added
        added += 1
        return orig(self, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(ct.Targets, "add", counting)
    n = 1000
    text = "".join(f"b: !module:m{i}\n" for i in range(n)) + "".join(f"c{i}: !ref <b.a{i}>\n" for i in range(n))
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict == "suspicious", r.findings
    assert added <= 4 * n, added  # (N² = 1,000,000 before)


def test_120y_speechbrain_fixture_stays_code_remote_only() -> None:
    r = scan_bytes((FIXTURES / "speechbrain" / "hyperparams.yaml").read_bytes(), "hyperparams.yaml")
    assert r.verdict == "suspicious" and set(_ids(r)) == {"code.remote"}, r.findings


@pytest.mark.parametrize("text", [
    "empty: ''\nsample_rate: 16000\nfeats: !ref <empty>'(\\x21\\x21python/object/apply:os.system [true])'\n",
    "n: 0\nfeats: !ref \"'(\\\\x21\\\\x21python/object/apply:os.system [true])' * (1 + <n>)\"\n",
    "empty: ''\nfeats: !copy <empty>'(\\041\\N{EXCLAMATION MARK}python/object/apply:os.system [true])'\n",
    "empty: ''\nfeats: !ref <empty>'(' + '\\x21\\x21python/object/apply:os.system [true]' + ')'\n",
])
def test_120y2_ref_string_literals_decoded_into_a_python_tag_tuple_are_caught(text: str) -> None:
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict != "safe" and "yaml.python-tag" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    # built by % formatting: not decoded here, still not safe
    "empty: ''\nfeats: !ref <empty>'(%cpython/object/apply:os.system [true])' % 33\n",
    "n: 1\nfeats: !ref <n>'x'\n",
    # the literal comes from the referenced value: <a><empty> builds it, parse_arithmetic decodes it
    "a: '''(\\x21\\x21python/object/apply:os.system [true])'''\nempty: ''\nfeats: !ref <a><empty>\n",
    "a: '''(\\x21\\x21python/object/apply:os.system [true])'''\nfeats: !ref <a> * 1\n",
])
def test_120y2_ref_expressions_that_may_build_any_text_are_not_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict != "safe" and "yaml.tags-unchecked" in _ids(r), r.findings


def test_120y2_plain_ref_arithmetic_stays_safe() -> None:
    text = "sr: 16000\nhop: 10\nn: !ref <sr> // 100 * <hop>\nfolder: results\nsave: !ref <folder>/save\n"
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("text", [
    "pipeline:\n  name: acme_diarize.pipelines.SpeakerDiarization\n  <<: {name: \"-\"}\n"
    "  params: {segmentation: pyannote/segmentation-3.0}\n",
    "pipeline:\n  <<: {name: \"-\"}\n  name: this.Zen\n  params: {}\n",
    "pipeline:\n  name: pyannote.audio.pipelines.SpeakerDiarization\n  <<: {name: \"-\"}\n  params: {}\n"
    "preprocessors:\n  audio: {name: acme_diarize.io.Loader, <<: {name: \"-\"}, params: {}}\n",
])
def test_120y3_pyannote_name_beside_a_merge_key_is_judged(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict != "safe", r.findings
    assert any("acme_diarize" in f.message or "this.Zen" in f.message for f in r.findings), r.findings


def test_120y3_pyannote_plain_data_name_stays_safe() -> None:
    r = scan_bytes(b"dataset:\n  name: librispeech\n  <<: {name: x}\n", "config.yaml")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("extra", ["ckpt_path: null\n", "optimizer:\n  lr: 0.001\n", "lr_scheduler: null\n",
                                   "model: null\n", "model:\n"])
def test_120y6_data_json_beside_lightning_own_keys_is_not_safe(extra: str) -> None:
    r = scan_bytes(("data: /srv/shared/lit/datamodule.json\n" + extra).encode(), "data.yaml")
    assert r.verdict == "suspicious" and any("jsonargparse" in f.message for f in r.findings), r.findings


@pytest.mark.parametrize("text", [
    "model: bert-base-uncased\ndata: ../data/train.json\nlr: 3.0e-5\nepochs: 3\n",
    "data: /srv/datasets/train.json\nepochs: 3\nmodel: 'null'\n",
])
def test_120y6_a_dataset_json_without_lightning_keys_stays_safe(text: str) -> None:
    assert scan_bytes(text.encode(), "config.yaml").verdict == "safe"


def test_120y4_a_long_ref_chain_is_followed() -> None:
    text = "a0: !module:builtins\n" + "".join(f"a{i}: !ref <a{i - 1}>\n" for i in range(1, 150))
    r = scan_bytes((text + _EVAL.format(ref="a149.eval")).encode(), "hyperparams.yaml")
    assert r.verdict == "unsafe", r.findings


@pytest.mark.parametrize("text", [
    "a0: !module:builtins\n" + "".join(f"a{i}: !ref <a{i - 1}>\n" for i in range(1, 400)) + "z: !ref <a399.eval>\n",
    "a: !module:builtins\nz: !ref <a" + "[b]" * 100 + ".eval>\n",
])
def test_120y4_past_the_reference_bounds_is_not_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict != "safe" and "yaml.tags-unchecked" in _ids(r), r.findings
