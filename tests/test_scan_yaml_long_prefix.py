"""A file read as another format whose text runs on past the scanner's 64 KiB probe before its
first NUL: PyYAML's streaming reader (4 KiB chunks) builds the documents of that whole prefix
before it meets the NUL, so the Python tags of all of it are judged, not only of the probe's.
Found while reviewing fix26c2 (the name-free rule leans on this prefix check)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.scanner import scan_file


def _gif_with_late_tag(path: Path, marker: Path) -> Path:
    body = (b"GIF89a: 1\n" + b"# pad\n" * 20_000
            + f"---\n!!python/object/apply:os.system ['touch {marker}']\n---\nx: 1\n".encode()
            + b"# more\n" * 1_000 + b"\x00tail")
    assert body.index(b"!!python") > 1 << 16  # past the probe
    path.write_bytes(body)
    return path


def test_python_tag_after_the_probe_before_the_nul_is_found(tmp_path: Path) -> None:
    f = _gif_with_late_tag(tmp_path / "m.gif", tmp_path / "MARKER")
    res = scan_file(f)
    assert res.verdict != "safe"
    assert "yaml.python-tag" in {x.id for x in res.findings}


@pytest.mark.parametrize("loader", ["unsafe_load_all"])
def test_the_real_streaming_reader_runs_it(tmp_path: Path, loader: str) -> None:
    marker = tmp_path / "MARKER"
    f = _gif_with_late_tag(tmp_path / "m.gif", marker)
    code = (f"import yaml\ntry:\n    for _ in yaml.{loader}(open({str(f)!r}, 'rb')): pass\n"
            "except yaml.YAMLError: pass\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=tmp_path)
    assert marker.exists()  # the document before the NUL was built: os.system ran
