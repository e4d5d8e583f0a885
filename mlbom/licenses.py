"""Licence normalization: SPDX ids and expressions validated, everything else kept as a name.

SPDX data comes from cyclonedx-python-lib (its bundled SPDX list and the license-expression
library). A value that is not a valid SPDX id or expression is *never* forced into one: it
becomes a named licence, as the CycloneDX spec intends for non-SPDX licences.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from mlbom.limits import MAX_LICENSE_EXPRESSION_CHARS
from mlbom.model import License

# cyclonedx.spdx is imported where it is used: importing it builds the SPDX licence index
# (0.1–0.2 CPU-s), which a run that meets no licence (a folder of data files) does not need.

_LICENSE_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+")
_MAX_NAME = 200

# Trove classifiers that name exactly one SPDX licence. Classifiers that name a family
# ("BSD License", "GNU General Public License (GPL)") are ambiguous and stay names.
CLASSIFIER_TO_SPDX: dict[str, str] = {
    "License :: OSI Approved :: Academic Free License (AFL)": "AFL-3.0",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: Apple Public Source License": "APSL-2.0",
    "License :: OSI Approved :: Artistic License": "Artistic-2.0",
    "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "License :: OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)": "CDDL-1.0",
    "License :: OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
    "License :: OSI Approved :: University of Illinois/NCSA Open Source License": "NCSA",
    "License :: OSI Approved :: BSD License": "",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}


def expression_too_long(value: str) -> bool:
    """True when ``value`` is longer than an SPDX expression mlbom parses
    (:data:`mlbom.limits.MAX_LICENSE_EXPRESSION_CHARS`, red team 87c-3): it is never an expression,
    only a name. Collectors check this to report the value."""
    return len(value.strip()) > MAX_LICENSE_EXPRESSION_CHARS


@lru_cache(maxsize=1024)
def is_spdx_expression(value: str) -> bool:
    """True when ``value`` is a valid SPDX licence expression (``LicenseRef-`` allowed). A value
    longer than :data:`mlbom.limits.MAX_LICENSE_EXPRESSION_CHARS` is not parsed (False). Cached (the
    bound keeps the cache small): the same value is asked about by the collector that reads it, by
    :func:`from_expression` and by every BOM reader, and a release states a few licences many times."""
    from cyclonedx import spdx

    if expression_too_long(value):
        return False
    candidate = _LICENSE_REF.sub("MIT", value.strip())
    if not candidate:
        return False
    return bool(spdx.is_expression(candidate))


def from_expression(value: str, *, acknowledgement: str = "declared") -> License:
    """A licence from a field that claims to be SPDX (PEP 639 ``License-Expression``, a card's
    ``license:``). A single id becomes ``id``, a compound expression ``expression``; an invalid
    value stays a name. Callers that must report invalid values check :func:`is_spdx_expression`.
    """
    from cyclonedx import spdx

    ack = "concluded" if acknowledgement == "concluded" else "declared"
    text = value.strip()
    if expression_too_long(text):
        return from_name(text, acknowledgement=ack)
    fixed = spdx.fixup_id(text)
    if fixed is not None:
        return License(kind="id", value=fixed, acknowledgement=ack)
    if is_spdx_expression(text):
        return License(kind="expression", value=text, acknowledgement=ack)
    return from_name(text, acknowledgement=ack)


def from_name(value: str, *, acknowledgement: str = "declared") -> License:
    """A free-text licence (the old ``License`` field, a classifier). Exact SPDX ids are
    recognized; anything else is kept as a name, with long texts kept whole as ``text``."""
    from cyclonedx import spdx

    ack = "concluded" if acknowledgement == "concluded" else "declared"
    raw = value.strip()
    first = next((ln.strip() for ln in raw.splitlines() if ln.strip()), raw)
    if "\n" not in raw and len(raw) <= _MAX_NAME:
        fixed = spdx.fixup_id(raw)
        if fixed is not None and spdx.is_supported_id(fixed) and raw.lower() == fixed.lower():
            return License(kind="id", value=fixed, acknowledgement=ack)
        if " " in raw and is_spdx_expression(raw) and re.search(r"\b(AND|OR|WITH)\b", raw):
            return License(kind="expression", value=raw, acknowledgement=ack)
        return License(kind="name", value=raw, acknowledgement=ack)
    name = first if len(first) <= _MAX_NAME else first[: _MAX_NAME - 1] + "…"
    return License(kind="name", value=name, text=raw, acknowledgement=ack)


def from_classifier(classifier: str) -> License:
    """A licence from a ``License ::`` trove classifier: SPDX id only where unambiguous."""
    spdx_id = CLASSIFIER_TO_SPDX.get(classifier)
    if spdx_id:
        return License(kind="id", value=spdx_id, acknowledgement="declared")
    name = classifier.split(" :: ")[-1]
    return License(kind="name", value=name, acknowledgement="declared")


# Licence URLs to SPDX ids, as the SPDX licence list's reference URLs (``seeAlso``) spell them:
# Creative Commons deeds (``/licenses/by-nc-sa/4.0/`` is ``CC-BY-NC-SA-4.0``, a ported
# licence's jurisdiction is a suffix: ``/by/3.0/de/`` is ``CC-BY-3.0-DE``), the CC0 and Public
# Domain Mark deeds, Open Data Commons, the CDLA, the Apache licence, and the pages that name an
# SPDX id in their path (spdx.org, opensource.org, choosealicense.com). Every result is checked
# against the bundled SPDX id list; a URL these rules do not cover stays a named licence with
# its URL (never guessed). GNU's pages are left out on purpose: the SPDX list gives the same
# page for ``-only`` and ``-or-later``, so the URL cannot tell them apart.
_URL_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)(?:/([a-z]{2}))?(?:/(?:legalcode[.\w-]*|deed[.\w-]*)?)?"),
     "CC-{0}-{1}{2}"),
    (re.compile(r"creativecommons\.org/publicdomain/zero/1\.0(?:/.*)?"), "CC0-1.0"),
    (re.compile(r"opendatacommons\.org/licenses/by(?:/(?:1[-.]0|summary)?)?(?:/.*)?"), "ODC-By-1.0"),
    (re.compile(r"opendatacommons\.org/licenses/odbl(?:/(?:1[-.]0|summary)?)?(?:/.*)?"), "ODbL-1.0"),
    (re.compile(r"opendatacommons\.org/licenses/pddl(?:/(?:1[-.]0|summary)?)?(?:/.*)?"), "PDDL-1.0"),
    (re.compile(r"cdla\.(?:dev|io)/permissive-(\d)[-.](\d)(?:/.*)?"), "CDLA-Permissive-{0}.{1}"),
    (re.compile(r"cdla\.(?:dev|io)/sharing-(\d)[-.](\d)(?:/.*)?"), "CDLA-Sharing-{0}.{1}"),
    (re.compile(r"(?:www\.)?apache\.org/licenses/license-2\.0(?:\.html|\.txt)?"), "Apache-2.0"),
    (re.compile(r"spdx\.org/licenses/([a-z0-9.+-]+?)(?:\.html|\.json)?"), "{0}"),
    (re.compile(r"opensource\.org/licenses?/([a-z0-9.+-]+?)(?:\.php|\.html)?"), "{0}"),
    (re.compile(r"choosealicense\.com/licenses/([a-z0-9.+-]+)"), "{0}"),
)


def spdx_id_for_url(url: str) -> str | None:
    """The SPDX id a licence URL stands for, or None when the rules above do not cover it."""
    from cyclonedx import spdx

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = host[4:] if host.startswith("www.") and not host.startswith("www.apache") else host
    where = (host + parts.path).lower().rstrip("/")
    for pattern, template in _URL_RULES:
        m = pattern.fullmatch(where)
        if m is None:
            continue
        groups = [g or "" for g in m.groups()]
        if template.startswith("CC-{0}"):
            groups = [groups[0].upper(), groups[1], f"-{groups[2].upper()}" if groups[2] else ""]
        fixed = spdx.fixup_id(template.format(*groups))
        return fixed if fixed is not None else None
    return None


def from_url(url: str, *, safe: str | None, acknowledgement: str = "declared") -> License:
    """A licence given as a URL (Croissant ``license``): the SPDX id it stands for, with the
    URL kept; else a named licence called by the URL's last path part. ``safe`` is the URL as it
    may be written into a BOM (credentials removed), or None."""
    ack = "concluded" if acknowledgement == "concluded" else "declared"
    found = spdx_id_for_url(url)
    if found is not None:
        return License(kind="id", value=found, url=safe, acknowledgement=ack)
    return License(kind="name", value=url.rstrip("/").rsplit("/", 1)[-1] or url, url=safe, acknowledgement=ack)


def looks_like_text(value: str) -> bool:
    """True for a ``License`` field that is a copyright notice or a licence text rather than a
    licence's name or id (several lines, very long, or naming a copyright)."""
    raw = value.strip()
    return "\n" in raw or len(raw) > _MAX_NAME or bool(_COPYRIGHT.search(raw))


_COPYRIGHT = re.compile(r"copyright|\(c\)|\u00a9", re.IGNORECASE)
