"""Fuzz targets for the parsers of BOMs, Python metadata, lock and requirements files, cards,
Croissant, CUDA build files and ``mlbom.toml`` (issue 19). Each target's contract: it returns,
or raises :class:`mlbom.errors.MlbomError` (``InputError`` for bad input); anything else is a
crash. What a target produces must also be writable: targets whose values reach a BOM write
them with orjson, as the BOM writer does.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson

from fuzz.harness import Target
from fuzz.mutators import json_mutator, lines_mutator, toml_mutator, yaml_mutator
from mlbom.errors import MlbomError

_ALLOWED = (MlbomError,)
_SMALL = 64 << 10  # enough for every slow path issue 19 lists (2 KB cards, 4,000 spaces)
_TMP = Path(tempfile.mkdtemp(prefix="mlbom-fuzz-"))


def _file(name: str, data: bytes) -> Path:
    """``data`` written to a file called ``name`` in a per-process scratch folder."""
    path = _TMP / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _writable(value: object) -> None:
    """What reaches a BOM must serialize (the writer's contract)."""
    orjson.dumps(value, default=str)


# --- BOMs ---------------------------------------------------------------------------------


def bom_json(data: bytes) -> None:
    from mlbom.reader import loads

    bom = loads(data, "fuzz.json")
    bom.content_digest  # noqa: B018 - the property is the code under test
    bom.components()


def bom_xml(data: bytes) -> None:
    from mlbom.reader import loads

    bom = loads(data, "fuzz.xml")
    bom.content_digest  # noqa: B018
    bom.components()


def validate(data: bytes) -> None:
    from mlbom.cyclonedx.validate import validate_bytes

    validate_bytes(data, name="fuzz")


# --- Python metadata ------------------------------------------------------------------------


def metadata(data: bytes) -> None:
    from mlbom.formats.pymeta import parse_metadata

    meta = parse_metadata(data, Path("METADATA"))
    _writable(meta.fields)


def record(data: bytes) -> None:
    from mlbom.formats.pymeta import parse_record

    for row in parse_record(data, Path("RECORD")):
        _writable([row.path, row.alg, row.digest_hex, row.size])


def direct_url(data: bytes) -> None:
    from mlbom.formats.pymeta import parse_direct_url

    du = parse_direct_url(data, Path("direct_url.json"))
    _writable([du.url, du.vcs, du.commit_id, du.hashes, du.subdirectory])


# --- Requirements and locks ---------------------------------------------------------------


def requirements(data: bytes) -> None:
    from mlbom.collectors import Context
    from mlbom.collectors.facts import Fact
    from mlbom.collectors.requirements import RequirementsCollector

    path = _file("req/requirements.txt", data)
    for item in RequirementsCollector().collect(Context(base=path.parent, path=path)):
        if not isinstance(item, Fact):
            _writable(item.model_dump(mode="json"))


def _lock(name: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from mlbom.formats import locks

        path = Path(name)
        fmt = locks.detect(path)
        assert fmt is not None
        lock = locks.parse(data, path, fmt)
        for pkg in lock.packages:
            _writable([pkg.name, pkg.version, pkg.source_url, pkg.marker, pkg.specifier, list(pkg.dependencies)])
        _writable(lock.notes)

    return run


# --- Cards, Croissant, configs --------------------------------------------------------------


def model_card(data: bytes) -> None:
    from mlbom.formats import hf_card

    card = hf_card.parse_card(data.decode("utf-8", "replace"))
    block = hf_card.model_card_block(card, {}, dataset_refs={}, bom_ref="m")
    _writable(block)
    _writable(card.problems)


def dataset_card(data: bytes) -> None:
    from mlbom.collectors.datasets import dataset_card as read

    _writable(read(_file("ds/README.md", data)))


def croissant(data: bytes) -> None:
    from mlbom.formats.croissant import parse_croissant

    c = parse_croissant(_file("croissant.json", data))
    _writable([c.name, c.description, c.license, c.provenance, c.problems, c.fields,
               [(f.id, f.content_url, f.contained_in) for f in c.file_objects]])


def config_json(data: bytes) -> None:
    from mlbom.collectors.models import read_config

    doc, _problem = read_config(_file("model/config.json", data), hashlib.sha256(data).hexdigest())
    if doc is not None:  # what reaches the modelCard (hf_card.model_card_block)
        from mlbom.formats import hf_card

        _writable(hf_card.model_card_block(hf_card.Card(), doc, dataset_refs={}, bom_ref="m"))


def cuda_torch(data: bytes) -> None:
    from mlbom.formats import cuda_builds

    site = _TMP / "site"
    _file("site/torch/version.py", data)
    b = cuda_builds.torch_build(site, "2.0", ["nvidia-cudnn-cu12==9.1.0"])
    assert b is not None
    _writable([b.cuda, b.rocm, b.git_version, b.problems])


def cuda_tensorflow(data: bytes) -> None:
    from mlbom.formats import cuda_builds

    site = _TMP / "site"
    _file("site/tensorflow/python/platform/build_info.py", data)
    b = cuda_builds.tensorflow_build(site, "2.0")
    assert b is not None
    _writable([b.cuda, b.rocm, b.cudnn_major, list(b.archs), b.problems])


def mlbom_toml(data: bytes) -> None:
    from mlbom.config import project_settings

    _file("proj/mlbom.toml", data)
    project_settings(_TMP / "proj")


_S = "../shared/corpus"
TARGETS: list[Target] = [
    Target("bom-json", bom_json, (f"{_S}/cyclonedx/examples/**/*.json", "fuzz/seeds/bom-json/*"), _ALLOWED,
           description="reader.loads (JSON) + content_digest + components", mutator=json_mutator(), max_len=_SMALL),
    Target("bom-xml", bom_xml, (f"{_S}/cyclonedx/examples/**/*.xml", "fuzz/seeds/bom-xml/*"), _ALLOWED,
           description="reader.loads (XML, defusedxml) + content_digest"),
    Target("validate", validate, (f"{_S}/cyclonedx/examples/**/*.json", "fuzz/seeds/bom-json/*",
                                  "fuzz/seeds/bom-xml/*"), _ALLOWED,
           description="cyclonedx.validate.validate_bytes (schema + referential checks)", mutator=json_mutator(), max_len=_SMALL),
    Target("metadata", metadata, ("fuzz/seeds/metadata/*",), _ALLOWED,
           description="pymeta.parse_metadata (METADATA/PKG-INFO headers)", mutator=lines_mutator(), max_len=_SMALL),
    Target("record", record, ("fuzz/seeds/record/*",), _ALLOWED,
           description="pymeta.parse_record (RECORD CSV)", mutator=lines_mutator(), max_len=_SMALL),
    Target("direct-url", direct_url, ("fuzz/seeds/direct-url/*",), _ALLOWED,
           description="pymeta.parse_direct_url (PEP 610)", mutator=json_mutator(), max_len=_SMALL),
    Target("requirements", requirements, ("tests/fixtures/requirements*.txt", f"{_S}/requirements/*/requirements*.txt",
                                          "fuzz/seeds/requirements/*"), _ALLOWED,
           description="RequirementsCollector over pip-requirements-parser (one file, no includes present)",
           mutator=lines_mutator(), max_len=_SMALL),
    Target("uv-lock", _lock("uv.lock"), ("tests/fixtures/uv-comfy-cli/uv.lock", "fuzz/seeds/uv-lock/*"), _ALLOWED,
           description="locks.parse uv.lock (TOML)", mutator=toml_mutator(), max_len=_SMALL),
    Target("poetry-lock", _lock("poetry.lock"), (f"{_S}/requirements/lockfiles/poetry.lock/*/poetry.lock",
                                                 "fuzz/seeds/poetry-lock/*"), _ALLOWED,
           description="locks.parse poetry.lock (TOML)", mutator=toml_mutator(), max_len=_SMALL),
    Target("pipfile-lock", _lock("Pipfile.lock"), (f"{_S}/requirements/lockfiles/Pipfile.lock/*/Pipfile.lock",
                                                   "fuzz/seeds/pipfile-lock/*"), _ALLOWED,
           description="locks.parse Pipfile.lock (JSON)", mutator=json_mutator(), max_len=_SMALL),
    Target("pylock", _lock("pylock.toml"), ("tests/fixtures/pylock.spec-example.toml",
                                            f"{_S}/requirements/lockfiles/pylock.toml/*/*.toml"), _ALLOWED,
           description="locks.parse pylock.toml (TOML, packaging.pylock)", mutator=toml_mutator(), max_len=_SMALL),
    Target("conda-env", _lock("environment.yml"), (f"{_S}/requirements/lockfiles/conda/*/environment.yml",
                                                   "fuzz/seeds/conda-env/*"), _ALLOWED,
           description="locks.parse environment.yml (YAML: aliases, depth, size bounds)", mutator=yaml_mutator(), max_len=_SMALL),
    Target("model-card", model_card, (f"{_S}/model-cards/*.md", "fuzz/seeds/model-card/*"), _ALLOWED,
           description="hf_card.parse_card + model_card_block (front matter, headings)", mutator=lines_mutator(),
           max_len=_SMALL),
    Target("dataset-card", dataset_card, (f"{_S}/dataset-cards/*.md", "fuzz/seeds/model-card/*"), _ALLOWED,
           description="datasets.dataset_card (front matter, sensitive/citation sections)", mutator=lines_mutator(),
           max_len=_SMALL),
    Target("croissant", croissant, (f"{_S}/croissant/datasets/*/*/metadata.json", "fuzz/seeds/croissant/*"),
           _ALLOWED, description="croissant.parse_croissant (JSON-LD, containedIn cycles)", mutator=json_mutator(),
           max_len=_SMALL),
    Target("config-json", config_json, (f"{_S}/model-cards/*.json",), _ALLOWED,
           description="models.read_config (config.json and friends)", mutator=json_mutator(), max_len=_SMALL),
    Target("cuda-torch", cuda_torch, ("tests/fixtures/cuda/*",), _ALLOWED,
           description="cuda_builds.torch_build (torch/version.py through ast)", mutator=lines_mutator(), max_len=_SMALL),
    Target("cuda-tensorflow", cuda_tensorflow, ("fuzz/seeds/cuda-tensorflow/*",), _ALLOWED,
           description="cuda_builds.tensorflow_build (build_info.py through ast)", mutator=lines_mutator(), max_len=_SMALL),
    Target("mlbom-toml", mlbom_toml, ("fuzz/seeds/mlbom-toml/*",), _ALLOWED,
           description="config.project_settings (mlbom.toml)", mutator=toml_mutator(), max_len=_SMALL),
]

