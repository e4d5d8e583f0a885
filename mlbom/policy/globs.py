"""The ``component`` globs of a policy's ``[[exceptions]]``: a linear-time automaton and the work
cost of a match (used by :mod:`mlbom.policy.config` to bound a glob's ``*`` runs when the policy is
read, and by :mod:`mlbom.policy.rules` to match BOM names within one ``check``'s budget)."""

from __future__ import annotations

import functools
import re
from typing import Protocol


class Budget(Protocol):
    """Work a match may spend (one step per character per ``*`` run walked)."""

    def spend(self, n: int) -> None: ...


class Glob:
    """An exception's ``component`` as a path glob: ``*`` matches any run of characters but
    ``/``, ``?`` one character but ``/``, ``**`` any run including ``/`` (``**/`` also none at
    all); every other character, ``[`` and ``]`` included, is itself. Was
    :func:`fnmatch.fnmatchcase`: the exact path ``ckpt[1].bin`` was the character class ``[1]``
    and waived ``ckpt1.bin``, and ``models/n/*.bin`` waived any depth below ``models/n`` (red
    team 13b-3). Matched by a bit-parallel automaton, linear in the name (a backtracking regex
    of ``*a*a*a*a*a*a*b`` ran for minutes on one 100-character name: red team 44p-1)."""

    __slots__ = ("accept", "adv", "eps", "gstar", "one", "pattern", "pieces", "runs", "star")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        kinds: list[tuple[str, str]] = []  # (kind, char): lit / one / star / gstar / opt (the "**/" group)
        i = 0
        while i < len(pattern):
            if pattern.startswith("**", i):
                while i < len(pattern) and pattern[i] == "*":
                    i += 1
                if pattern.startswith("/", i):  # (?:.*/)?: an optional group of "**" then "/"
                    kinds += [("opt", ""), ("gstar", ""), ("lit", "/")]
                    i += 1
                else:
                    kinds.append(("gstar", ""))
            elif pattern[i] in "*?":
                # a run of single "*" and "?" is "at least as many characters as it has '?', none a '/'",
                # whatever the order: one state per "?" and one "*" (red team 51p-2: "*?" × 5,000 was
                # 5,000 star states, each walked at every character)
                ones, star = 0, False
                while i < len(pattern) and pattern[i] in "*?" and not pattern.startswith("**", i):
                    ones += pattern[i] == "?"
                    star = star or pattern[i] == "*"
                    i += 1
                kinds += [("one", "")] * ones + ([("star", "")] if star else [])
            else:
                kinds.append(("lit", pattern[i]))
                i += 1
        self.accept = 1 << len(kinds)
        self.adv: dict[str, int] = {}
        self.one = self.star = self.gstar = 0
        self.eps: list[tuple[int, int]] = []  # (state bit, the bits it also reaches without a character)
        for n, (kind, ch) in enumerate(kinds):
            bit = 1 << n
            if kind == "lit":
                self.adv[ch] = self.adv.get(ch, 0) | bit
            elif kind == "one":
                self.one |= bit
            elif kind in ("star", "gstar"):
                if kind == "star":
                    self.star |= bit
                else:
                    self.gstar |= bit
                self.eps.append((bit, bit << 1))
            else:  # opt: enter the group, or skip its two tokens
                self.eps.append((bit, (bit << 1) | (bit << 3)))
        self.runs = sum(k in ("star", "gstar") for k, _ in kinds)
        # the literal runs, in order ("**/" may match nothing: its "/" is none)
        self.pieces = [p for p in re.split(r"\*{2,}/|\*+|\?", pattern) if p]

    def match(self, name: str, budget: Budget) -> bool:
        if name == self.pattern:
            return True
        pos = 0
        for piece in self.pieces:  # a cheap necessary condition: the literal runs, in order
            pos = name.find(piece, pos)
            if pos < 0:
                return False
            pos += len(piece)
        budget.spend((len(name) + 1) * (1 + len(self.eps)))  # each character walks every star's edge
        states = self._closure(1)
        for ch in name:
            adv = self.adv.get(ch, 0) | (self.one if ch != "/" else 0)
            stay = self.gstar | (self.star if ch != "/" else 0)
            states = self._closure(((states & adv) << 1) | (states & stay))
            if not states:
                return False
        return bool(states & self.accept)

    def _closure(self, states: int) -> int:
        for bit, reach in self.eps:  # forward edges only, in order: one pass closes them
            if states & bit:
                states |= reach
        return states


@functools.lru_cache(maxsize=256)
def glob_of(pattern: str) -> Glob | None:
    """``pattern`` as a :class:`Glob`, or ``None`` when it is a literal (no ``*`` or ``?``)."""
    return Glob(pattern) if "*" in pattern or "?" in pattern else None


def star_runs(pattern: str) -> int:
    """The ``*`` runs (``*``, ``**``, a run of ``*`` and ``?``: one each) the automaton of
    ``pattern`` walks at every character: what one character of a name costs beyond one step."""
    return Glob(pattern).runs if "*" in pattern else 0
