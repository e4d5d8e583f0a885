"""Vulnerability inputs: OSV records (JSON/YAML), OSV database zips, VEX files."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

from fuzz.harness import Target
from mlbom.errors import MlbomError
from mlbom.vulns import osv
from mlbom.vulns.osv import RecordError


def _record(data: bytes, name: str) -> None:
    for raw in osv.parse_documents(data, name):
        osv.from_osv(raw, name)


def record_json(data: bytes) -> None:
    _record(data, "fuzz.json")


def record_yaml(data: bytes) -> None:
    _record(data, "fuzz.yaml")


def database_zip(data: bytes) -> None:
    """Arbitrary bytes as a database zip, and each as a member of a well-formed zip."""
    from mlbom.vulns.db import open_database

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLBOM_CACHE_DIR"] = str(Path(tmp) / "cache")
        raw = Path(tmp) / "db.zip"
        raw.write_bytes(data)
        if zipfile.is_zipfile(raw):
            open_database(raw, use_cache=False)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("a.json", data)
            zf.writestr("b.yaml", data)
        wrapped = Path(tmp) / "wrapped.zip"
        wrapped.write_bytes(buf.getvalue())
        db = open_database(wrapped, use_cache=False)
        for name in db.names():
            db.records_for(name)


def vex_file(data: bytes) -> None:
    from mlbom.vulns import vex

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vex.json"
        path.write_bytes(data)
        vex.load(path)


TARGETS = [
    Target("osv-record-json", record_json, seeds=("tests/fixtures/osv/ml/*.json",), allowed=(RecordError,),
           max_len=1 << 16, description="one OSV record as JSON: parse, bound, schema-validate, reduce"),
    Target("osv-record-yaml", record_yaml, seeds=("tests/fixtures/osv/pypa-subset/vulns/*/*.yaml",
                                                  "tests/fixtures/hostile/vulns/*.yaml"),
           allowed=(RecordError,), max_len=1 << 16, description="one OSV record as YAML (CSafeLoader, node budget)"),
    Target("osv-database-zip", database_zip, seeds=("tests/fixtures/hostile/vulns/*.zip",), allowed=(MlbomError,),
           max_len=1 << 16, description="a database zip (and the bytes as members of one)"),
    Target("vex", vex_file, seeds=("tests/fixtures/hostile/vulns/*.json",), allowed=(MlbomError,), max_len=1 << 16,
           description="a CycloneDX VEX or OpenVEX file"),
]
