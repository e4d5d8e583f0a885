"""The fuzz31 harnesses (fuzz/targets/readers.py) reach the code they fuzz on their seeds: a
harness that drifted from its reader's signature or input layout would fuzz nothing (as
config-json's once did, docs/fuzzing.md)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from fuzz.targets import readers
from mlbom.collectors._interpreter import table_patterns, table_template_matches
from mlbom.formats import logging_config, mlmodel, pysource
from mlbom.formats.skops import judge_schema_bytes
from mlbom.scanner import scan_bytes

SEEDS = Path(__file__).resolve().parent.parent / "fuzz" / "seeds"


def _seeds(target: str, pattern: str) -> list[bytes]:
    found = [p.read_bytes() for p in sorted((SEEDS / target).glob(pattern))]
    assert found, target
    return found


def test_logging_ini_seeds_are_judged() -> None:
    ids = {j.effect for s in _seeds("logging-ini", "*.ini") for j in logging_config.judge(s.decode())}
    assert "unsafe" in ids  # the eval in args


def test_logging_dict_seeds_reach_dictconfig() -> None:
    for s in _seeds("logging-dict", "*.json"):
        r = scan_bytes(s, "logging.json")
        assert r.verdict in ("suspicious", "unsafe"), (r.verdict, [f.id for f in r.findings])


def test_skops_seeds_are_skops_schemas() -> None:
    for s in _seeds("skops-schema", "*.json"):
        assert judge_schema_bytes(s, "schema.json")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("schema.json", s)
        assert scan_bytes(buf.getvalue(), "model.skops").format == "skops"


def test_mlmodel_harness_reads_the_environment_files() -> None:
    found = set()
    for s in _seeds("mlmodel", "*.yaml"):
        text = s.decode()
        found |= {j.id for j in mlmodel.judge(text, "MLmodel", inside=lambda p: True, read=readers._reader(text))}
        readers.run_mlmodel(s)
    assert "mlmodel.install-from-source" in found


def test_pep263_seeds() -> None:
    got = {pysource.declared_encoding(s) for s in _seeds("pep263", "*.pysrc")}
    assert {"utf-8", "iso8859-1", "cp1252", None} <= got


def test_activate_seeds_match_the_table() -> None:
    matched = 0
    for s in _seeds("activate", "*.seed"):
        prompt, _, script = s[1:].partition(b"\x00")
        name = readers._ACTIVATE_NAMES[s[0] % len(readers._ACTIVATE_NAMES)]
        patterns = table_patterns(readers.activate_values(prompt.decode()))
        matched += table_template_matches(name, script.decode(), patterns)
        assert not table_template_matches(name, script.decode() + "\nrm -rf ~\n", patterns)
    assert matched >= 6


def test_mlmodel_harness_reader_answers_each_way() -> None:
    """The reader callback says "not there" (None), "unread" (InputError) or hands the text back; the
    first mlmodel run raised TypeError from a wrong InputError call on every "unread" name (51 crash
    files, all the harness's)."""
    from mlbom.errors import InputError

    read = readers._reader("x")
    got = set()
    for i in range(40):
        try:
            got.add(read(f"req{i}.txt"))
        except InputError:
            got.add("unread")
    assert got == {None, "x", "unread"}
