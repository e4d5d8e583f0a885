"""``SOURCE_DATE_EPOCH``: the one reader of the variable (red team 75c-5).

``generate`` (the BOM's timestamp), ``audit`` and ``generate --vuln-db`` (when the audit is
recorded as made, and the moment VEX expiry is judged at) and ``convert --to spdx3`` (``created``
when the BOM has no usable timestamp) all read it here, so that one value means the same to all
of them and a malformed one is refused the same way by all of them.

The value is what ``date +%s`` prints: an optional ``-`` and at most 20 ASCII digits, blanks
around it allowed. reproducible-builds.org asks tools to fail rather than guess on anything else,
so ``²``, ``+5``, ``1_000`` and ``5e9`` are a :class:`~mlbom.errors.UsageError` (exit 2, one
line), and so is a time outside the years 1000–9999 (UTC), which neither a CycloneDX
``date-time`` nor SPDX 3's ``created`` can carry (a negative epoch of 60,000,000,000 s made
``generate`` write the year ``68`` and then fail its own output validation).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from mlbom.errors import UsageError
from mlbom.limits import bounded_int

VARIABLE = "SOURCE_DATE_EPOCH"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

EARLIEST = int((datetime(1000, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds())
LATEST = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - _EPOCH).total_seconds())
"""The seconds ``SOURCE_DATE_EPOCH`` may name: 1000-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the
times every BOM and SPDX writer can spell with a four-digit year."""


def source_date_epoch() -> datetime | None:
    """``SOURCE_DATE_EPOCH`` as a UTC datetime, or None when unset or empty. A malformed value
    is a :class:`~mlbom.errors.UsageError` (reproducible-builds.org says tools should fail
    rather than guess)."""
    raw = os.environ.get(VARIABLE)
    if raw is None or raw == "":
        return None
    text = raw.strip()
    digits = text.removeprefix("-")
    number = bounded_int(digits)
    seconds = None if number is None else -number if len(digits) < len(text) else number
    if seconds is None or not EARLIEST <= seconds <= LATEST:
        raise UsageError(f"{VARIABLE}={raw[:40]!r} is not a whole number of seconds since 1970-01-01 UTC "
                         "(between the years 1000 and 9999)")
    return _EPOCH + timedelta(seconds=seconds)  # (fromtimestamp fails below 1970 on some platforms)


__all__ = ["source_date_epoch"]
