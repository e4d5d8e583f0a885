"""Disjoint sets of ids (union-find), the one grouping of vulnerability ids and their aliases
that ``audit`` (records of one flaw) and ``diff`` (entries of one flaw across two BOMs) share."""

from __future__ import annotations


class IdGroups:
    """Ids joined into groups; each group is named by its smallest id (deterministic, whatever
    order the unions came in). Near-linear: path halving, no id compared with another's list."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        """The name of ``x``'s group (``x`` itself, first seen, is a group of one)."""
        parent = self._parent
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def names(self) -> dict[str, str]:
        """Every id seen → its group's name."""
        return {i: self.find(i) for i in list(self._parent)}
