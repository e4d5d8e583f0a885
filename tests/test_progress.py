"""Progress (issue 14 item 5): a byte meter fed by the hashing loops, a display only on a
terminal and never with --quiet, and a byte-counting task around each long hash."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import mlbom
from mlbom import progress
from mlbom.cli import main


def test_advance_is_a_no_op_unless_counting() -> None:
    progress.advance(10)  # no sink: nothing happens, nothing fails
    got: list[int] = []
    outer: list[int] = []
    with progress.counting(outer.append):
        progress.advance(1)
        with progress.counting(got.append):
            progress.advance(5)
            progress.advance(7)
        progress.advance(2)
    progress.advance(3)
    assert got == [5, 7] and outer == [1, 2]


def test_no_display_in_a_pipe_or_with_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert not progress.wanted()
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert progress.wanted()
    assert not progress.wanted(quiet=True)


def test_quiet_is_a_global_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.32.3\n")
    assert main(["--quiet", "generate", "-r", str(tmp_path / "requirements.txt"), "-o", str(tmp_path / "b.json")]) == 0
    assert "--quiet" in " ".join(_help(capsys, []).split())


def _help(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    capsys.readouterr()
    assert main([*args, "--help"]) == 0
    return capsys.readouterr().out


def test_verify_record_counts_the_bytes_it_hashes(venv: Path) -> None:
    tasks: list[tuple[str, int | None]] = []
    counted: list[int] = []

    @contextmanager
    def bars(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        tasks.append((description, total))
        with progress.counting(counted.append):
            yield counted.append

    mlbom.generate(env=venv, reproducible=True, verify_record=True, bytes_progress=bars)
    ((description, total),) = tasks
    assert description.startswith("verifying ") and "RECORD" in description
    assert total is not None and total > 0
    assert sum(counted) in (0, total)  # every hashed byte once (0 until the hashing loop reports)


def test_the_terminal_display_shows_rate_and_eta(tmp_path: Path) -> None:
    shown = progress.TerminalProgress()
    try:
        with shown.bytes("hashing", 1000) as step:
            step(400)
            columns = [type(c).__name__ for c in shown.display.columns]
            task = shown.display.tasks[-1]
            assert task.completed == 400 and task.total == 1000
    finally:
        shown.stop()
    assert {"DownloadColumn", "TransferSpeedColumn", "TimeRemainingColumn"} <= set(columns)
