"""Parsed JSON walked one level at a time (red team 112v-3).

The walks every JSON document goes through (the nesting bound, JSF's search for a nested
``signature``, the BOM reader's ``properties`` check) visit each container once. Done with an
explicit stack of ``(value, depth, path)`` tuples they cost a Python loop step, a tuple and often
a string per value: a 990 KB BOM of 330,000 empty arrays took 0.3-0.5 s a walk, several walks a
command. Here each level is one list comprehension, and a path is spelled only where something is
reported (by the caller's slower walk, over the same document, when the fast one found it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def container_levels(first: list[object]) -> Iterator[list[dict[Any, Any] | list[Any]]]:
    """The dicts and lists of a parsed JSON value, level by level: ``first`` (the containers at the
    top level), then their container children, and so on. Linear in the values; no recursion."""
    level = [v for v in first if isinstance(v, (dict, list))]
    while level:
        yield level
        level = [c for node in level for c in (node.values() if isinstance(node, dict) else node)
                 if isinstance(c, (dict, list))]


def depth_exceeds(value: object, max_depth: int) -> bool:
    """Whether lists/dicts in ``value`` nest deeper than ``max_depth`` (``[[1]]`` is 2 deep)."""
    return any(depth > max_depth for depth, _level in enumerate(container_levels([value]), 1))
