"""Collectors: one small protocol, a registry table, and the runner.

A collector reads one kind of input (a Python environment, a requirements file, a lock file,
later model and dataset directories, the GPU stack) and yields :data:`mlbom.model.Collected`
items: components, dependency relations, findings and records of what it could not read. It
never prints and never picks exit codes.

The runner, not the collector, turns a failure into an :class:`~mlbom.model.Unreadable`
record (which marks the BOM's composition incomplete) or, for an input the user named
explicitly, into an :class:`~mlbom.errors.InputError` (exit 2).

Third-party collectors register under the ``mlbom.collectors`` entry-point group; the entry
point must resolve to a class implementing :class:`Collector`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from mlbom.errors import InputError, MlbomError
from mlbom.model import Collected, Component, Finding, Relation, Unreadable

ENTRY_POINT_GROUP = "mlbom.collectors"


@dataclass(frozen=True)
class Context:
    """What a collector may know about the run.

    ``base`` is the folder that paths in evidence and findings are made relative to, so that
    BOMs do not depend on where a checkout lies. ``progress`` receives short status lines.
    """

    base: Path
    verify_record: bool = False
    explicit: bool = True
    progress: Callable[[str], None] | None = None
    options: dict[str, str] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        """``path`` relative to ``base`` with forward slashes, or as given when outside it."""
        try:
            rel = os.path.relpath(path, self.base)
        except ValueError:  # pragma: no cover - other drive on Windows
            return path.as_posix()
        if rel.startswith(".."):
            return Path(os.path.abspath(path)).as_posix()
        return Path(rel).as_posix()

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


@runtime_checkable
class Collector(Protocol):
    """Reads one kind of input. ``patterns`` are globs used to discover inputs in a
    ``PROJECT_DIR`` (relative to it, at most two levels deep)."""

    name: ClassVar[str]
    patterns: ClassVar[tuple[str, ...]]

    def collect(self, path: Path, ctx: Context) -> Iterator[Collected]: ...


@dataclass
class CollectorOutput:
    """Everything one collector produced for one input."""

    components: list[Component] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    def extend(self, other: CollectorOutput) -> None:
        self.components += other.components
        self.relations += other.relations
        self.findings += other.findings
        self.unreadable += other.unreadable


def builtin_collectors() -> dict[str, type[Collector]]:
    """The collectors mlbom ships, by name."""
    from mlbom.collectors.datasets import DatasetCollector
    from mlbom.collectors.environment import EnvironmentCollector
    from mlbom.collectors.locks import LockCollector
    from mlbom.collectors.models import ModelCollector
    from mlbom.collectors.requirements import RequirementsCollector

    table: tuple[type[Collector], ...] = (EnvironmentCollector, RequirementsCollector, LockCollector, ModelCollector,
                                        DatasetCollector)
    return {c.name: c for c in table}


def registry() -> dict[str, type[Collector]]:
    """Built-in collectors plus those registered under the ``mlbom.collectors`` entry point.
    A plug-in cannot replace a built-in of the same name."""
    table = builtin_collectors()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in table:
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plug-in must not break mlbom
            raise MlbomError(f"collector plug-in {ep.name!r} failed to load: {exc}") from exc
        if isinstance(cls, type) and hasattr(cls, "collect") and hasattr(cls, "name"):
            table[ep.name] = cls
    return table


def run(collector: Collector, path: Path, ctx: Context) -> CollectorOutput:
    """Run one collector on one input and sort what it yields.

    An :class:`InputError` for an explicitly named input propagates (the CLI exits 2). For a
    discovered input, or for any other failure, the input becomes an ``Unreadable`` record:
    nothing is dropped silently, and the BOM is marked incomplete.
    """
    out = CollectorOutput()
    try:
        for item in collector.collect(path, ctx):
            if isinstance(item, Component):
                out.components.append(item)
            elif isinstance(item, Relation):
                out.relations.append(item)
            elif isinstance(item, Finding):
                out.findings.append(item)
            else:
                out.unreadable.append(item)
    except InputError as exc:
        if ctx.explicit:
            raise
        out.unreadable.append(Unreadable(path=ctx.rel(path), reason=exc.detail, collector=collector.name))
    except MlbomError:
        raise
    except (OSError, ValueError, UnicodeError, RecursionError, MemoryError) as exc:
        out.unreadable.append(
            Unreadable(path=ctx.rel(path), reason=f"{type(exc).__name__}: {exc}", collector=collector.name)
        )
    return out


def discover(
    project_dir: Path, table: dict[str, type[Collector]], skipped: list[Unreadable] | None = None
) -> list[tuple[str, Path]]:
    """Inputs for each collector found in ``project_dir`` by its patterns, sorted, without
    following symbolic links out of the project. A match that is not followed (a link that
    leaves the project, dangles outside it or loops) is appended to ``skipped`` as an
    ``Unreadable`` record, so the BOM says it is incomplete instead of leaving it out silently."""
    found: list[tuple[str, Path]] = []
    root = project_dir.resolve()
    for name in sorted(table):
        seen: set[Path] = set()
        for pattern in table[name].patterns:
            for p in sorted(project_dir.glob(pattern)):
                rel = p.relative_to(project_dir).as_posix()
                try:
                    resolved = p.resolve()
                except (OSError, RuntimeError):
                    if skipped is not None:
                        skipped.append(Unreadable(path=rel, reason="symbolic link loop (not followed)", collector=name))
                    continue
                if resolved in seen:
                    continue
                if not resolved.is_relative_to(root):
                    if skipped is not None:
                        what = "dangling symbolic link" if not resolved.exists() else "symbolic link"
                        skipped.append(Unreadable(path=rel, reason=f"{what} to outside the project folder (not followed)",
                                                  collector=name))
                    seen.add(resolved)
                    continue
                seen.add(resolved)
                found.append((name, p))
    return found
