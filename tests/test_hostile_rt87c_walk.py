"""Red team 87c-4: links to folders the walk also reaches by descent made both walkers quadratic.

200 nested real folders ``d/d/…/d`` (one tiny file each) and 200 top-level links ``L0001 -> d``,
``L0002 -> d/d``, … made ``generate --model`` list 20,302 entries for 201 files (35 s CPU) and
``scan`` 20,301 results: the walkers remembered only link targets, so each link re-walked the real
chain below its target. Walking each real folder once fixed that but stopped listing a venv's
``lib64 -> lib`` paths, which ``verify --artifacts`` requires of a folder link (red team 30s-2).

The rule now (``mlbom.fswalk._FolderLinks``, both walkers): a link to a folder descent reaches (an
alias) is still walked under its own name, but the entries alias walks list may not exceed the
entries the walk lists by descent; past that budget each alias link is a ``files.symlink-alias``
finding (medium, not read: the inventory is incomplete). An alias walk never starts another.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mlbom.cli import main
from mlbom.fswalk import iter_files, walk_files
from mlbom.model import Finding


def _chain(root: Path, n: int) -> Path:
    """The red team's shape: ``config.json``, ``d/…/d`` n deep with ``f.txt`` in each, links
    ``L0001 -> d``, ``L0002 -> d/d``, …"""
    model = root / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "bert"}')
    p = model
    for i in range(1, n + 1):
        p = p / "d"
        p.mkdir()
        (p / "f.txt").write_text(str(i))
        os.symlink(os.path.relpath(p, model), model / f"L{i:04d}")
    return model


def _walk_both(root: Path) -> tuple[list[str], list[Finding], list[str], list[Finding]]:
    files, problems = walk_files(root)
    found: list[Finding] = []
    streamed = [rel for rel, _ in iter_files(root, on_finding=found.append)]
    return sorted(p.relative_to(root).as_posix() for p in files), problems, streamed, found


def test_87c_4_chain_of_links_is_linear(tmp_path: Path) -> None:
    n = 40
    model = _chain(tmp_path, n)
    real = n + 1
    walked, problems, streamed, found = _walk_both(model)
    assert walked == streamed  # one rule for both walkers
    assert len(walked) <= 2 * real, len(walked)
    assert len(set(walked)) == len(walked)
    # every real file under its own name; L0001 (the first alias, it fits) under its name too
    assert {f"{'d/' * i}f.txt" for i in range(1, n + 1)} <= set(walked)
    assert f"L0001/{'d/' * (n - 1)}f.txt" in walked
    # the excess links: each one reported, never silently dropped
    for got in (problems, found):
        alias = sorted(f.source for f in got if f.id == "files.symlink-alias")
        assert alias == [f"L{i:04d}" for i in range(2, n + 1)]
        assert all(f.severity == "medium" and "not read" in f.message for f in got if f.id == "files.symlink-alias")


def test_87c_4_generate_lists_at_most_twice_and_is_incomplete(tmp_path: Path, capsys: Any) -> None:
    n = 40
    model = _chain(tmp_path, n)
    out = tmp_path / "bom.json"
    assert main(["generate", "--model", str(model), "--no-gpu", "--name", "x", "--version", "1",
                 "-o", str(out)]) in (0, 1)
    err = capsys.readouterr().err
    assert "INCOMPLETE" in err and "L0002" in err
    bom = json.loads(out.read_text())
    files = [c for c in bom.get("components", []) if c.get("type") == "file"]
    assert n + 1 <= len(files) <= 2 * (n + 1), len(files)
    assert "files.symlink-alias" in out.read_text()


def _venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    pkg = venv / "lib" / "python3.12" / "site-packages" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("x = 1\n")
    (pkg / "mod.py").write_text("y = 2\n")
    (venv / "bin").mkdir()
    (venv / "bin" / "activate").write_text("# activate\n")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib64").symlink_to("lib")
    return venv


def test_87c_4_venv_lib64_alias_listed_under_both_names(tmp_path: Path) -> None:
    venv = _venv(tmp_path)
    walked, problems, streamed, found = _walk_both(venv)
    assert walked == streamed
    for top in ("lib", "lib64"):
        assert f"{top}/python3.12/site-packages/pkg/__init__.py" in walked
        assert f"{top}/python3.12/site-packages/pkg/mod.py" in walked
    assert not problems and not found


def test_87c_4_alias_walks_do_not_compound(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "f").write_text("1")
    (root / "b" / "g").write_text("2")
    (root / "a" / "ib").symlink_to("../b")  # an alias met by descent: walked as a/ib
    (root / "x").symlink_to("a")  # an alias: walked as x, but not x/ib (no alias walk inside one)
    walked, problems, streamed, found = _walk_both(root)
    assert walked == streamed == ["a/f", "a/ib/g", "b/g", "x/f"]
    assert not problems and not found


def test_87c_4_existing_link_rules_kept(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "d" / ".git" / "objects").mkdir(parents=True)
    (root / "d" / ".git" / "objects" / "o").write_text("obj")
    (root / "d" / "f").write_text("1")
    (root / "self").symlink_to(".")  # the root link: not walked, silently
    (root / "d" / "up").symlink_to("..")  # a loop back to the root: not walked
    (root / "g1").symlink_to("d/.git/objects")  # under a skipped folder: walked once
    (root / "g2").symlink_to("d/.git/objects")
    (root / "out").symlink_to(tmp_path)  # leaves the folder
    walked, problems, streamed, found = _walk_both(root)
    assert walked == streamed == ["d/f", "g1/o"]
    for got in (problems, found):
        assert sorted(f.id for f in got) == ["files.skipped-folder", "files.symlink-escape"]
