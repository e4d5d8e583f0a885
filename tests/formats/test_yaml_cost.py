"""fix18y: a YAML config is read in bounded time — one parse per parser, the pure-Python one only
where libyaml refuses the text, and then for a bounded prefix.

Measured on main 27062ea (2-core loaded machine, CPU seconds): a Hydra target then 12,000 dotted
values (0.33 MB) 1.5 s and 40,000 (1.1 MB) 3.9 s (``suspicious``: "over 10 s of parsing" under a
profiler); a deny-listed word in a comment and 40,000 ``'a: b'`` strings (0.8 MB) 3.9 s. 80 % of it
was PyYAML's pure-Python parser, run twice (tags, then targets) besides libyaml's twice.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from mlbom.formats import config_targets as ct
from mlbom.formats import yaml_tags
from mlbom.limits import MAX_PURE_YAML_CHARS, MAX_PURE_YAML_KEYS, MAX_PURE_YAML_TOKENS, PURE_YAML_MARGIN
from mlbom.scanner import scan_bytes, scan_file

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile" / "fuzz" / "scanner-yaml"
LIBYAML = isinstance(getattr(yaml, "CBaseLoader", None), type)
needs_libyaml = pytest.mark.skipif(not LIBYAML, reason="PyYAML without libyaml: the pure parser is the only one")


def _counting(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts yaml.parse/compose_all calls by parser (``pure`` / ``libyaml``)."""
    seen: Counter[str] = Counter()
    parse, compose = yaml.parse, yaml.compose_all

    def which(loader: object) -> str:
        return "libyaml" if loader is getattr(yaml, "CBaseLoader", None) else "pure"

    def counting_parse(stream: object, Loader: object = yaml.Loader) -> object:
        seen[which(Loader)] += 1
        return parse(stream, Loader=Loader)  # type: ignore[arg-type]

    def counting_compose(stream: object, Loader: object = yaml.Loader) -> object:
        seen["compose-" + which(Loader)] += 1
        return compose(stream, Loader=Loader)  # type: ignore[arg-type]

    monkeypatch.setattr(yaml, "parse", counting_parse)
    monkeypatch.setattr(yaml, "compose_all", counting_compose)
    return seen


@needs_libyaml
@pytest.mark.parametrize("name", ["slow-target-then-12k-dotted-values.yaml", "slow-deny-word-and-20k-colon-strings.yaml"])
def test_hostile_config_is_parsed_once_by_libyaml_only(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = HOSTILE / name
    before = scan_file(path).verdict
    seen = _counting(monkeypatch)
    start = time.process_time()
    result = scan_file(path)
    took = time.process_time() - start
    assert result.verdict == before
    assert seen == Counter({"libyaml": 1}), seen  # main: 2 libyaml + 2 pure-Python parses
    assert took < 5.0, took  # (about 0.2 s here: the bound of docs/fuzzing.md is 1 s per MB; CI may be slow)


@needs_libyaml
def test_tags_and_targets_come_from_one_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    text = ("%TAG !p! tag:yaml.org,2002:python/\n---\nx: !p!name:os.system 1\nmodel:\n"
            "  _target_: torch.nn.Linear\n")
    seen = _counting(monkeypatch)
    r = scan_bytes(text.encode(), "config.yaml")
    ids = {f.id for f in r.findings}
    assert {"yaml.python-tag", "code.remote"} <= ids and r.verdict == "suspicious"
    assert seen == Counter({"libyaml": 1}), seen


@needs_libyaml
def test_text_only_the_pure_parser_reads_is_read_by_it() -> None:
    """libyaml refuses ``%YAML 1.0`` ("found incompatible YAML document"); PyYAML's own parser reads
    on with a warning, and so does OmegaConf: its reading is walked."""
    text = "%YAML 1.0\n---\nmodel:\n  _target_: os.system\nt: !!python/name:os.system x\n"
    with pytest.raises(yaml.YAMLError):
        list(yaml.parse(text, Loader=yaml.CBaseLoader))
    t = ct.yaml_targets(text)
    assert "os.system" in t.paths and t.unparsed and not t.read_by_none
    r = scan_bytes(text.replace("!!python/name", "!p").encode(), "config.yaml")
    assert r.verdict == "unsafe"
    tags = yaml_tags.python_tags("%YAML 1.0\n%TAG !p! tag:yaml.org,2002:python/\n---\nx: !p!name:os.system 1\n")
    assert tags.python == ["tag:yaml.org,2002:python/name:os.system"] and not tags.parsed


@needs_libyaml
def test_a_bom_after_the_start_is_read_by_both_parsers() -> None:
    """The differential fuzz's one material difference: libyaml skips a BOM at the start of any line,
    PyYAML's scanner reads it as content — here a comment to libyaml is a key and a value to
    OmegaConf's parser, which imports the bare deny-listed path (18b-1)."""
    text = "a: 1\n\ufeff#c: os.system\n"
    assert [getattr(e, "value", None) for e in yaml.parse(text, Loader=yaml.CBaseLoader)].count("os.system") == 0
    assert scan_bytes(text.encode(), "config.yaml").verdict == "unsafe"
    tags = yaml_tags.python_tags("%TAG !e! tag:yaml.org,2002:python/\n---\nx: 1\n\ufeff#c: !e!name:os.system 1\n")
    assert tags.python == ["tag:yaml.org,2002:python/name:os.system"]


@needs_libyaml
def test_a_long_text_only_the_pure_parser_reads_is_suspicious_past_its_bound() -> None:
    # long values: few tokens, so the bound met is the characters' (the tokens' is below)
    filler = "".join(f"k{i}: {'v' * 1000}\n" for i in range(MAX_PURE_YAML_CHARS // 1000))
    text = "%YAML 1.0\n---\nmodel:\n  _target_: torch.nn.Linear\n" + filler + "late:\n  _target_: os.system\n"
    start = time.process_time()
    t = ct.yaml_targets(text)
    assert time.process_time() - start < 5.0
    assert t.bounded is not None and "first 131072 characters" in t.bounded
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and any("not checked to the end" in f.message for f in r.findings)
    tags = yaml_tags.python_tags("%YAML 1.0\n---\nx: !t 1\n" + filler)
    assert tags.bounded is not None and not tags.parsed
    assert scan_bytes(("%YAML 1.0\n---\nx: !t 1\n" + filler).encode(), "notes.yaml").verdict == "suspicious"


@needs_libyaml
def test_the_pure_parser_work_is_bounded_in_tokens() -> None:
    """Short tokens: a text libyaml refuses (``%YAML 1.0``) is read by the pure-Python scanner for at
    most MAX_PURE_YAML_TOKENS tokens (about half a second), a target past them unseen: suspicious."""
    filler = "".join(f"k{i}: v\n" for i in range(MAX_PURE_YAML_TOKENS // 3))  # 4 tokens a line
    assert len(filler) < MAX_PURE_YAML_CHARS - PURE_YAML_MARGIN
    text = "%YAML 1.0\n---\nmodel:\n  _target_: torch.nn.Linear\n" + filler + "late:\n  _target_: os.system\n"
    start = time.process_time()
    t = ct.yaml_targets(text)
    assert time.process_time() - start < 5.0
    assert t.bounded is not None and f"past {MAX_PURE_YAML_TOKENS} tokens" in t.bounded
    assert scan_bytes(text.encode(), "config.yaml").verdict == "suspicious"
    short = "%YAML 1.0\n---\nmodel:\n  _target_: torch.nn.Linear\n" + filler[:20_000]
    assert ct.yaml_targets(short).bounded is None


@needs_libyaml
def test_deep_flow_nesting_in_the_pure_parser_is_bounded() -> None:
    """Fuzzing (2 Dec, ``skops-zip``): broken JSON nested ~200 deep took 2.7 s, because the pure-Python
    scanner walks every saved simple key (one per open flow level) at every token. The walk is counted
    (MAX_PURE_YAML_KEYS); past it the reading is bounded: suspicious, never safe, in well under a second
    of the scanner's work."""
    data = (HOSTILE.parent / "skops-zip" / "pure-yaml-flow-nesting.json").read_bytes()
    for name in ("config.json", "config.yaml"):
        start = time.process_time()
        r = scan_bytes(data, name)
        assert time.process_time() - start < 2.5
        assert r.verdict == "suspicious"
        assert any(f"over {MAX_PURE_YAML_KEYS} saved simple keys" in f.message for f in r.findings)
    # 10 lines of 300-deep flow sequences (6 KB; libyaml refuses %YAML 1.0): about 900,000 keys walked
    deep = "".join(f"k{i}: " + "[" * 300 + "1" + "]" * 300 + "\n" for i in range(10))
    t = ct.yaml_targets("%YAML 1.0\n---\n_target_: torch.nn.Linear\n" + deep)
    assert t.bounded is not None and "saved simple keys" in t.bounded
    tags = yaml_tags.python_tags("%YAML 1.0\n---\nx: !t 1\n" + deep)
    assert tags.bounded is not None and not tags.parsed
    # one such line: within the bound
    assert ct.yaml_targets("%YAML 1.0\n---\n_target_: torch.nn.Linear\n" + deep[:deep.index("\n") + 1]).bounded is None


@needs_libyaml
def test_an_early_error_of_the_pure_parser_in_a_long_text_is_no_bound() -> None:
    """Both parsers refuse it early: the error is the text's own, whatever follows the cut."""
    filler = "".join(f"k{i}: v{i}\n" for i in range(MAX_PURE_YAML_CHARS // 8))
    text = "model:\n  _target_: [torch.nn.Linear\n}\n" + filler
    assert len(text) > MAX_PURE_YAML_CHARS + PURE_YAML_MARGIN
    t = ct.yaml_targets(text)
    assert t.bounded is None and t.read_by_none
    assert yaml_tags.python_tags("a: !t [1\n}\n" + filler).bounded is None


def test_deny_prefilter_agrees_with_the_deny_list() -> None:
    """The cheap test in front of ``pickle.danger`` (:func:`config_targets._may_be_denied`) never
    says no where the deny list says yes."""
    from mlbom.formats import pickle as pickle_fmt

    pol = pickle_fmt.policy()
    paths: set[str] = set()
    for k in pol.deny:
        b = k[:-2] if k.endswith(".*") else k
        paths |= {b, f"{b}.x", f"a.{b}", f"a.{b}.y", f"sklearn.{b}", f"{b}.system"}
    paths |= {f"x.y.{n}" for n in pol.deny_names} | {f"x.{a}.system" for a in pol.anywhere}
    denied = [p for p in paths if pickle_fmt.danger(p) is not None]
    assert len(denied) > 500
    assert all(ct._why_dangerous(p) is not None for p in denied)
    assert ct._why_dangerous("torch.nn.Linear7") is None and ct._why_dangerous("torch.hub.load") is not None


BROKEN_LOGGING = (Path(__file__).resolve().parent.parent / "fixtures" / "hostile" / "fuzz" / "logging-dict"
                  / "slow-broken-nested-json-with-file-handler.json")


@needs_libyaml
def test_a_broken_document_is_not_composed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzing (logging-dict, 2 Dec): 40 KB of broken nested JSON holding a dictConfig FileHandler took
    2.6 s: both readings stop at the error, and settling the handler's class composed the text again,
    without the pure-Python reading's bounds, up to the same error — a document that never composes.
    Now a document a reading did not read to its end is never composed, and a composition is bounded
    like the reading it follows."""
    data = BROKEN_LOGGING.read_bytes()
    before = scan_bytes(data, "logging.json")
    seen = _counting(monkeypatch)
    after = scan_bytes(data, "logging.json")
    assert after.verdict == before.verdict and {f.id for f in after.findings} == {f.id for f in before.findings}
    assert seen["compose-pure"] == 0 and seen["compose-libyaml"] == 0, seen
    assert seen["pure"] == 1 and seen["libyaml"] == 1, seen


def test_a_document_read_to_its_end_is_still_composed_for_its_interpolations() -> None:
    """The settle step still composes what a reading read whole: a Hydra target spelled with a node
    interpolation in the second document, the first document broken for nobody."""
    text = "a: 1\n---\nx:\n  _target_: ${y}\ny: os.system\n"
    r = ct.yaml_targets(text)
    assert "os.system" in r.paths, r.paths


def test_composition_keeps_the_reading_bounds() -> None:
    """:func:`yaml_tags.composed` counts the pure-Python scanner's work as a reading does: a flow
    sequence of more tokens than :data:`MAX_PURE_YAML_TOKENS` composes nothing (PyYAML's own
    ``compose_all`` builds it), a small one composes."""
    big = "a: [" + "1, " * (MAX_PURE_YAML_TOKENS // 2 + 10) + "2]\n"
    assert len(list(yaml.compose_all(big, Loader=yaml.SafeLoader))) == 1
    assert list(yaml_tags.composed(big, yaml.SafeLoader)) == []
    assert len(list(yaml_tags.composed("a: [1, 2]\n---\nb: 3\n", yaml.SafeLoader))) == 2


def test_aliases_of_a_long_scalar_are_a_bound_not_quadratic_work() -> None:
    """Red team 50f-1: 1,000 aliases of a 200,000-character scalar in a config naming a target took 41 s
    (each alias judged the whole scalar again) and ended ``safe``; past ``MAX_ALIAS_CHARS`` characters
    judged again the reading is bounded — not checked to the end, ``suspicious``."""
    text = "dim: 3\nhidden: ${dim}\nnote: &n " + "a" * 200_000 + "\nnotes: [" + ",".join(["*n"] * 1000) + "]\n"
    start = time.process_time()
    r = scan_bytes(text.encode(), "config.yaml")
    assert time.process_time() - start < 10.0  # (0.8 s here)
    assert r.verdict == "suspicious" and any("repeated through aliases" in f.message for f in r.findings), r.findings


def test_a_few_aliases_of_a_scalar_are_read_as_before() -> None:
    text = "a: &t torch.nn.Linear\nm:\n  _target_: *t\nn:\n  _target_: *t\n"
    r = ct.yaml_targets(text)
    assert r.paths == ["torch.nn.Linear"] and not r.bounded


def test_the_verdict_does_not_depend_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Red team 50f-2: a 10 s wall-clock bound made the same 1 MB config ``safe`` or ``suspicious`` by the
    machine's load. No bound reads the clock: a clock that runs an hour per call changes nothing."""
    text = "dim: 3\nhidden: ${dim}\nlabels: [" + ",".join(["a"] * 20_000) + "]\n"
    before = scan_bytes(text.encode(), "config.yaml")
    now = [0.0]

    def racing() -> float:
        now[0] += 3600.0
        return now[0]

    monkeypatch.setattr(time, "monotonic", racing)
    monkeypatch.setattr(time, "perf_counter", racing)
    after = scan_bytes(text.encode(), "config.yaml")
    assert after.verdict == before.verdict == "safe", [f.message for f in after.findings]


def test_aliases_of_a_collection_of_interpolations_are_a_bound() -> None:
    """Red team 51f-2: 1,000 aliases of a mapping of 9,000 relative interpolations took 26 s (each alias
    looked at every pending target of the collection again; 100,000 aliases ran past 300 s): past
    ``MAX_REALIASED`` the reading is bounded, ``suspicious``."""
    body = ", ".join(f"k{i}: '${{..a}}'" for i in range(9000))
    text = f"a: 1\nx: &x {{{body}}}\ny: [" + ", ".join(["*x"] * 1000) + "]\nm:\n  _target_: ${a}\n"
    start = time.process_time()
    r = scan_bytes(text.encode(), "config.yaml")
    assert time.process_time() - start < 10.0  # (0.5 s here)
    assert r.verdict == "suspicious" and any("aliases of their collection" in f.message for f in r.findings)


def test_an_alias_of_a_collection_still_resolves_from_its_place() -> None:
    text = "x: &x {fn: '${..name}'}\na:\n  name: builtins.str\n  m: {_target_: x}\nb:\n  name: os.system\n  c: *x\n"
    r = ct.yaml_targets(text)
    assert not r.bounded


def test_repeated_nested_resolver_arguments_cost_little() -> None:
    """Red team 51p-1: a 2 KB config of repeated nested resolver arguments spent the 1 MiB nested-text
    budget (0.9 s each; 20 copies in one model folder took 29 s). The budget is 256 KiB now."""
    path = HOSTILE / "nested-resolver-arguments-repeated.yaml"
    scan_file(path)
    start = time.process_time()
    r = scan_file(path)
    assert time.process_time() - start < 2.0  # (0.3 s here)
    assert r.verdict == "suspicious"
