"""Fuzz targets for the config and model-folder readers added by red teams 23–27 (issue 19, fuzz31).

* ``logging-ini``: the input as text (UTF-8, replacement characters) through
  ``mlbom.formats.logging_config``: the head and text sniffers, then ``judge`` (fileConfig's INI
  form: configparser, the bounded ``%(name)s`` expansion, the ``ast`` judgement of class/args/kwargs);
* ``logging-dict``: the input as a JSON file through the scanner (``scan_bytes(..., debug=True)``):
  the dictConfig path of ``mlbom.formats.config_targets`` (``()`` factories, ``class``,
  ``ext://``/``cfg://``, file handlers' paths). The YAML side is ``scanner-yaml``'s;
* ``skops-schema``: the input as a ``schema.json`` through ``mlbom.formats.skops.judge_schema_bytes``
  (the node tree skops.io.load would walk, the trusted-type table, old protocols);
* ``skops-zip``: the input as the ``schema.json`` of a zip (beside a ``.npy`` member) scanned whole
  as ``model.skops`` (``scan_bytes(..., debug=True)``): the scanner's skops detection and verdict.
  ``scanner-zip`` does not reach it (no member of its archives is named ``schema.json``);
* ``mlmodel``: the input as an MLflow ``MLmodel`` text through ``mlbom.formats.mlmodel.judge``, whose
  reader callback hands the same text back as ``python_env.yaml``/``conda.yaml``/``requirements.txt``
  and any ``-r`` file (one YAML document can hold flavors and dependencies), says "not there" for
  some names and raises ``InputError`` ("unread") for others, chosen by a hash of the name;
* ``pep263``: raw bytes through ``mlbom.formats.pysource`` (``python_readable``, ``declared_encoding``);
* ``activate``: an activate script against the table of venv/virtualenv/uv templates
  (``mlbom.collectors._interpreter.table_patterns``/``table_template_matches``): the first byte
  picks the script's name (its language), the bytes up to the first NUL are the environment's
  prompt (and folder name), the rest is the script text. The compiled patterns are cached per
  prompt (compiling them took ~0.1 s an input).

Each must return; the judges never raise (a text they cannot read is a finding). Every judgement
must carry an effect of the four (or none).
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from fuzz.harness import Target
from fuzz.mutators import json_mutator, yaml_mutator
from fuzz.targets.scanner import scan
from mlbom.errors import InputError
from mlbom.model import Judged

if TYPE_CHECKING:
    from mlbom.collectors._interpreter import TemplateMatcher

_EFFECTS = (None, "unsafe", "suspicious", "error", "safe")


def _judged(found: Iterable[Judged]) -> None:
    for j in found:
        if j.effect not in _EFFECTS:
            raise AssertionError(f"bad effect {j.effect!r}")


def run_logging_ini(data: bytes) -> None:
    from mlbom.formats import logging_config

    logging_config.ini_start(data[:4096])
    logging_config.looks_like_head(data)
    text = data.decode("utf-8", "replace")
    logging_config.looks_like(text)
    _judged(logging_config.judge(text))  # judged whether or not it looks like one: the parser is the target


def run_logging_dict(data: bytes) -> None:
    scan(data, "logging.json")


def run_skops_schema(data: bytes) -> None:
    from mlbom.formats.skops import judge_schema_bytes

    found = judge_schema_bytes(data, "model.skops/schema.json")
    if found is not None:
        _judged(found)


def run_skops_zip(data: bytes) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", data)
        zf.writestr("0.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }"
                    + b" " * 57 + b"\n" + b"\x00" * 8)
    scan(buf.getvalue(), "model.skops")


def _reader(text: str) -> Callable[[str], str | None]:
    def read(name: str) -> str | None:
        pick = zlib.crc32(name.encode("utf-8", "surrogatepass")) % 5
        if pick == 3:
            return None  # not there
        if pick == 4:
            raise InputError(name, "cannot be read (fuzz)")
        return text

    return read


def run_mlmodel(data: bytes) -> None:
    from mlbom.formats import mlmodel

    text = data.decode("utf-8", "replace")
    _judged(mlmodel.judge(text, "MLmodel"))
    _judged(mlmodel.judge(text, "MLmodel", inside=lambda p: not mlmodel.lexically_outside(p), read=_reader(text)))


def run_pep263(data: bytes) -> None:
    from mlbom.formats import pysource

    codec = pysource.declared_encoding(data)
    readable = pysource.python_readable(data)
    if readable and codec is None:
        raise AssertionError("readable source without a codec")
    if readable and codec is not None:
        data.decode(codec, "replace")  # the codec named is one Python has


_ACTIVATE_NAMES = ("activate", "activate.csh", "activate.fish", "activate.nu", "Activate.ps1", "activate.bat",
                   "deactivate.bat", "activate_this.py", "activate.xsh", "activate.sh", "pydoc.bat")


@functools.cache
def _placeholders() -> frozenset[str]:
    """The placeholders (venv/virtualenv ``__NAME__``, uv ``{{ NAME }}``) of the table's templates."""
    from importlib import resources

    doc = json.loads(resources.files("mlbom").joinpath("data/activate-templates.json").read_text("utf-8"))
    return frozenset(k for t in doc["templates"] for k in re.findall(r"__[A-Z][A-Z0-9_]*__|\{\{ [A-Z][A-Z0-9_]* \}\}",
                                                                    str(t["text"])))


def activate_values(prompt: str) -> dict[str, set[str]]:
    """Every placeholder of the table's templates given values derived from ``prompt`` (as the
    environment's folder name and its pyvenv.cfg prompt)."""
    keys = _placeholders()
    root = f"/fz/{prompt}"
    return {k: {prompt, f"({prompt}) ", root, f"{root}/bin/python", "bin", ":", ""} for k in keys}


@functools.lru_cache(maxsize=256)
def _patterns(prompt: str) -> list[tuple[str, TemplateMatcher]]:
    """The table's patterns for one prompt (compiling them is most of an input's cost: cached)."""
    from mlbom.collectors._interpreter import table_patterns

    return table_patterns(activate_values(prompt))


def run_activate(data: bytes) -> None:
    from mlbom.collectors._interpreter import table_template_matches

    name = _ACTIVATE_NAMES[data[0] % len(_ACTIVATE_NAMES)] if data else "activate"
    prompt, _, script = data[1:].partition(b"\x00")
    table_template_matches(name, script.decode("utf-8", "replace"), _patterns(prompt[:256].decode("utf-8", "replace")))


TARGETS: list[Target] = [
    Target("logging-ini", run_logging_ini, ("fuzz/seeds/logging-ini/*.ini",), (), 1 << 16,
           "logging.config.fileConfig INI text: sniffers, configparser, %(name)s expansion, class/args/kwargs "
           "judged on their syntax tree"),
    Target("logging-dict", run_logging_dict, ("fuzz/seeds/logging-dict/*.json",), (), 1 << 16,
           "logging.config.dictConfig JSON through the scanner's config-target reading", mutator=json_mutator()),
    Target("skops-schema", run_skops_schema, ("fuzz/seeds/skops-schema/*.json",), (), 1 << 16,
           "skops schema.json node tree against the trusted-type table", mutator=json_mutator()),
    Target("skops-zip", run_skops_zip, ("fuzz/seeds/skops-schema/*.json",), (), 1 << 16,
           "whole-file scan of a zip whose schema.json is the input (skops detection and verdict)",
           mutator=json_mutator()),
    Target("mlmodel", run_mlmodel, ("fuzz/seeds/mlmodel/*.yaml",), (), 1 << 16,
           "MLflow MLmodel YAML: loader module, flavor paths, skops trust list, environment files via the reader",
           mutator=yaml_mutator()),
    Target("pep263", run_pep263, ("fuzz/seeds/pep263/*.pysrc",), (), 1 << 16,
           "PEP 263 coding declaration and whether CPython could read the bytes as source"),
    Target("activate", run_activate, ("fuzz/seeds/activate/*.seed",), (), 1 << 16,
           "activate script text against the venv/virtualenv/uv template table with fuzzed prompt values"),
]
