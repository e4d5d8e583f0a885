"""Progress: a byte meter the hashing and scanning loops feed, and the terminal display.

The library reports bytes through :func:`advance` (a no-op unless a display is counting);
:class:`TerminalProgress` (the CLI's, on stderr when it is a terminal and ``--quiet`` is not
given) shows a status line and, for each long hash or scan, a bar with bytes done, rate and ETA
(rich). Never in pipes or CI: the caller decides with :func:`wanted`.

A leaf module: it imports nothing of mlbom, so that the hashing engine can report to it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mlbom.table import printable

_sink: Callable[[int], None] | None = None
_lock = threading.Lock()


def advance(n: int) -> None:
    """``n`` more bytes were read (hashed, scanned) by the task being counted, if any."""
    sink = _sink
    if sink is not None:
        sink(n)


@contextmanager
def counting(sink: Callable[[int], None]) -> Iterator[None]:
    """Send :func:`advance` to ``sink`` inside the block (one counted task at a time)."""
    global _sink
    with _lock:
        before, _sink = _sink, sink
    try:
        yield
    finally:
        with _lock:
            _sink = before


def wanted(quiet: bool = False) -> bool:
    """A progress display is wanted: stderr is a terminal and the user did not ask for quiet."""
    return not quiet and sys.stderr.isatty()


class TerminalProgress:
    """Status line plus byte bars on stderr (rich); start it, use it, :meth:`stop` it."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.display = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn(),
                                  TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                                  transient=True)
        self._status = self.display.add_task("mlbom: starting", total=None)
        self.display.start()

    def say(self, message: str) -> None:
        # file and folder names are attacker-chosen text: no markup, no terminal controls (red team 8c T7)
        self.display.update(self._status, description=f"mlbom: {printable(message)}")

    @contextmanager
    def bytes(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """A bar for one long hash or scan of ``total`` bytes; the block's :func:`advance`
        calls (and the function it yields) move it."""
        task: Any = self.display.add_task(printable(description), total=total)

        def step(n: int) -> None:
            self.display.advance(task, n)

        try:
            with counting(step):
                yield step
        finally:
            self.display.remove_task(task)

    def stop(self) -> None:
        self.display.stop()
