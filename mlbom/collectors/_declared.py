"""The :class:`~mlbom.collectors.facts.Declaration` fact of a requirements or lock file, made
from what its collector yielded (the drift pass compares it with the installed environments)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mlbom.collectors.facts import Declaration, DeclaredPackage, Fact
from mlbom.model import Collected, Component, Relation
from mlbom.properties import Prop

# Lock formats that list a whole environment: an installed package missing there is unlocked.
FULL_LOCKS = frozenset({"uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml"})
# Lock sources that are the project itself (uv's ``source = { virtual = "." }``, editable, path).
PROJECT_SOURCES = ("virtual", "editable", "directory")


def _prop(c: Component, name: Prop) -> str | None:
    return next((p.value for p in c.properties if p.name == name.value), None)


def declaring(items: Iterable[Collected | Fact], *, lock: bool) -> Iterator[Collected | Fact]:
    """``items`` passed through, then the :class:`Declaration` they make. In a lock, a package
    nothing else requires whose source is the project itself is marked ``project_root``."""
    components: list[Component] = []
    relations: list[Relation] = []
    for item in items:
        if isinstance(item, Component):
            components.append(item)
        elif isinstance(item, Relation):
            relations.append(item)
        yield item
    required = {t for r in relations for t in r.depends_on if t != r.ref}
    full = {_prop(c, Prop.LOCK_FORMAT) for c in components if c.type == "file"} & FULL_LOCKS
    packages = tuple(
        DeclaredPackage(
            ref=c.bom_ref, name=c.name, version=c.version, requirement=_prop(c, Prop.PY_REQUIREMENT),
            marker=_prop(c, Prop.PY_MARKER), where=_prop(c, Prop.SOURCE) or "a manifest",
            project_root=lock and c.bom_ref not in required and _prop(c, Prop.LOCK_SOURCE) in PROJECT_SOURCES)
        for c in components if c.type == "library" and (c.purl or "").startswith("pkg:pypi/"))
    yield Declaration(packages=packages, full_locks=tuple(sorted(x for x in full if x)))
