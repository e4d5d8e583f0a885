"""Severity ratings: OSV ``severity`` entries scored with RedHat's ``cvss`` library, and the
database's own word, as CycloneDX ``ratings``.

CVSS v2, v3.0, v3.1 and v4.0 base scores are computed by ``cvss`` (https://github.com/RedHatProductSecurity/cvss,
the reference implementation used by Red Hat's tooling); mlbom does not carry its own CVSS
arithmetic. A vector the library rejects is kept with no score (``unknown`` severity), never
dropped. GHSA's ``database_specific.severity`` (LOW/MODERATE/HIGH/CRITICAL) becomes a rating
of its own with method ``other``.
"""

from __future__ import annotations

from mlbom.model import ScoreMethod, VulnRating, VulnSeverity, VulnSource

_DB_WORDS: dict[str, VulnSeverity] = {"critical": "critical", "high": "high", "moderate": "medium", "medium": "medium",
                                      "low": "low", "none": "none"}
SEVERITY_ORDER: tuple[VulnSeverity, ...] = ("critical", "high", "medium", "low", "info", "none", "unknown")


def _severity_word(word: str) -> VulnSeverity:
    return _DB_WORDS.get(word.strip().lower(), "unknown")


def cvss_rating(kind: str, vector: str, source: VulnSource | None) -> VulnRating | None:
    """A rating for one OSV ``severity`` entry (``CVSS_V2``/``CVSS_V3``/``CVSS_V4``), or None
    for a type that is not CVSS (e.g. ``Ubuntu``)."""
    from cvss import CVSS2, CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    method: ScoreMethod
    try:
        if kind == "CVSS_V2":
            method = "CVSSv2"
            c2 = CVSS2(vector)
            score = float(c2.base_score)
            sev = _severity_word(c2.severities()[0])
        elif kind == "CVSS_V3":
            method = "CVSSv3" if vector.startswith("CVSS:3.0/") else "CVSSv31"
            c3 = CVSS3(vector)
            score = float(c3.base_score)
            sev = _severity_word(c3.severities()[0])
        elif kind == "CVSS_V4":
            method = "CVSSv4"
            c4 = CVSS4(vector)
            score = float(c4.base_score)
            sev = _severity_word(str(c4.severity))
        else:
            return None
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        meth: ScoreMethod = {"CVSS_V2": "CVSSv2", "CVSS_V4": "CVSSv4"}.get(kind, "CVSSv31")  # type: ignore[assignment]
        return VulnRating(source=source, severity="unknown", method=meth, vector=vector,
                          justification="the vector could not be scored")
    return VulnRating(source=source, score=score, severity=sev, method=method, vector=vector)


def database_rating(word: str, source: VulnSource | None) -> VulnRating:
    """The database's own severity word as a rating (method ``other``)."""
    return VulnRating(source=source, severity=_severity_word(word), method="other",
                      justification=f"severity given by the database: {word}")


def worst(ratings: tuple[VulnRating, ...] | list[VulnRating]) -> VulnSeverity:
    """The most severe of the ratings' severities; ``unknown`` for none."""
    found = [r.severity for r in ratings if r.severity is not None and r.severity != "unknown"]
    return min(found, key=SEVERITY_ORDER.index, default="unknown")
