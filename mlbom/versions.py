"""Versions, specifiers and markers parsed from untrusted text, bounded (issue 19, red team 5c).

``packaging`` refuses bad text with :class:`~packaging.version.InvalidVersion`, but a digit run
over CPython's 4,300-digit ``int()`` limit raises a plain ``ValueError`` from deep inside it, and
a version over the schema's 1,024 characters cannot be written to a BOM at all. Every caller that
compares versions read from a BOM, a lock, an environment, an OSV record or a policy goes through
here: text that is too long or that ``packaging`` refuses for any reason is "not a version"
(``None``), and a comparison that cannot be made is ``None`` — never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping

from packaging.markers import Marker, UndefinedEnvironmentName
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from mlbom.limits import MAX_SPECIFIER_CHARS, MAX_VERSION_CHARS


def version_text_ok(text: str) -> bool:
    """Whether ``text`` fits the schema's ``version`` field."""
    return len(text) <= MAX_VERSION_CHARS


def parse_version(text: object) -> Version | None:
    """A PEP 440 version, or None for text that is too long or that ``packaging`` refuses."""
    if not isinstance(text, str) or len(text) > MAX_VERSION_CHARS:
        return None
    try:
        return Version(text)
    except ValueError:  # InvalidVersion, and int()'s digit limit
        return None


def parse_specifier(text: str) -> SpecifierSet | None:
    """A PEP 440 specifier set whose every version parses, or None."""
    if len(text) > MAX_SPECIFIER_CHARS:
        return None
    try:
        spec = SpecifierSet(text)
    except ValueError:  # InvalidSpecifier
        return None
    return spec if specifier_ok(spec) else None


def specifier_ok(spec: SpecifierSet) -> bool:
    """Whether every version in ``spec`` (already parsed, e.g. from a ``Requirement``) is one
    :func:`parse_version` accepts, so that comparing against it cannot raise."""
    for s in spec:
        if s.operator == "===":
            continue
        if parse_version(s.version.removesuffix(".*")) is None:
            return False
    return True


def contains(spec: SpecifierSet, version: Version, *, checked: bool = False) -> bool | None:
    """Whether ``version`` is in ``spec`` (pre-releases included); None when ``spec`` holds a
    version that is not one. ``checked``: ``spec`` already passed :func:`specifier_ok` (at load),
    so its versions are not parsed again for every comparison (red team 93c-4)."""
    if not checked and not specifier_ok(spec):
        return None
    try:
        return spec.contains(version, prereleases=True)
    except ValueError:
        return None


def marker_holds(marker: Marker, env: Mapping[str, str]) -> bool | None:
    """Whether ``marker`` holds in ``env``; None when it cannot be evaluated (an undefined name
    or comparison, or a version in it that is not one)."""
    if len(str(marker)) > MAX_SPECIFIER_CHARS * 16:
        return None
    try:
        return marker.evaluate(dict(env))
    except (ValueError, UndefinedEnvironmentName):  # UndefinedComparison, InvalidVersion, int()'s digit limit
        return None


def _extra_is_version() -> bool:
    """Whether this ``packaging`` compares ``extra`` as a version where the literal is one
    (packaging < 26: ``Specifier("==1").contains("01")``); 26 compares extra names as strings."""
    try:
        return Marker('extra == "1"').evaluate({"extra": "01"})
    except ValueError:
        return True


_EXTRA_AS_VERSION = _extra_is_version()


def extra_literals(marker: Marker) -> frozenset[str] | None:
    """The names ``marker`` compares ``extra`` with, when it does so only with ``==`` and ``!=``
    as strings: the marker then has one value for every extra outside that set, so evaluating
    it for the set's members and one other extra gives its value for all of them (red team
    78c-1). An empty set: the marker does not read ``extra`` at all. None: another operator on
    ``extra`` (``in``, ``<``…, which the specifier spec leaves undefined), a literal this
    ``packaging`` would compare as a version, or a tree this function does not know."""
    found: set[str] = set()
    stack: list[object] = [getattr(marker, "_markers", None)]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if isinstance(node, str):
            continue
        if not (isinstance(node, tuple) and len(node) == 3):
            return None
        lhs, op, rhs = node
        left = type(lhs).__name__ == "Variable"
        if left and getattr(lhs, "value", None) == "extra":
            literal = getattr(rhs, "value", None)
        elif not left and type(rhs).__name__ == "Variable" and getattr(rhs, "value", None) == "extra":
            literal = getattr(lhs, "value", None)
        else:
            continue
        op_text = getattr(op, "value", None)
        if not isinstance(literal, str) or op_text not in ("==", "!="):
            return None
        if _EXTRA_AS_VERSION and parse_version(literal) is not None:
            return None
        found.add(literal)
        found.add(canonicalize_name(literal))
    return frozenset(found)
