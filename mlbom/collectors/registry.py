"""Which collectors exist: the built-in ones and plug-ins registered under the
``mlbom.collectors`` entry point. A module of its own so that the collector protocol
(:mod:`mlbom.collectors`) does not import the collectors that implement it."""

from __future__ import annotations

from importlib.metadata import entry_points

from mlbom.collectors import ENTRY_POINT_GROUP, Collector
from mlbom.errors import MlbomError


def builtin_collectors() -> dict[str, type[Collector]]:
    """The collectors mlbom ships, by name."""
    from mlbom.collectors.datasets import DatasetCollector
    from mlbom.collectors.environment import EnvironmentCollector
    from mlbom.collectors.gpu import GpuCollector
    from mlbom.collectors.locks import LockCollector
    from mlbom.collectors.models import ModelCollector
    from mlbom.collectors.requirements import RequirementsCollector

    table: tuple[type[Collector], ...] = (EnvironmentCollector, RequirementsCollector, LockCollector, ModelCollector,
                                        DatasetCollector, GpuCollector)
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
