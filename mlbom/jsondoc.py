"""Reading the JSON-shaped document of any CycloneDX BOM (:mod:`mlbom.reader`'s read model),
where every value may be of the wrong type: each helper answers an empty value rather than raise.

One place for what the readers of that document (:mod:`mlbom.bomview`, :mod:`mlbom.policy.facts`,
:mod:`mlbom.vulns.views`, :mod:`mlbom.vulns.ml_rules`) otherwise each wrote their own way.
"""

from __future__ import annotations


def as_str(v: object) -> str:
    """A string, else ``""``."""
    return v if isinstance(v, str) else ""


def as_text(v: object) -> str:
    """A scalar as text (numbers and booleans too); containers are not text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if isinstance(v, (str, int, float)) else ""


def as_list(v: object) -> list[object]:
    return v if isinstance(v, list) else []


def as_dict(v: object) -> dict[str, object]:
    return v if isinstance(v, dict) else {}


def dicts(v: object) -> list[dict[str, object]]:
    """The objects of an array (anything else in it skipped); ``[]`` when ``v`` is no array."""
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def properties(obj: object) -> dict[str, list[str]]:
    """An object's CycloneDX ``properties`` as name → values, in document order; entries with no
    string name are skipped, a scalar value is read as text."""
    out: dict[str, list[str]] = {}
    for p in dicts(as_dict(obj).get("properties")):
        name = p.get("name")
        if isinstance(name, str) and name:
            out.setdefault(name, []).append(as_text(p.get("value")))
    return out
