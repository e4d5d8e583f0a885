"""``mlbom.fswalk.discovery_walk``: the one bounded walk ``generate PROJECT_DIR`` discovers inputs with
(environment markers in ``collectors._marked_folders``, stray weight files in
``collectors.models.stray_weights``; #12 "one walker"): every folder once, sorted entries, no link to
a folder followed, never into ``.git``, depth and entry bounds reported, ``enter`` prunes."""

from __future__ import annotations

import os
from pathlib import Path

from mlbom.fswalk import DiscoveryStop, discovery_walk


def _tree(root: Path) -> None:
    for d in ("a/b/c/d", ".git/objects", "env/lib", "z"):
        (root / d).mkdir(parents=True)
    (root / "a" / "w.pt").write_bytes(b"x")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    os.symlink(root / "a", root / "link-to-a")


def test_every_folder_once_without_links_or_git(tmp_path: Path) -> None:
    _tree(tmp_path)
    seen = [Path(f).relative_to(tmp_path).as_posix() for f, _d, _e in
            discovery_walk(tmp_path, max_entries=1000, max_depth=10)]
    assert sorted(seen) == [".", "a", "a/b", "a/b/c", "a/b/c/d", "env", "env/lib", "z"]


def test_bounds_are_reported_and_enter_prunes(tmp_path: Path) -> None:
    _tree(tmp_path)
    stops: list[DiscoveryStop] = []
    seen = [Path(f).relative_to(tmp_path).as_posix() for f, _d, _e in discovery_walk(
        tmp_path, max_entries=1000, max_depth=2, report_deep=True, on_stop=stops.append,
        enter=lambda folder, depth: not os.path.isfile(os.path.join(folder, "pyvenv.cfg")))]
    assert "env" not in seen and "env/lib" not in seen and "a/b/c" not in seen
    assert [s.rel for s in stops] == ["a/b/c"] and "2 folders deep" in stops[0].reason
    stops.clear()
    list(discovery_walk(tmp_path, max_entries=3, max_depth=10, on_stop=stops.append))
    assert stops == [DiscoveryStop(".", "more than 3 entries")]
