"""Red team 93c: the input contract through the CLI (exit 0/1/2, a bad input is ONE line on stderr
and never "internal error"; nothing good is lost; no input under 1 MB costs more than about 1 s).

93c-2: ``manifest merge`` of 4,000 valid shards opened every part before any check, each with a
1 MiB read buffer: ``internal error: MemoryError`` under ``ulimit -v 4 GB``, and one shard given
4,000 times was the same error, not "given twice"; past ``ulimit -n`` it failed part-way. The
parts are now checked (a file given twice; more parts than the process may open, after raising the
soft descriptor limit to the hard one) before any is opened, and each open part buffers
:data:`mlbom.manifest.format.READ_BUFFER` bytes.

The inputs are written here.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output


def _shards(tmp_path: Path, n: int, capsys: Any) -> tuple[Path, list[Path]]:
    """A 5-file folder and the ``n`` shards of its manifest (shard 1 through the CLI; the others
    with the same header and the entries :func:`shard_of` puts in them)."""
    from mlbom.manifest.format import shard_of

    d = tmp_path / "mdir"
    d.mkdir()
    for i in range(1, 6):
        (d / f"f{i}.txt").write_text(f"{i}\n")
    one = tmp_path / "one.jsonl"
    assert main(["manifest", "build", str(d), "--shard", f"1/{n}", "-o", str(one), "--no-cache"]) == 0
    quiet_output(capsys)
    hdr = json.loads(one.read_text().splitlines()[0])
    ents = [{"name": f"f{i}.txt", "size": 2, "algorithm": "sha256",
             "digest": hashlib.sha256(f"{i}\n".encode()).hexdigest()} for i in range(1, 6)]
    out = tmp_path / "shards"
    out.mkdir()
    parts = []
    for i in range(1, n + 1):
        lines = [json.dumps(dict(hdr, shard=f"{i}/{n}"), separators=(",", ":"))]
        lines += [json.dumps(e, separators=(",", ":")) for e in ents if shard_of(str(e["name"]), n) == i]
        p = out / f"p{i:05d}.jsonl"
        p.write_text("\n".join(lines) + "\n")
        parts.append(p)
    return d, parts


@pytest.mark.skipif(sys.platform == "win32", reason="descriptor limits are POSIX")
def test_93c_2_many_shards_merge_and_a_repeated_one_is_refused_unopened(tmp_path: Path, capsys: Any,
                                                                        monkeypatch: Any) -> None:
    import resource

    from mlbom.manifest import format as fmt
    from mlbom.manifest import merge as merge_mod

    d, parts = _shards(tmp_path, 600, capsys)
    # one buffer per open part, small enough that thousands fit in ordinary memory
    assert fmt.READ_BUFFER <= 64 << 10
    opened: list[Path] = []
    real = merge_mod.ManifestReader

    def counting(p: Path, *a: Any, **k: Any) -> Any:
        opened.append(p)
        return real(p, *a, **k)

    monkeypatch.setattr(merge_mod, "ManifestReader", counting)
    # one shard given 600 times: "given twice", before any part is opened
    rc = main(["manifest", "merge", *([str(parts[0])] * 600), "-o", str(tmp_path / "dup.jsonl")])
    _, err = quiet_output(capsys)
    assert rc == 2 and "given twice" in err and len(err.strip().splitlines()) == 1, err
    assert opened == []
    assert not (tmp_path / "dup.jsonl").exists()

    # a soft descriptor limit below the part count (ulimit -n) is raised to the hard one
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 700:
        pytest.skip("hard descriptor limit too small")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        merged = tmp_path / "merged.jsonl"
        rc = main(["manifest", "merge", *map(str, parts), "-o", str(merged)])
        _, err = quiet_output(capsys)
        assert rc == 0, err
        assert len(opened) == 600
        whole = tmp_path / "whole.jsonl"
        assert main(["manifest", "build", str(d), "-o", str(whole), "--no-cache"]) == 0
        quiet_output(capsys)
        assert merged.read_bytes() == whole.read_bytes()  # nothing good lost: the one-machine manifest
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_93c_3_zip_entries_sharing_one_stored_member_are_read_once(tmp_path: Path, capsys: Any,
                                                                    monkeypatch: Any) -> None:
    """93c-3: a zip whose central directory lists one stored YAML record 3,000 times (the same
    local header) was parsed 3,000 times (19,000: 28 s). The copies are skipped with a note; the
    record is read once and still matches."""
    import copy
    import zipfile

    from mlbom.vulns import osv

    record = ("id: PYSEC-0000-1\nmodified: '2024-01-01T00:00:00Z'\nsummary: test\naffected:\n"
              "- package: {ecosystem: PyPI, name: torch}\n  ranges:\n  - type: ECOSYSTEM\n"
              "    events: [{introduced: '0'}]\n")
    db = tmp_path / "osv.zip"
    with zipfile.ZipFile(db, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.yaml", record)
        first = zf.filelist[0]
        zf.filelist.extend(copy.copy(first) for _ in range(2_999))
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "name": "torch", "version": "2.0.0", "purl": "pkg:pypi/torch@2.0.0",
         "bom-ref": "pkg:pypi/torch@2.0.0"}]}))
    parsed: list[str] = []
    real = osv.parse_counted

    def counting(data: bytes, name: str) -> Any:
        parsed.append(name)
        return real(data, name)

    monkeypatch.setattr(osv, "parse_counted", counting)
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out_path = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(db), "-o", str(out_path)])
    _, err = quiet_output(capsys)
    assert rc in (0, 1), err
    assert parsed == ["a.yaml"]
    assert "PYSEC-0000-1" in out_path.read_text()  # nothing good lost
    assert "shares its stored bytes" in err
