"""Red team 27b-2 (proofs: /work/redteam-27b/27b-2-queuehandler-queue-listener): Python >= 3.12's
``logging.config.dictConfig`` resolves (imports) a QueueHandler's plain-string ``queue`` and CALLS it
(``q = resolve(qspec)()``), and resolves a ``listener`` string and calls it
``listener(q, *handlers, respect_handler_level=…)``: call slots like ``()``, keyed by the handler's
class, with no ``ext://``. Judged in any dictConfig handler like a ``()`` factory (non-stdlib:
``code.remote`` suspicious; deny-listed: unsafe; the standard library's queues and listener: fine).
The real loader runs only in a throw-away subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes


def _scan(data: str, name: str) -> tuple[str, list[tuple[str, str, str]]]:
    r = scan_bytes(data.encode(), name)
    return r.verdict, [(f.id, f.severity, f.message) for f in r.findings]


def _config(**handler: str) -> dict[str, object]:
    return {"version": 1, "handlers": {"q": {"class": "logging.handlers.QueueHandler", **handler}},
            "root": {"handlers": ["q"], "level": "INFO"}}


def _yaml(**handler: str) -> str:
    lines = "".join(f"    {k}: {v}\n" for k, v in handler.items())
    return ("version: 1\nhandlers:\n  q:\n    class: logging.handlers.QueueHandler\n" + lines
            + "root: {handlers: [q]}\n")


def _python312() -> str | None:
    """An interpreter whose dictConfig has the QueueHandler call slots (3.12+), if one is here."""
    if sys.version_info >= (3, 12):
        return sys.executable
    for v in ("3.13.0", "3.13", "3.12"):
        p = Path("/root/.pyenv/versions") / v / "bin" / "python"
        if p.exists():
            return str(p)
    return None


@pytest.mark.parametrize("slots", [{"queue": "evilmod.make"}, {"listener": "evilmod.listener"},
                                   {"queue": "evilmod.make", "listener": "evilmod.listener"}])
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_27b2_queue_and_listener_strings_are_code(slots: dict[str, str], fmt: str) -> None:
    text = json.dumps(_config(**slots)) if fmt == "json" else _yaml(**slots)
    verdict, found = _scan(text, f"log.{fmt}")
    assert verdict == "suspicious", found
    for name in slots.values():
        assert [m for i, s, m in found if i == "code.remote" and s == "high" and name in m], found


@pytest.mark.parametrize("slot", ["queue", "listener"])
def test_27b2_deny_listed_callable_in_slot_is_unsafe(slot: str) -> None:
    verdict, found = _scan(json.dumps(_config(**{slot: "os.system"})), "log.json")
    assert verdict == "unsafe", found


@pytest.mark.parametrize("slots", [{"queue": "queue.Queue"}, {"queue": "multiprocessing.Queue"},
                                   {"queue": "queue.SimpleQueue", "listener": "logging.handlers.QueueListener"}])
def test_27b2_stdlib_queues_and_listener_are_safe(slots: dict[str, str]) -> None:
    verdict, found = _scan(json.dumps(_config(**slots)), "log.json")
    assert verdict == "safe", found


def test_27b2_slot_judged_whatever_the_class_names() -> None:
    """The class may reach QueueHandler through an alias or a subclass: the slot is judged in any handler."""
    cfg = {"version": 1, "handlers": {"q": {"class": "myapp.logs.MyQueueHandler", "queue": "evilmod.make"}}}
    verdict, found = _scan(json.dumps(cfg), "log.json")
    assert verdict == "suspicious" and [m for i, _, m in found if "evilmod.make" in m], found


def test_27b2_queue_key_outside_dictconfig_is_no_target() -> None:
    """A ``queue`` naming a task queue in a config that is no dictConfig (no ``version``) is data."""
    verdict, found = _scan(json.dumps({"worker": {"queue": "celery.high", "listener": "events.main"}}), "app.json")
    assert verdict == "safe", found


def test_27b2_real_dictconfig_imports_and_calls_both(tmp_path: Path) -> None:
    python = _python312()
    if python is None:
        pytest.skip("no Python >= 3.12 here to prove the loader")
    site = tmp_path / "site"
    site.mkdir()
    (site / "evilmod.py").write_text(
        "import pathlib, queue\n"
        f"M = pathlib.Path({str(tmp_path)!r})\n"
        "def make():\n    (M / 'QUEUE').write_text('x'); return queue.Queue()\n"
        "def listener(q, *handlers, respect_handler_level=False):\n"
        "    (M / 'LISTENER').write_text('x')\n"
        "    import logging.handlers; return logging.handlers.QueueListener(q, *handlers)\n")
    cfg = tmp_path / "log.json"
    cfg.write_text(json.dumps(_config(queue="evilmod.make", listener="evilmod.listener")))
    proc = subprocess.run([python, "-c", "import json, logging.config, sys; "
                           "logging.config.dictConfig(json.load(open(sys.argv[1])))", str(cfg)],
                          capture_output=True, timeout=60, check=False,
                          env={**os.environ, "PYTHONPATH": str(site)})
    if not (tmp_path / "QUEUE").exists():
        pytest.skip(f"this Python's dictConfig did not call the queue factory: {proc.stderr[-300:]!r}")
    assert (tmp_path / "LISTENER").exists()
