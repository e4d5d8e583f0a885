"""SPDX licence expressions evaluated against an allowlist and a denylist.

Parsed with ``license-expression`` (the SPDX licensing it ships normalizes case and deprecated
ids: ``mit`` is ``MIT``, ``GPL-3.0`` is ``GPL-3.0-only``). An expression is turned into its
*choices*: ``A OR B`` offers two, ``A AND B`` one that needs both. A component complies when at
least one choice uses only allowed and no denied licences — ``MIT OR GPL-3.0-only`` passes an
allowlist with MIT, ``MIT AND GPL-3.0-only`` does not. ``X WITH EXC`` is allowed when ``X`` or
``X WITH EXC`` is (an exception only adds permissions) and denied when either is denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

MAX_CHOICES = 256


class Unparsable(ValueError):
    """Not an SPDX expression, or too many choices to evaluate."""


@lru_cache(maxsize=1)
def _licensing() -> object:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def _key(sym: object) -> str:
    from license_expression import LicenseWithExceptionSymbol

    if isinstance(sym, LicenseWithExceptionSymbol):
        return f"{sym.license_symbol.key} WITH {sym.exception_symbol.key}"
    return str(sym.key)  # type: ignore[attr-defined]


def choices(expression: str) -> list[frozenset[str]]:
    """The ways to comply with ``expression``: each a set of licence keys that must all hold."""
    outcome = _choices(expression)
    if isinstance(outcome, str):
        raise Unparsable(outcome)
    return list(outcome)


@lru_cache(maxsize=4096)
def _choices(expression: str) -> tuple[frozenset[str], ...] | str:
    """Cached: a release repeats a few licence expressions over thousands of components."""
    from mlbom.licenses import is_spdx_expression

    if not is_spdx_expression(expression):
        return f"{expression!r} is not an SPDX expression"
    return _parse(expression)


def parse_checked(expression: str) -> tuple[frozenset[str], ...]:
    """The choices of an expression already checked with :func:`mlbom.licenses.is_spdx_expression`,
    parsed once and not cached: a policy's licence lists are parsed here when it loads and their
    keys kept on the policy (red team 93c-1: 8,192 distinct entries thrashed the cache above and
    were parsed four to six times each)."""
    outcome = _parse(expression)
    if isinstance(outcome, str):
        raise Unparsable(outcome)
    return outcome


def _parse(expression: str) -> tuple[frozenset[str], ...] | str:
    from license_expression import ExpressionError

    try:
        return tuple(_walk(_licensing().parse(expression)))  # type: ignore[attr-defined]
    except ExpressionError as exc:
        return f"{expression!r}: {exc}"
    except Unparsable as exc:
        return str(exc)


def _walk(node: object) -> list[frozenset[str]]:
    from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

    if isinstance(node, LicenseSymbol | LicenseWithExceptionSymbol):
        return [frozenset({_key(node)})]
    op = type(node).__name__
    args = getattr(node, "args", ())
    if op == "OR":
        out = [c for a in args for c in _walk(a)]
    elif op == "AND":
        out = [frozenset()]
        for a in args:
            # each operand walked once, never once per choice so far: a nested AND walked its
            # operand 2^depth times (red team 102p-1: 22 levels, 753 bytes, took 38 s)
            sub = _walk(a)
            out = [x | y for x in out for y in sub]
            if len(out) > MAX_CHOICES:
                raise Unparsable(f"more than {MAX_CHOICES} ways to read this expression")
    else:
        raise Unparsable(f"unexpected {op} in a licence expression")
    if len(out) > MAX_CHOICES:
        raise Unparsable(f"more than {MAX_CHOICES} ways to read this expression")
    return list(dict.fromkeys(out))


def keys_of(entries: tuple[str, ...]) -> frozenset[str]:
    """Every licence an allow/deny list names (an expression there stands for each licence in it)."""
    return keys_in(choices(e) for e in entries)


def keys_in(parsed: Iterable[Sequence[frozenset[str]]]) -> frozenset[str]:
    """Every licence named by the choices of a list's parsed expressions."""
    return frozenset(k for choice_sets in parsed for c in choice_sets for k in c)


@dataclass(frozen=True)
class Outcome:
    verdict: Literal["ok", "not-allowed", "denied"]
    offending: tuple[str, ...] = ()


def evaluate(choice_sets: list[frozenset[str]], allow: frozenset[str], deny: frozenset[str]) -> Outcome:
    """Whether some choice is allowed (when ``allow`` is non-empty) and not denied."""

    def base(k: str) -> str:
        return k.split(" WITH ", 1)[0]

    def allowed(k: str) -> bool:
        return not allow or k in allow or base(k) in allow

    def denied(k: str) -> bool:
        return k in deny or base(k) in deny

    for c in choice_sets:
        if all(allowed(k) and not denied(k) for k in c):
            return Outcome("ok")
    if all(any(denied(k) for k in c) for c in choice_sets):
        bad = sorted({k for c in choice_sets for k in c if denied(k)})
        return Outcome("denied", tuple(bad))
    bad = sorted({k for c in choice_sets for k in c if not allowed(k) or denied(k)})
    return Outcome("not-allowed", tuple(bad))
