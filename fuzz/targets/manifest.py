"""Fuzz target for the file-manifest reader (issue #18): ``manifest-reader`` reads arbitrary bytes
as a manifest (plain JSON Lines) through :class:`mlbom.manifest.format.ManifestReader`, to the end.
It may raise only :class:`~mlbom.errors.InputError`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fuzz.harness import Target
from mlbom.errors import InputError
from mlbom.manifest.format import ManifestReader


def _read(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.jsonl"
        path.write_bytes(data)
        with ManifestReader(path) as reader:
            for _ in reader:
                pass


TARGETS = [
    Target("manifest-reader", _read, seeds=("tests/fixtures/manifest/*.jsonl",), allowed=(InputError,),
           max_len=1 << 18, description="a file manifest (JSON Lines: header, then sorted file lines)"),
]
