"""The one "leaves the folder" rule (mlbom/formats/paths.py) that shard names, keyword paths, diffusers
components, gin includes, HDF5 external files and ONNX external data share."""

from __future__ import annotations

import pytest

from mlbom.formats.paths import leave_reason


@pytest.mark.parametrize(("path", "kw", "why"), [
    ("w.bin", {}, None), ("sub/w.bin", {}, None), ("./w.bin", {}, None),
    ("/etc/passwd", {}, "absolute"), ("\\\\server\\share\\w", {}, "absolute"), ("C:w", {}, "drive"),
    ("c:/w", {}, "drive"), ("../w", {}, "climbs"), ("a/../b", {}, "climbs"), ("a\\..\\b", {}, "climbs"),
    ("a/../b", {"climb_only": True}, None), ("a/../../b", {"climb_only": True}, "climbs"),
    ("./../b", {"climb_only": True}, "climbs"),
    ("~/w", {}, None), ("~/w", {"home": True}, "home"),
    ("s3://b/w", {}, None), ("s3://b/w", {"url": True}, "URL"),
    (".git/objects/w", {}, None), (".git/objects/w", {"skipped": {".git"}}, "skips"),
    ("x/.git/w", {"skipped": {".git"}}, "skips"),
])
def test_leave_reason(path: str, kw: dict[str, object], why: str | None) -> None:
    got = leave_reason(path, **kw)  # type: ignore[arg-type]
    if why is None:
        assert got is None
    else:
        assert got is not None and why in got
